"""What each core and domain app is configured with, vendors included: outbound HTTP, AI,
support, privacy, operations, encryption, backups, storage, messaging, students, webinars,
content, engagement, marketing and surveys (the framework's settings are in
`framework.py`)."""

from email.utils import parseaddr
from pathlib import Path

import environ
from django.conf.locale import LANG_INFO

from courseops.conf import env, env_secret
from courseops.settings.framework import COURSEOPS_ENV, LANGUAGES, SITE_URL, STORAGES, VAR_DIR

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
# Who hears recordings: empty means AI_PROVIDER; "assemblyai" sends audio to AssemblyAI
# (official SDK) while drafts still go to AI_PROVIDER.
AI_TRANSCRIPTION_PROVIDER = env.str("AI_TRANSCRIPTION_PROVIDER", default="")
ASSEMBLYAI_API_KEY = env_secret("ASSEMBLYAI_API_KEY", default="")
# https://api.eu.assemblyai.com keeps the audio in the EU.
ASSEMBLYAI_BASE_URL = env.str("ASSEMBLYAI_BASE_URL", default="https://api.assemblyai.com")
# The speech model asked for; its price per minute is AI_PRICES["assemblyai-<model>"].
ASSEMBLYAI_SPEECH_MODEL = env.str("ASSEMBLYAI_SPEECH_MODEL", default="universal")
# AssemblyAI transcribes in the background: seconds between status checks, and how long
# to wait for one part before giving up (the transcript is picked up by the next try).
ASSEMBLYAI_POLL_SECONDS = env.float("ASSEMBLYAI_POLL_SECONDS", default=3.0)
ASSEMBLYAI_MAX_WAIT_SECONDS = env.float("ASSEMBLYAI_MAX_WAIT_SECONDS", default=900.0)
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
    # AssemblyAI's list prices: $0.15/hour (Universal), $0.12/hour (Nano).
    "assemblyai-universal": {"per_minute": 0.0025},
    "assemblyai-nano": {"per_minute": 0.002},
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

# Web push (courseops.messaging.providers.push): the VAPID key pair that signs every push
# (`manage.py generate_vapid_keys` makes one). Without both keys push is off: the portal
# offers no opt-in and nothing is queued for the push channel.
WEBPUSH_VAPID_PRIVATE_KEY = env_secret("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
# The contact the push services may write to about our pushes (VAPID "sub" claim).
WEBPUSH_VAPID_SUBJECT = env.str(
    "WEBPUSH_VAPID_SUBJECT", default=f"mailto:{parseaddr(DEFAULT_FROM_EMAIL)[1]}"
)
# The push services a browser's subscription may point at (URL prefixes, "*" for one
# label): any other endpoint is refused, so a student cannot make us POST elsewhere.
WEBPUSH_SERVICE_URLS = env.list(
    "WEBPUSH_SERVICE_URLS",
    default=[
        "https://fcm.googleapis.com/",
        "https://updates.push.services.mozilla.com/",
        "https://web.push.apple.com/",
        "https://*.notify.windows.com/",
    ],
)
WEBPUSH_TIMEOUT_SECONDS = env.float("WEBPUSH_TIMEOUT_SECONDS", default=10.0)

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
# Where a new student's account lives: "portal" (our own /portal/), "thinkific" or
# "teachable".
LMS_BACKEND = env.str("LMS_BACKEND", default="portal")
THINKIFIC_API_KEY = env_secret("THINKIFIC_API_KEY", default="")
THINKIFIC_SUBDOMAIN = env.str("THINKIFIC_SUBDOMAIN", default="")
THINKIFIC_API_BASE_URL = env.str(
    "THINKIFIC_API_BASE_URL", default="https://api.thinkific.com/api/public/v1"
).rstrip("/")
THINKIFIC_TIMEOUT_SECONDS = env.float("THINKIFIC_TIMEOUT_SECONDS", default=15.0)
# Teachable (LMS_BACKEND=teachable): the Admin API key (Settings > API in the school) and
# the school's address, where students sign in (https://escuela.teachable.com or its own
# domain). The webhook secret signs Teachable's deliveries to /webhooks/teachable/.
TEACHABLE_API_KEY = env_secret("TEACHABLE_API_KEY", default="")
TEACHABLE_SCHOOL_URL = env.str("TEACHABLE_SCHOOL_URL", default="").rstrip("/")
TEACHABLE_API_BASE_URL = env.str(
    "TEACHABLE_API_BASE_URL", default="https://developers.teachable.com/v1"
).rstrip("/")
TEACHABLE_TIMEOUT_SECONDS = env.float("TEACHABLE_TIMEOUT_SECONDS", default=15.0)
TEACHABLE_WEBHOOK_SECRET = env_secret("TEACHABLE_WEBHOOK_SECRET", default="")
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
    "STRIPE_CHECKOUT_SUCCESS_URL", default=f"{SITE_URL}/registro/gracias/"
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
# Where approved recordings are published: "console" (nothing leaves, logged), "youtube"
# or "vimeo".
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
# Google Calendar (the staff calendar, with the Google account of GOOGLE_REFRESH_TOKEN and
# scope calendar.events): webinars write their events there, and an event whose title
# starts with the marker becomes a webinar. Empty id: no sync.
GOOGLE_CALENDAR_ID = env.str("GOOGLE_CALENDAR_ID", default="")
GOOGLE_CALENDAR_MARKER = env.str("GOOGLE_CALENDAR_MARKER", default="[webinar]")
# Push notifications (events.watch) to /webhooks/google_calendar/ when SITE_URL is public
# https: Google sends this token back with each one; empty: no push, the periodic sync only.
GOOGLE_CALENDAR_CHANNEL_TOKEN = env_secret("GOOGLE_CALENDAR_CHANNEL_TOKEN", default="")
# Vimeo: a personal access token with the scopes upload, edit and delete (delete removes
# the empty video an interrupted upload leaves); who may watch: anybody, unlisted, nobody,
# disable (only where embedded) or password.
VIMEO_ACCESS_TOKEN = env_secret("VIMEO_ACCESS_TOKEN", default="")
VIMEO_PRIVACY_VIEW = env.str("VIMEO_PRIVACY_VIEW", default="unlisted")
VIMEO_API_URL = env.str("VIMEO_API_URL", default="https://api.vimeo.com").rstrip("/")
VIMEO_TIMEOUT_SECONDS = env.float("VIMEO_TIMEOUT_SECONDS", default=300.0)
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
# Cloud folders watched for new lessons (content.RemoteFolder, set up in the admin): a
# Google account's OAuth client and refresh token (scope drive.readonly, offline access),
# shared with the Calendar sync below; Dropbox's app key/secret and a refresh token.
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env_secret("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_REFRESH_TOKEN = env_secret("GOOGLE_REFRESH_TOKEN", default="")
GOOGLE_TOKEN_URI = env.str("GOOGLE_TOKEN_URI", default="https://oauth2.googleapis.com/token")
# Another root for Google's APIs (a proxy); empty: Google's own.
GOOGLE_API_ENDPOINT = env.str("GOOGLE_API_ENDPOINT", default="")
GOOGLE_TIMEOUT_SECONDS = env.float("GOOGLE_TIMEOUT_SECONDS", default=60.0)
DROPBOX_APP_KEY = env.str("DROPBOX_APP_KEY", default="")
DROPBOX_APP_SECRET = env_secret("DROPBOX_APP_SECRET", default="")
DROPBOX_REFRESH_TOKEN = env_secret("DROPBOX_REFRESH_TOKEN", default="")
DROPBOX_TIMEOUT_SECONDS = env.float("DROPBOX_TIMEOUT_SECONDS", default=60.0)
# A video found in a cloud folder waits this long for its subtitle file (same name,
# .vtt/.srt) before its lesson starts without one.
CONTENT_REMOTE_SETTLE_MINUTES = env.int("CONTENT_REMOTE_SETTLE_MINUTES", default=10)
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
# The blog (WordPress): an approved lesson summary becomes a draft post. The site's URL,
# a user allowed to write posts and one of their application passwords (Users > Profile >
# Application Passwords). Empty URL: no blog.
WORDPRESS_URL = env.str("WORDPRESS_URL", default="")
WORDPRESS_USERNAME = env.str("WORDPRESS_USERNAME", default="")
WORDPRESS_APP_PASSWORD = env_secret("WORDPRESS_APP_PASSWORD", default="")
WORDPRESS_TIMEOUT_SECONDS = env.float("WORDPRESS_TIMEOUT_SECONDS", default=20.0)
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

# HubSpot CRM (docs/integrations.md#hubspot): a private app's access token; empty = off.
HUBSPOT_ACCESS_TOKEN = env_secret("HUBSPOT_ACCESS_TOKEN", default="")
HUBSPOT_API_BASE = env.str("HUBSPOT_API_BASE", default="https://api.hubapi.com")
HUBSPOT_TIMEOUT_SECONDS = env.float("HUBSPOT_TIMEOUT_SECONDS", default=15.0)
HUBSPOT_MAX_ATTEMPTS = env.int("HUBSPOT_MAX_ATTEMPTS", default=8)
HUBSPOT_DEAL_ID_PROPERTY = env.str("HUBSPOT_DEAL_ID_PROPERTY", default="courseops_subscription_id")
HUBSPOT_DEAL_PIPELINE = env.str("HUBSPOT_DEAL_PIPELINE", default="default")
HUBSPOT_DEAL_STAGE_OPEN = env.str("HUBSPOT_DEAL_STAGE_OPEN", default="contractsent")
HUBSPOT_DEAL_STAGE_WON = env.str("HUBSPOT_DEAL_STAGE_WON", default="closedwon")
HUBSPOT_DEAL_STAGE_LOST = env.str("HUBSPOT_DEAL_STAGE_LOST", default="closedlost")

# Google Analytics 4 Measurement Protocol (docs/integrations.md#google-analytics-4): the web
# stream's measurement id and an API secret created for it; either empty = off.
GA4_MEASUREMENT_ID = env.str("GA4_MEASUREMENT_ID", default="")
GA4_API_SECRET = env_secret("GA4_API_SECRET", default="")
GA4_API_BASE = env.str("GA4_API_BASE", default="https://www.google-analytics.com")
GA4_TIMEOUT_SECONDS = env.float("GA4_TIMEOUT_SECONDS", default=10.0)
GA4_MAX_ATTEMPTS = env.int("GA4_MAX_ATTEMPTS", default=6)


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
if WEBINAR_VIDEO_PUBLISHER not in {"console", "youtube", "vimeo"}:
    raise environ.ImproperlyConfigured(
        "WEBINAR_VIDEO_PUBLISHER must be 'console', 'youtube' or 'vimeo', "
        f"not {WEBINAR_VIDEO_PUBLISHER!r}"
    )
if VIMEO_PRIVACY_VIEW not in {"anybody", "unlisted", "nobody", "disable", "password"}:
    raise environ.ImproperlyConfigured(
        "VIMEO_PRIVACY_VIEW must be anybody, unlisted, nobody, disable or password, "
        f"not {VIMEO_PRIVACY_VIEW!r}"
    )
