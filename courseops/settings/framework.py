"""The framework and its infrastructure: Django, the database, cache and broker, sign-in,
languages, static files, security, the API and logging (the apps' own settings are in
`features.py`)."""

from datetime import timedelta
from pathlib import Path

import environ

from courseops.conf import (
    content_security_policies,
    env,
    env_secret,
    production_security_settings,
)
from courseops.core import routing as celery_routing

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
    # unfold without its default of replacing the admin site: ours is unfold's, building
    # each request's app list once (courseops/core/admin_site.py).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "courseops.core.admin_site.CourseOpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Third-party apps under a Spanish name (courseops.operations.third_party_apps).
    "courseops.operations.third_party_apps.SchedulesConfig",
    "anymail",
    "django_structlog",
    "csp",
    "courseops.operations.third_party_apps.SignInRecordsConfig",
    "django_otp",
    "courseops.operations.third_party_apps.TwoFactorConfig",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Vendors' webhooks stop here: the middleware below serves people (static files,
    # request logs, sessions, sign-in, CSRF, messages) and is skipped for the paths in
    # LEAN_PATH_PREFIXES (courseops/core/lean.py); the headers above apply to every request.
    "courseops.core.lean.LeanPathMiddleware",
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
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Signed machine-to-machine requests: no session, user, CSRF or request log middleware.
# The vendors' webhooks and the email providers' (delivery, open and click events, a
# few per email of every campaign; inbound email).
LEAN_PATH_PREFIXES = ["/webhooks/", "/anymail/"]

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
            "BACKEND": "courseops.core.cache.RedisCache",
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
