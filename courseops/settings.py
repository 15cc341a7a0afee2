"""CourseOps settings: everything comes from the environment (see `.env.example`).

With no variable set at all the project runs on one machine with embedded defaults:
SQLite, a filesystem Celery broker, a file cache, console email and SMS and the offline
AI provider. Setting `DATABASE_URL`, `REDIS_URL` and provider keys moves each part to the
real service without code changes.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.conf.locale import LANG_INFO

from courseops.conf import (
    content_security_policies,
    env,
    env_secret,
    production_security_settings,
)
from courseops.core import routing as celery_routing

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("COURSEOPS_VAR_DIR", default=str(BASE_DIR / "var")))

# "development" (the default: DEBUG, readable logs, embedded services) or "production"
# (DEBUG off, secure cookies, JSON logs, a real SECRET_KEY and ALLOWED_HOSTS required).
COURSEOPS_ENV = env.str("COURSEOPS_ENV", default="development")
if COURSEOPS_ENV not in {"development", "production"}:
    raise environ.ImproperlyConfigured(
        f"COURSEOPS_ENV must be 'development' or 'production', not {COURSEOPS_ENV!r}"
    )
PRODUCTION = COURSEOPS_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
SECRET_KEY = env_secret(
    "DJANGO_SECRET_KEY",
    default=None if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop",
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL used in emails, calendar invites and signed links.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "django_structlog",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Their catalogs: country names and phone errors in Spanish (courseops.core.inputs).
    "django_countries",
    "phonenumber_field",
    # Core apps: they know nothing of the domain apps below.
    "courseops.core",
    "courseops.audit",
    "courseops.webhooks",
    "courseops.outbound",
    "courseops.ai",
    "courseops.messaging",
    "courseops.reviews",
    "courseops.support",
    "courseops.operations",
    # Domain apps, in floors: students at the bottom, marketing and engagement on top.
    "students",
    "webinars",
    "content",
    "engagement",
    "marketing",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "courseops.core.headers.CookieFlagsMiddleware",
    "courseops.core.headers.CourseOpsCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    # Staff pages' Server-Timing header (after whitenoise: static files are not timed).
    "courseops.core.timing.ServerTimingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "courseops.core.staff_auth.StaffTwoFactorMiddleware",
    # The API answers in the caller's language (Accept-Language, Spanish by default);
    # the admin and the public pages pick theirs explicitly (no LocaleMiddleware).
    "courseops.core.api.ApiLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "courseops.urls"
WSGI_APPLICATION = "courseops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# An empty variable means "not set", as for every service URL below. Service URLs carry
# passwords, so like every secret they may come from a file (`DATABASE_URL_FILE`).
DATABASE_URL = env_secret("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside a writer, and
    # IMMEDIATE transactions take the write lock up front so read-then-write blocks never
    # fail half way with "database is locked" (measured in STACK.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too (not Django's in-memory default), so concurrency tests run on
    # SQLite as it runs in production: several connections, WAL, writers waiting in turn.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------------------
REDIS_URL = env_secret("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "courseops",
        }
    }
else:
    # A file cache is shared by the web, worker and beat processes (locmem is not), which
    # the heartbeats, the AI circuit breaker and rate limits rely on.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# ("localhost" only silences kombu's warning: the filesystem transport has no host.)
CELERY_BROKER_URL = (
    env_secret("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://localhost//"
)
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis hands an unacknowledged (late-ack) message to another worker after this: just
    # longer than any task may run (the hard time limit kills it), so a worker killed
    # mid-task has its message back in minutes, not an hour, and a running one is never
    # duplicated. (ETA retries held longer may come back twice: their rows make that a
    # no-op.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60}
# A worker rides out a broker outage however long: it reconnects forever (Celery's default
# gives up after 100 tries and exits) and also waits for the broker at start.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULER = "courseops.core.scheduler.HeartbeatDatabaseScheduler"
# Queues by urgency (courseops/core/routing.py): a worker without -Q consumes them all.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = celery_routing.task_queues()
CELERY_TASK_ROUTES = celery_routing.task_routes()
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Auth, i18n, static -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    "courseops.core.staff_auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign-in lockout (django-axes; courseops.core.staff_auth): this many failures in a
# row for one username, or from one address, lock it for this many minutes.
STAFF_LOCKOUT_FAILURES = env.int("STAFF_LOCKOUT_FAILURES", default=5)
STAFF_LOCKOUT_MINUTES = env.int("STAFF_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = STAFF_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=STAFF_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "courseops.core.staff_auth.lockout_response"
# The same trusted proxies as the API throttles (THROTTLE_NUM_PROXIES below).
AXES_IPWARE_PROXY_COUNT = env.int("THROTTLE_NUM_PROXIES", default=0) or None
# Staff two-factor (django-otp TOTP): required for superusers and the `admin` role when on
# (production's default); anyone who enrolled an app is always asked for its code.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CourseOps")
# A device's key and QR code are never shown in the admin once it exists (it is a credential).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_REDIRECT_URL = "admin:index"

# Our own strings are written in Spanish, with an English catalog in locale/en (Portuguese
# has none yet). The staff admin stays Spanish: it does not follow the browser's language
# (no LocaleMiddleware). Messages and pages for students use their language explicitly.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English"), ("pt", "Português")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("BUSINESS_TIME_ZONE", default="America/Mexico_City")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# In development WhiteNoise serves straight from the apps' static folders.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) --------------------------------------------------------------
if PRODUCTION:
    globals().update(production_security_settings())
# Django's default, said out loud: other sites get no Referer, so the tokens in personal
# links never leave (courseops/core/pages.py), and forms still send their Origin to CSRF.
SECURE_REFERRER_POLICY = "same-origin"
# Every cookie is Secure in production and HttpOnly unless listed here (no script of ours
# reads a cookie: the admin's and the API docs' CSRF token comes from the page).
COOKIES_SECURE = env.bool("DJANGO_COOKIES_SECURE", default=PRODUCTION)
COOKIES_READABLE_BY_SCRIPTS = env.list("DJANGO_COOKIES_READABLE_BY_SCRIPTS", default=[])
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = COOKIES_SECURE
CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp; courseops.core.headers), built in courseops.conf.
# Forms may also post (and be redirected) to Stripe's hosted Checkout and billing portal.
CONTENT_SECURITY_POLICY_FORM_ACTION = env.list(
    "CSP_FORM_ACTION", default=["https://checkout.stripe.com", "https://billing.stripe.com"]
)
CONTENT_SECURITY_POLICY_REPORT_URI = env.str("CSP_REPORT_URI", default="")
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN = content_security_policies(
    form_action=CONTENT_SECURITY_POLICY_FORM_ACTION, report_uri=CONTENT_SECURITY_POLICY_REPORT_URI
)
# Health checks come from load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Scoped tokens (Bearer co_...) first; DRF's unscoped Token keys keep working.
        "courseops.operations.tokens.ScopedTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Staff only, and the admin's model permissions on top of the token's scope.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAdminUser",
        "courseops.core.permissions.ModelPermissions",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["courseops.core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "courseops.core.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "courseops.core.api.exception_handler",
    # Only views with a `throttle_scope` are limited (courseops.operations.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["courseops.operations.throttling.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "registration": env.str("THROTTLE_REGISTRATION", default="60/min"),
        "webinar_registration": env.str("THROTTLE_WEBINAR_REGISTRATION", default="20/min"),
        "lead_form": env.str("THROTTLE_LEAD_FORM", default="20/min"),
        "portal_sign_in": env.str("THROTTLE_PORTAL_SIGN_IN", default="10/hour"),
    },
    # Proxies in front of the app whose X-Forwarded-For is trusted (0: the socket's
    # address only, so a forged header cannot dodge the limits).
    "NUM_PROXIES": env.int("THROTTLE_NUM_PROXIES", default=0),
}
# Idempotency-Key on API POSTs (courseops.core.idempotency): how long an answer is kept
# for replays, and after how long a claim whose request never answered is taken over.
API_IDEMPOTENCY_TTL_HOURS = env.int("API_IDEMPOTENCY_TTL_HOURS", default=24)
API_IDEMPOTENCY_LOCK_SECONDS = env.int("API_IDEMPOTENCY_LOCK_SECONDS", default=120)
SPECTACULAR_SETTINGS = {
    "TITLE": "CourseOps API",
    "DESCRIPTION": "Back office of the AI-course and webinar business.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets served by us, not a CDN (no third-party requests from the docs page).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"OnboardingStateEnum": "students.onboarding.status.CODES"},
}

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "courseops.core.logging.formatter",
            "format": LOG_FORMAT,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_structlog": {"level": LOG_LEVEL},
        # WeasyPrint logs every page it lays out at INFO: one line per page of a lesson PDF.
        "weasyprint.progress": {"level": "WARNING"},
        # httpx logs every request's full URL at INFO, and some vendors take a token in the
        # query (Meta's debug_token): keep those URLs out of the logs.
        "httpx": {"level": "WARNING"},
    },
}
DJANGO_STRUCTLOG_CELERY_ENABLED = True

UNFOLD = {
    "SITE_TITLE": "CourseOps",
    "SITE_HEADER": "CourseOps",
    "SITE_SYMBOL": "school",
    "SHOW_HISTORY": True,
    # The KPI dashboard is the admin's landing page (courseops.operations.kpis).
    "DASHBOARD_CALLBACK": "courseops.operations.kpis.views.dashboard_callback",
    # The review queues with their pending drafts, then every app (courseops.operations).
    "SIDEBAR": {"show_search": True, "navigation": "courseops.operations.navigation.sidebar"},
    # The shared style of inner tables (courseops.core.tables).
    "STYLES": ["courseops.core.tables.stylesheet"],
}

# --- Core apps --------------------------------------------------------------------------
# Outbound HTTP (courseops.core.http): the largest response body read into memory, the
# first retry's wait (doubling), and networks that URLs typed by staff may reach despite
# being private (an internal media server, e.g. "10.0.5.0/24"); empty: public addresses only.
HTTP_MAX_RESPONSE_BYTES = env.int("HTTP_MAX_RESPONSE_BYTES", default=10 * 1024 * 1024)
HTTP_RETRY_BACKOFF_SECONDS = env.float("HTTP_RETRY_BACKOFF_SECONDS", default=1.0)
HTTP_USER_URL_ALLOWED_NETWORKS = env.list("HTTP_USER_URL_ALLOWED_NETWORKS", default=[])
# Outbound webhooks (courseops.outbound): seconds an endpoint has to answer each delivery.
OUTBOUND_WEBHOOKS_TIMEOUT = env.float("OUTBOUND_WEBHOOKS_TIMEOUT", default=10.0)

# Health: how long a worker or beat may stay silent before /health/ answers 503.
HEALTH_HEARTBEAT_MAX_AGE = env.int("HEALTH_HEARTBEAT_MAX_AGE", default=180)

# Webhooks (courseops.webhooks)
TYPEFORM_WEBHOOK_SECRET = env_secret("TYPEFORM_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", default="")
GENERIC_WEBHOOK_SECRET = env_secret("GENERIC_WEBHOOK_SECRET", default="")

# AI gateway (courseops.ai)
AI_PROVIDER = env.str("AI_PROVIDER", default="offline")
OPENAI_API_KEY = env_secret("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
AI_MODEL = env.str("AI_MODEL", default="gpt-4o-mini")
# Model per task: prompt files name a class ("light" or "strong"); empty means AI_MODEL.
AI_MODELS = {
    "light": env.str("AI_MODEL_LIGHT", default=""),
    "strong": env.str("AI_MODEL_STRONG", default=""),
}
AI_TRANSCRIPTION_MODEL = env.str("AI_TRANSCRIPTION_MODEL", default="whisper-1")
AI_DAILY_BUDGET_USD = env.float("AI_DAILY_BUDGET_USD", default=20.0)
# Per calendar month (UTC), overall and per area ("marketing=50,engagement=80"); 0: none.
AI_MONTHLY_BUDGET_USD = env.float("AI_MONTHLY_BUDGET_USD", default=0.0)
AI_AREA_MONTHLY_BUDGETS_USD = env.dict(
    "AI_AREA_MONTHLY_BUDGETS_USD", cast={"value": float}, default={}
)
# A second OpenAI-compatible endpoint used while the primary provider's circuit is open.
AI_FALLBACK_BASE_URL = env.str("AI_FALLBACK_BASE_URL", default="") or None
AI_FALLBACK_API_KEY = env_secret("AI_FALLBACK_API_KEY", default="")
AI_FALLBACK_MODEL = env.str("AI_FALLBACK_MODEL", default="")
AI_OVER_BUDGET = env.str("AI_OVER_BUDGET", default="offline")  # "offline" or "queue"
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=60.0)
if AI_OVER_BUDGET not in {"offline", "queue"}:
    raise environ.ImproperlyConfigured(
        f"AI_OVER_BUDGET must be 'offline' or 'queue', not {AI_OVER_BUDGET!r}"
    )
# Attempts per call on 429/5xx/timeouts (backoff doubles from AI_RETRY_BACKOFF_SECONDS),
# then the circuit opens after AI_BREAKER_FAILURES failures for the cool-down.
AI_MAX_ATTEMPTS = env.int("AI_MAX_ATTEMPTS", default=3)
AI_RETRY_BACKOFF_SECONDS = env.float("AI_RETRY_BACKOFF_SECONDS", default=1.0)
AI_BREAKER_FAILURES = env.int("AI_BREAKER_FAILURES", default=5)
AI_BREAKER_COOLDOWN_SECONDS = env.int("AI_BREAKER_COOLDOWN_SECONDS", default=60)
# How long an identical prompt (same version, model and rendered input) is answered from cache.
AI_CACHE_SECONDS = env.int("AI_CACHE_SECONDS", default=7 * 24 * 3600)
# Long recordings (courseops.ai.media): the largest audio part sent in one transcription
# request (Whisper's limit is 25 MB) and the seconds two parts overlap when a long stretch
# of speech is cut in fixed windows.
AI_AUDIO_PART_MAX_BYTES = env.int("AI_AUDIO_PART_MAX_BYTES", default=24 * 1024 * 1024)
AI_AUDIO_OVERLAP_SECONDS = env.float("AI_AUDIO_OVERLAP_SECONDS", default=5.0)
# Quieter than this (dB) for at least this long is silence (a break, not a pause between
# sentences), and is not transcribed.
AI_SILENCE_DB = env.int("AI_SILENCE_DB", default=-35)
AI_SILENCE_MIN_SECONDS = env.float("AI_SILENCE_MIN_SECONDS", default=10.0)
# USD per million tokens (input, input read from the provider's prompt cache, output); per
# minute for transcription models.
AI_PRICES = {
    "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
    "gpt-4o": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
    "gpt-4.1-mini": {"input": 0.40, "cached_input": 0.10, "output": 1.60},
    "whisper-1": {"per_minute": 0.006},
}

# Support (courseops.support): help desk address every new ticket is emailed to.
SUPPORT_INBOX_EMAIL = env.str("SUPPORT_INBOX_EMAIL", default="")

# Privacy (courseops.operations.privacy): days after which personal data is blanked by
# the nightly retention task; 0 keeps it.
RETENTION_WEBHOOK_PAYLOAD_DAYS = env.int("RETENTION_WEBHOOK_PAYLOAD_DAYS", default=90)
RETENTION_MESSAGE_BODY_DAYS = env.int("RETENTION_MESSAGE_BODY_DAYS", default=180)
RETENTION_INACTIVE_LEAD_DAYS = env.int("RETENTION_INACTIVE_LEAD_DAYS", default=730)

# Operations (courseops.operations): alerts to staff when something needs a person.
# Where alerts go: email addresses (through the outbox) and a Slack-compatible incoming
# webhook URL; with neither, incidents are only listed in the admin.
ALERTS_EMAILS = env.list("ALERTS_EMAILS", default=[])
ALERTS_SLACK_WEBHOOK_URL = env_secret("ALERTS_SLACK_WEBHOOK_URL", default="")
ALERTS_SLACK_TIMEOUT_SECONDS = env.float("ALERTS_SLACK_TIMEOUT_SECONDS", default=10.0)
# Thresholds of the core checks (see docs/operations.md).
ALERTS_WEBHOOK_FAILURE_WINDOW_HOURS = env.int("ALERTS_WEBHOOK_FAILURE_WINDOW_HOURS", default=24)
ALERTS_PROVIDER_BASELINE_DAYS = env.int("ALERTS_PROVIDER_BASELINE_DAYS", default=28)
ALERTS_PROVIDER_MIN_EVENTS = env.int("ALERTS_PROVIDER_MIN_EVENTS", default=20)
ALERTS_PROVIDER_SILENCE_FACTOR = env.float("ALERTS_PROVIDER_SILENCE_FACTOR", default=4.0)
ALERTS_PROVIDER_MIN_SILENCE_HOURS = env.int("ALERTS_PROVIDER_MIN_SILENCE_HOURS", default=6)
ALERTS_OUTBOX_STUCK_MINUTES = env.int("ALERTS_OUTBOX_STUCK_MINUTES", default=15)
ALERTS_OUTBOX_FAILURE_RATE = env.float("ALERTS_OUTBOX_FAILURE_RATE", default=0.2)
ALERTS_OUTBOX_FAILURE_SAMPLE = env.int("ALERTS_OUTBOX_FAILURE_SAMPLE", default=200)
ALERTS_OUTBOX_FAILURE_MIN_MESSAGES = env.int("ALERTS_OUTBOX_FAILURE_MIN_MESSAGES", default=10)
ALERTS_AI_BUDGET_RATIO = env.float("ALERTS_AI_BUDGET_RATIO", default=0.8)
# beat saves last_run_at every few minutes, so a schedule is late only past this grace.
ALERTS_PERIODIC_GRACE_SECONDS = env.int("ALERTS_PERIODIC_GRACE_SECONDS", default=600)

# The KPI dashboard reads figures the task operations.refresh_kpis (every 5 min) caches;
# older than this, the page says so and queues a refresh.
KPI_SNAPSHOT_MAX_AGE_MINUTES = env.int("KPI_SNAPSHOT_MAX_AGE_MINUTES", default=15)

# /metrics (Prometheus): a scraper sends `Authorization: Bearer <token>`; staff sessions
# also see it. Empty: staff only.
METRICS_BEARER_TOKEN = env_secret("METRICS_BEARER_TOKEN", default="")

# Error tracking: Sentry (or GlitchTip) when a DSN is set, personal data scrubbed.
SENTRY_DSN = env_secret("SENTRY_DSN", default="")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from courseops.operations.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=COURSEOPS_ENV,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )


def _keys(name):
    """A comma-separated list of keys from `NAME` or the file named by `NAME_FILE`."""
    return [key.strip() for key in env_secret(name, default="").split(",") if key.strip()]


# Encryption at rest (courseops.operations.encryption): Fernet keys, newest first (it
# encrypts; all decrypt), and the key of the blind index used to search encrypted fields.
# Empty in development: derived from SECRET_KEY. Required in production.
FIELD_ENCRYPTION_KEYS = _keys("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = env_secret("FIELD_HASH_KEY", default="")

# Backups (manage.py backup / restore): encrypted with BACKUP_ENCRYPTION_KEYS (Fernet-style
# keys, newest first; empty in development: derived from SECRET_KEY; required in production).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_ENCRYPTION_KEYS = _keys("BACKUP_ENCRYPTION_KEYS")
# Set a bucket to keep backups in S3-compatible storage (AWS, MinIO, R2, B2...) instead.
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="")
if BACKUP_S3_BUCKET:
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BACKUP_S3_BUCKET,
            "endpoint_url": env.str("BACKUP_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("BACKUP_S3_REGION", default="") or None,
            "access_key": env_secret("BACKUP_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env_secret("BACKUP_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("BACKUP_S3_PREFIX", default="courseops-backups"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_DIR)},
    }
# Lesson media (content: videos, subtitles, audio parts, PDFs): the media folder, or set a
# bucket to keep it in S3-compatible storage (AWS, MinIO, R2, B2...). Portal downloads
# stream through the site, so the bucket stays private.
CONTENT_S3_BUCKET = env.str("CONTENT_S3_BUCKET", default="")
if CONTENT_S3_BUCKET:
    STORAGES["content"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CONTENT_S3_BUCKET,
            "endpoint_url": env.str("CONTENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("CONTENT_S3_REGION", default="") or None,
            "access_key": env_secret("CONTENT_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env_secret("CONTENT_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("CONTENT_S3_PREFIX", default="courseops-media"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    STORAGES["content"] = STORAGES["default"]
# Engagement: students' questions emailed to this address (anymail inbound) are answered
# from the knowledge base; empty means inbound email is not read for questions.
HELP_INBOX_ADDRESS = env.str("HELP_INBOX_ADDRESS", default="")

# Messaging (courseops.messaging)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# A second provider (another anymail backend, with its own keys in ANYMAIL below) that takes
# an email the primary surely did not: unreachable, or answering 429/500/502/503. Empty: none.
EMAIL_FAILOVER_BACKEND = env.str("EMAIL_FAILOVER_BACKEND", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CourseOps <hola@example.com>")
# Where Django's error emails to ADMINS come from; the sender of every other email is
# DEFAULT_FROM_EMAIL (or MARKETING_SENDERS).
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="[CourseOps] ")
# The file backend (django.core.mail.backends.filebased.EmailBackend) writes here.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "emails"))
# The SMTP backend (django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_SSL_CERTFILE = env.str("EMAIL_SSL_CERTFILE", default="") or None
EMAIL_SSL_KEYFILE = env.str("EMAIL_SSL_KEYFILE", default="") or None
EMAIL_USE_LOCALTIME = env.bool("EMAIL_USE_LOCALTIME", default=False)
ANYMAIL = {
    key: value
    for key, value in {
        "POSTMARK_SERVER_TOKEN": env_secret("POSTMARK_SERVER_TOKEN", default=""),
        "MAILGUN_API_KEY": env_secret("MAILGUN_API_KEY", default=""),
        "MAILGUN_SENDER_DOMAIN": env.str("MAILGUN_SENDER_DOMAIN", default=""),
        "BREVO_API_KEY": env_secret("BREVO_API_KEY", default=""),
        "RESEND_API_KEY": env_secret("RESEND_API_KEY", default=""),
        "SENDGRID_API_KEY": env_secret("SENDGRID_API_KEY", default=""),
        # Webhook credentials: /anymail/<provider>/tracking|inbound/ answer 403 until one
        # that authenticates the door is set (courseops.messaging.email_webhooks).
        "WEBHOOK_SECRET": env_secret("ANYMAIL_WEBHOOK_SECRET", default=""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_secret("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": env_secret(
            "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY", default=""
        ),
        "RESEND_SIGNING_SECRET": env_secret("RESEND_SIGNING_SECRET", default=""),
        "RESEND_INBOUND_SECRET": env_secret("RESEND_INBOUND_SECRET", default=""),
        # Seconds; anymail's default is 30. Every provider call must end.
        "REQUESTS_TIMEOUT": env.float("ANYMAIL_REQUESTS_TIMEOUT", default=15.0),
    }.items()
    if value
}
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)  # SMTP backend
SMS_BACKEND = env.str("SMS_BACKEND", default="console")  # "console" or "twilio"
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=15.0)
# Where Twilio posts delivery reports (the webhook inbox's Twilio URL); empty: none.
# Where Twilio reports delivery; our own webhook inbox unless a proxy needs another URL.
TWILIO_STATUS_CALLBACK_URL = env.str(
    "TWILIO_STATUS_CALLBACK_URL", default=f"{SITE_URL}/webhooks/twilio/"
)
# Empty means Twilio's own API; set for a regional edge proxy or a local fake.
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")

# Outbox send policy (courseops.messaging.services.policy): messages of these categories
# wait while it is night in the person's time zone ("HH:MM-HH:MM"; empty: never).
MESSAGING_QUIET_HOURS = env.str("MESSAGING_QUIET_HOURS", default="21:00-09:00")
MESSAGING_QUIET_HOURS_CATEGORIES = env.list(
    "MESSAGING_QUIET_HOURS_CATEGORIES", default=["marketing"]
)

# --- Students: intake -------------------------------------------------------------------
# Check that an email's domain accepts mail (DNS lookups): only where the network allows.
STUDENTS_EMAIL_CHECK_DELIVERABILITY = env.bool("STUDENTS_EMAIL_CHECK_DELIVERABILITY", default=False)
# How long the emailed link to correct a registration stays valid.
STUDENTS_CORRECTION_LINK_MAX_AGE = env.int(
    "STUDENTS_CORRECTION_LINK_MAX_AGE", default=14 * 24 * 3600
)

# --- Students (onboarding pipeline, portal, LMS) ------------------------------------------
# Where a new student's account lives: "portal" (our own /portal/) or "thinkific".
LMS_BACKEND = env.str("LMS_BACKEND", default="portal")
THINKIFIC_API_KEY = env_secret("THINKIFIC_API_KEY", default="")
THINKIFIC_SUBDOMAIN = env.str("THINKIFIC_SUBDOMAIN", default="")
THINKIFIC_API_BASE_URL = env.str(
    "THINKIFIC_API_BASE_URL", default="https://api.thinkific.com/api/public/v1"
).rstrip("/")
THINKIFIC_TIMEOUT_SECONDS = env.float("THINKIFIC_TIMEOUT_SECONDS", default=15.0)
# How long an emailed portal sign-in link works (the welcome email carries one).
PORTAL_LINK_MAX_AGE_SECONDS = env.int("PORTAL_LINK_MAX_AGE_SECONDS", default=7 * 24 * 3600)

# --- Students: Stripe billing (students.billing) ------------------------------------------
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", default="")
# Empty means Stripe itself; set for stripe-mock or a local fake.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Seconds per outbound request; the SDK retries connection errors, 409s and 5xxs itself.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_CHECKOUT_SUCCESS_URL = env.str(
    "STRIPE_CHECKOUT_SUCCESS_URL", default=f"{SITE_URL}/portal/?pago=ok"
)
STRIPE_CHECKOUT_CANCEL_URL = env.str(
    "STRIPE_CHECKOUT_CANCEL_URL", default=f"{SITE_URL}/registro/?pago=cancelado"
)
STRIPE_PORTAL_RETURN_URL = env.str("STRIPE_PORTAL_RETURN_URL", default=f"{SITE_URL}/portal/")
# A Checkout Session not paid within this many hours (1-24, Stripe's limits) expires:
# Stripe sends checkout.session.expired and the checkout counts as abandoned.
STRIPE_CHECKOUT_EXPIRES_HOURS = env.int("STRIPE_CHECKOUT_EXPIRES_HOURS", default=24)
# Alert when the last 24 hours bring at least this many failed payments and this many
# times the usual daily number (students/alerts.py).
ALERTS_PAYMENT_FAILURES_MIN = env.int("ALERTS_PAYMENT_FAILURES_MIN", default=3)
ALERTS_PAYMENT_FAILURES_FACTOR = env.float("ALERTS_PAYMENT_FAILURES_FACTOR", default=2.0)

# Webinars (webinars)
# "jitsi" (no account needed) or "zoom" (Server-to-Server OAuth app: the three ZOOM_* keys).
WEBINAR_MEETING_PROVIDER = env.str("WEBINAR_MEETING_PROVIDER", default="jitsi")
JITSI_BASE_URL = env.str("JITSI_BASE_URL", default="https://meet.jit.si")
ZOOM_ACCOUNT_ID = env.str("ZOOM_ACCOUNT_ID", default="")
ZOOM_CLIENT_ID = env.str("ZOOM_CLIENT_ID", default="")
ZOOM_CLIENT_SECRET = env_secret("ZOOM_CLIENT_SECRET", default="")
ZOOM_API_BASE_URL = env.str("ZOOM_API_BASE_URL", default="https://api.zoom.us/v2")
ZOOM_OAUTH_URL = env.str("ZOOM_OAUTH_URL", default="https://zoom.us/oauth/token")
ZOOM_TIMEOUT_SECONDS = env.float("ZOOM_TIMEOUT_SECONDS", default=15.0)
# The Zoom app's "Secret Token" (Features > Event subscriptions): signs /webhooks/zoom/.
ZOOM_WEBHOOK_SECRET_TOKEN = env_secret("ZOOM_WEBHOOK_SECRET_TOKEN", default="")
# Largest recording file (transcript, audio or video) downloaded from Zoom, in MB; it is
# streamed to a temporary file and long audio is split before transcription.
ZOOM_DOWNLOAD_MAX_MB = env.int("ZOOM_DOWNLOAD_MAX_MB", default=2048)
# Largest recording file staff can upload in the admin (a video for YouTube), in MB.
WEBINAR_RECORDING_MAX_MB = env.int("WEBINAR_RECORDING_MAX_MB", default=2048)
# Where approved recordings are published: "console" (nothing leaves, logged) or "youtube".
WEBINAR_VIDEO_PUBLISHER = env.str("WEBINAR_VIDEO_PUBLISHER", default="console")
# YouTube Data API v3: an OAuth client and the channel owner's refresh token
# (scope https://www.googleapis.com/auth/youtube.upload, offline access).
YOUTUBE_CLIENT_ID = env.str("YOUTUBE_CLIENT_ID", default="")
YOUTUBE_CLIENT_SECRET = env_secret("YOUTUBE_CLIENT_SECRET", default="")
YOUTUBE_REFRESH_TOKEN = env_secret("YOUTUBE_REFRESH_TOKEN", default="")
YOUTUBE_PRIVACY_STATUS = env.str("YOUTUBE_PRIVACY_STATUS", default="unlisted")
YOUTUBE_OAUTH_URL = env.str("YOUTUBE_OAUTH_URL", default="https://oauth2.googleapis.com/token")
YOUTUBE_UPLOAD_URL = env.str(
    "YOUTUBE_UPLOAD_URL", default="https://www.googleapis.com/upload/youtube/v3/videos"
)
YOUTUBE_TIMEOUT_SECONDS = env.float("YOUTUBE_TIMEOUT_SECONDS", default=300.0)
# Hours after a webinar ends before its attendance closes and absentees are announced.
WEBINAR_ATTENDANCE_SETTLE_HOURS = env.int("WEBINAR_ATTENDANCE_SETTLE_HOURS", default=24)
# No SMS reminders between these local hours of the registrant ("HH:MM-HH:MM"; empty: none).
WEBINAR_SMS_QUIET_HOURS = env.str("WEBINAR_SMS_QUIET_HOURS", default="21:00-08:00")


# Content pipeline (content)
# Characters of transcript per AI call; longer lessons are summarised part by part.
CONTENT_CHUNK_CHARS = env.int("CONTENT_CHUNK_CHARS", default=12000)
# Largest video downloaded from a URL (bytes) and its timeout per read (seconds).
CONTENT_DOWNLOAD_MAX_BYTES = env.int("CONTENT_DOWNLOAD_MAX_BYTES", default=8 * 1024**3)
CONTENT_DOWNLOAD_TIMEOUT_SECONDS = env.float("CONTENT_DOWNLOAD_TIMEOUT_SECONDS", default=30.0)
# Lessons of one course published within this many minutes go out in one email (digest).
CONTENT_DIGEST_MINUTES = env.int("CONTENT_DIGEST_MINUTES", default=60)
CONTENT_SWEEP_BATCH = env.int("CONTENT_SWEEP_BATCH", default=200)
# Folder scanned by `scan_content_folder` for new videos/subtitles (empty: none).
CONTENT_WATCH_DIR = env.str("CONTENT_WATCH_DIR", default="")
# Languages a course's materials can be translated into (reviewed, one PDF each). Not the
# site's UI languages (`LANGUAGES`): a material language needs no translated portal.
CONTENT_MATERIAL_LANGUAGES = env.list(
    "CONTENT_MATERIAL_LANGUAGES", default=["es", "en", "pt", "fr", "de"]
)
# Languages the AI gateway writes in: the UI languages plus the materials' ones, each
# named in itself for the prompts.
AI_LANGUAGES = [
    (code, dict(LANGUAGES).get(code) or LANG_INFO.get(code, {}).get("name_local", code))
    for code in dict.fromkeys([*dict(LANGUAGES), *CONTENT_MATERIAL_LANGUAGES])
]
# Marketing (marketing)
# A contact's score halves every this many days without new actions.
MARKETING_SCORE_HALF_LIFE_DAYS = env.float("MARKETING_SCORE_HALF_LIFE_DAYS", default=30.0)
# How long the emailed "confirm your subscription" link works (seconds; 30 days).
MARKETING_CONFIRM_LINK_MAX_AGE = env.int("MARKETING_CONFIRM_LINK_MAX_AGE", default=30 * 24 * 3600)
# The From addresses staff may pick for a campaign or sequence, separated by ";" (each
# "Name <address>", verified with the email provider). Empty: DEFAULT_FROM_EMAIL only.
MARKETING_SENDERS = [
    sender.strip()
    for sender in env.str("MARKETING_SENDERS", default="").split(";")
    if sender.strip()
] or [DEFAULT_FROM_EMAIL]
# Social posts: the secret signing posts sent to Zapier/Make/n8n (webhook channels), the
# LinkedIn Posts API (base URL and pinned monthly version), the HTTP timeout, and how many
# days before a channel's token expires staff are warned (an operations alert).
MARKETING_SOCIAL_WEBHOOK_SECRET = env_secret("MARKETING_SOCIAL_WEBHOOK_SECRET", default="")
MARKETING_LINKEDIN_API_BASE = env.str(
    "MARKETING_LINKEDIN_API_BASE", default="https://api.linkedin.com"
)
MARKETING_LINKEDIN_VERSION = env.str("MARKETING_LINKEDIN_VERSION", default="202601")
MARKETING_SOCIAL_TIMEOUT_SECONDS = env.float("MARKETING_SOCIAL_TIMEOUT_SECONDS", default=15.0)
MARKETING_SOCIAL_TOKEN_WARN_DAYS = env.int("MARKETING_SOCIAL_TOKEN_WARN_DAYS", default=10)
# Ad audiences on Meta (Marketing API): ad account, system-user token, Graph base/version.
MARKETING_META_AD_ACCOUNT_ID = env.str("MARKETING_META_AD_ACCOUNT_ID", default="")
MARKETING_META_ACCESS_TOKEN = env_secret("MARKETING_META_ACCESS_TOKEN", default="")
MARKETING_META_API_BASE = env.str("MARKETING_META_API_BASE", default="https://graph.facebook.com")
MARKETING_META_API_VERSION = env.str("MARKETING_META_API_VERSION", default="v26.0")
# Facebook page channels: the app access token ("<app-id>|<app-secret>") that asks Graph's
# debug_token when a page token expires. Empty: each page token inspects itself.
MARKETING_META_APP_TOKEN = env_secret("MARKETING_META_APP_TOKEN", default="")


def _is_hour_range(value):
    try:
        return (
            all(
                len(part) == 5
                and part[2] == ":"
                and part[:2].isdigit()
                and part[3:].isdigit()
                and int(part[:2]) < 24
                and int(part[3:]) < 60
                for part in value.split("-", 1)
            )
            and value.count("-") == 1
        )
    except ValueError:
        return False


if WEBINAR_SMS_QUIET_HOURS and not _is_hour_range(WEBINAR_SMS_QUIET_HOURS):
    raise environ.ImproperlyConfigured(
        f"WEBINAR_SMS_QUIET_HOURS must look like 21:00-08:00, not {WEBINAR_SMS_QUIET_HOURS!r}"
    )
if MESSAGING_QUIET_HOURS and not _is_hour_range(MESSAGING_QUIET_HOURS):
    raise environ.ImproperlyConfigured(
        f"MESSAGING_QUIET_HOURS must look like 21:00-09:00, not {MESSAGING_QUIET_HOURS!r}"
    )
if set(MESSAGING_QUIET_HOURS_CATEGORIES) - {"billing", "engagement", "marketing"}:
    raise environ.ImproperlyConfigured(
        "MESSAGING_QUIET_HOURS_CATEGORIES takes billing, engagement and/or marketing "
        f"(transactional messages are never held back), not {MESSAGING_QUIET_HOURS_CATEGORIES!r}"
    )
if any("@" not in sender or "\n" in sender for sender in MARKETING_SENDERS):
    raise environ.ImproperlyConfigured(
        "MARKETING_SENDERS takes 'Name <address>' entries separated by ';', "
        f"not {MARKETING_SENDERS!r}"
    )
if not 1 <= STRIPE_CHECKOUT_EXPIRES_HOURS <= 24:
    raise environ.ImproperlyConfigured(
        f"STRIPE_CHECKOUT_EXPIRES_HOURS must be 1-24, not {STRIPE_CHECKOUT_EXPIRES_HOURS!r}"
    )
if WEBINAR_MEETING_PROVIDER not in {"jitsi", "zoom"}:
    raise environ.ImproperlyConfigured(
        f"WEBINAR_MEETING_PROVIDER must be 'jitsi' or 'zoom', not {WEBINAR_MEETING_PROVIDER!r}"
    )
if WEBINAR_VIDEO_PUBLISHER not in {"console", "youtube"}:
    raise environ.ImproperlyConfigured(
        f"WEBINAR_VIDEO_PUBLISHER must be 'console' or 'youtube', not {WEBINAR_VIDEO_PUBLISHER!r}"
    )
