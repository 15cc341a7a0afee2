"""AI gateway: `generate` and `transcribe`, with the errors and results they return.

Imported lazily so `import courseops.ai` works before Django's app registry is ready.
"""

_EXPORTS = {
    "generate": "courseops.ai.gateway",
    "transcribe": "courseops.ai.gateway",
    "AIResult": "courseops.ai.gateway",
    "TranscriptionResult": "courseops.ai.gateway",
    "AIError": "courseops.ai.errors",
    "PromptError": "courseops.ai.errors",
    "AIProviderError": "courseops.ai.errors",
    "AIOutputInvalid": "courseops.ai.errors",
    "AIUnavailable": "courseops.ai.errors",
    "AIBudgetExceeded": "courseops.ai.errors",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'courseops.ai' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
