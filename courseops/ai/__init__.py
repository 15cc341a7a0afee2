"""AI gateway: `generate` and `transcribe`, with the errors and results they return.

    from courseops.ai import AIError, generate

    result = generate(
        "welcome_email",
        {"name": student.first_name, "plan": plan.name, "interests": student.interests},
        language=student.language,
        requested_by="students.welcome",
    )
    draft.subject, draft.body_html = result.data["subject"], result.data["body_html"]
    draft.ai_usage = result.usage  # FK to ai.AIUsage; result.offline marks a plain draft

In a Celery task, retry when `exc.permanent` is False (`AIUnavailable`, `AIBudgetExceeded`)
with `countdown=exc.retry_after`; otherwise store `str(exc)` as the row's `last_error`.
Recordings over the 25 MB upload limit go through `transcribe_media` (split, transcribed
part by part, joined; see `courseops.ai.long_audio`).
Imported lazily so `import courseops.ai` works before Django's app registry is ready.
"""

_EXPORTS = {
    "generate": "courseops.ai.gateway",
    "transcribe": "courseops.ai.gateway",
    "AIResult": "courseops.ai.gateway",
    "TranscriptionResult": "courseops.ai.gateway",
    "transcribe_media": "courseops.ai.long_audio",
    "transcribe_parts": "courseops.ai.long_audio",
    "MediaTranscript": "courseops.ai.long_audio",
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
