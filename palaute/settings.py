"""Django settings.

Everything a deployment changes comes from the environment (docs/self-hosting.md).
"""

from pathlib import Path

import dj_database_url

from palaute.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("PALAUTE_DATA_DIR", str(BASE_DIR.parent / "var")))
# The embedded database and collected static files live here; create it on first start.
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger files locally (no CDN)
    "django_tasks",
    "django_tasks_db",
    "palaute.accounts",
    "palaute.journeys",
    "palaute.surveys",
    "palaute.insights",
    "palaute.channels",
    "palaute.outreach",
    "palaute.api",
    "palaute.text",
    "palaute.loop",
    "palaute.webhooks",
    "palaute.reviews",
    "palaute.testimonials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "palaute.accounts.middleware.OrganisationMiddleware",
]

ROOT_URLCONF = "palaute.urls"
WSGI_APPLICATION = "palaute.wsgi.application"
ASGI_APPLICATION = "palaute.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "palaute.accounts.context_processors.organisation",
            ],
        },
    }
]

# SQLite by default (embedded, WAL); PostgreSQL when DATABASE_URL says so.
_default_sqlite = f"sqlite:///{DATA_DIR / 'palaute.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_sqlite), conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept between requests: reopening ran the PRAGMAs and checkpointed the
    # WAL on every request (212 → 421 submissions/s when kept, bench/collect.py).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE avoids upgrade deadlocks.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=20000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Email: SMTP through Django's mail backends (docs/self-hosting.md, docs/automation.md).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # must stay below the send lease
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "palaute@localhost")
EMAIL_BOUNCE_ADDRESS = env_str("EMAIL_BOUNCE_ADDRESS")
EMAIL_WEBHOOK_SECRET = env_str("EMAIL_WEBHOOK_SECRET")
OUTREACH_SEND_LEASE_SECONDS = env_int("OUTREACH_SEND_LEASE_SECONDS", 300)

# SMS (docs/automation.md): "console" prints; "twilio" sends through SMS_API_BASE_URL.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_API_BASE_URL = env_str("SMS_API_BASE_URL", "https://api.twilio.com")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN")
SMS_FROM = env_str("SMS_FROM")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
OUTREACH_PERIODIC_SECONDS = env_int("OUTREACH_PERIODIC_SECONDS", 60)

# Public reviews (palaute/reviews/conf.py reads these). Tokens of review sources are encrypted
# with Fernet: comma-separated keys, newest first; empty derives one from SECRET_KEY.
REVIEWS_ENCRYPTION_KEY = env_str("REVIEWS_ENCRYPTION_KEY", "")
REVIEWS_SYNC_MINUTES = env_int("REVIEWS_SYNC_MINUTES", 30)
REVIEWS_FULL_SYNC_DAYS = env_int("REVIEWS_FULL_SYNC_DAYS", 7)
REVIEWS_FACEBOOK_LOOKBACK_DAYS = env_int("REVIEWS_FACEBOOK_LOOKBACK_DAYS", 30)
REVIEWS_CASE_MAX_AGE_DAYS = env_int("REVIEWS_CASE_MAX_AGE_DAYS", 14)
REVIEWS_HTTP_TIMEOUT = env_int("REVIEWS_HTTP_TIMEOUT", 15)
# Outgoing webhooks (palaute/webhooks/conf.py reads these).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", DEBUG)
WEBHOOKS_TIMEOUT = env_int("WEBHOOKS_TIMEOUT", 10)
WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 5)
WEBHOOKS_SECRET_GRACE_HOURS = env_int("WEBHOOKS_SECRET_GRACE_HOURS", 24)
WEBHOOKS_KEEP_DAYS = env_int("WEBHOOKS_KEEP_DAYS", 30)
WEBHOOKS_NO_ENDPOINTS_CACHE_SECONDS = env_int("WEBHOOKS_NO_ENDPOINTS_CACHE_SECONDS", 5)
REVIEWS_GOOGLE_AUTH_URL = env_str(
    "REVIEWS_GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth"
)

# Response imports (channels.import_staging): largest upload; where uploads wait between steps.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)
IMPORT_STAGING_DIR = env_str("IMPORT_STAGING_DIR", str(DATA_DIR / "imports"))

# Rate-limit counters live in the cache: per process by default, shared with REDIS_URL.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}
# Limits as "<requests>/<period>" (see palaute/lib/ratelimit.py).
RATE_LIMIT_API_TOKEN = env_str("RATE_LIMIT_API_TOKEN", "600/min")
RATE_LIMIT_API_IP = env_str("RATE_LIMIT_API_IP", "1200/min")
RATE_LIMIT_PUBLIC_IP = env_str("RATE_LIMIT_PUBLIC_IP", "120/min")
# Reverse proxies in front of Palaute that append to X-Forwarded-For (lib/clientip.py).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
