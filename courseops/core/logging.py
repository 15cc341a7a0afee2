"""Structured logging: JSON lines in production, readable lines in development.

django-structlog binds a `request_id` per request (and carries it into Celery task
headers), so one id follows a request into every task it enqueues.
"""

import re

import structlog

# A Django signed value (`signing.dumps`: payload:timestamp:signature) in a URL path is a
# credential (sign-in, unsubscribe, correction links): logs keep the path, not the token.
_SIGNED_TOKEN = re.compile(r"(?<=/)[\w-]+(?::[\w-]+){1,3}(?=/|\?|\s|'|$)")
REDACTED = "[token]"


def redact_signed_tokens(logger, method_name, event_dict):
    for key in ("request", "event", "path"):
        value = event_dict.get(key)
        if isinstance(value, str) and ":" in value:
            event_dict[key] = _SIGNED_TOKEN.sub(REDACTED, value)
    return event_dict


_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog():
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(format="console"):
    """A stdlib formatter for `LOGGING` that renders both structlog and plain records."""
    if format == "json":
        renderer = structlog.processors.JSONRenderer()
        exception_processors = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        exception_processors = []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_signed_tokens,
            *exception_processors,
            renderer,
        ],
    )


def get_logger(name):
    return structlog.get_logger(name)
