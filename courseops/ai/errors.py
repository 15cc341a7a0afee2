"""What the gateway raises. Each error says whether trying again later can help.

Callers (usually Celery tasks) retry on `permanent = False`, using `retry_after` seconds
as the countdown, and show the message to staff otherwise. When a call reached the point
of being recorded, `usage` is the `AIUsage` row that says what happened.
"""


class AIError(Exception):
    permanent = True

    def __init__(self, message, *, usage=None, retry_after=None):
        super().__init__(message)
        self.usage = usage
        self.retry_after = retry_after


class PromptError(AIError, ValueError):
    """Bad input: unknown prompt, missing context, unsupported language, bad file."""


class AIProviderError(AIError):
    """The provider refused the request for a reason a retry will not fix (4xx, no quota)."""


class AIOutputInvalid(AIError):
    """The model's structured output did not match the schema, even after one repair."""


class AIUnavailable(AIError):
    """The provider is failing (5xx, 429, timeouts) or its circuit breaker is open."""

    permanent = False


class AIBudgetExceeded(AIError):
    """Today's AI budget is spent and `AI_OVER_BUDGET` is "queue": try after midnight UTC."""

    permanent = False
