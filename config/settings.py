"""Yishi settings, read from the environment.

`YISHI_ENV` is `dev` (the default: SQLite, in-memory channel layer, console SMS and mail)
or `production` (secure cookies, HSTS, and no default secret key). `DATABASE_URL` and
`REDIS_URL` switch to PostgreSQL and Redis.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

YISHI_ENV = os.environ.get("YISHI_ENV", "dev")
if YISHI_ENV not in {"dev", "production"}:
    raise ImproperlyConfigured(f"YISHI_ENV must be 'dev' or 'production', not {YISHI_ENV!r}")
PRODUCTION = YISHI_ENV == "production"

DEBUG = not PRODUCTION and os.environ.get("DEBUG", "1") == "1"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when YISHI_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    # Top layer first: cms's `seed_demo` extends deliberation's and takes its name.
    "cms",
    "deliberation",
    "polls",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "polymorphic",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "deliberation.middleware.StaffMfaRequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections do not suit ASGI; use a pooler such as pgbouncer.
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in its own thread with its own connection. A small
    # pool per process makes a burst wait for a connection instead of running dozens of
    # transactions at once that fight over the GIL while holding row locks (the trace
    # head): measured in bench/vote_burst.py, 4 connections per process meet 75 votes/s
    # with p95 38 ms where 20 fell 17 s behind.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DB_POOL_SIZE", "4")),
        "timeout": 30,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer lock instead of failing at once; concurrent writers queue up.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Parallel test workers share one Redis; each keeps its own keys and groups.
REDIS_PREFIX = "yishi" + os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "deliberation.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "deliberation:my_home"
LOGOUT_REDIRECT_URL = "/"

# django-allauth: phone number and one-time code; email optional; TOTP for everyone.
ACCOUNT_ADAPTER = "deliberation.accounts.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email"]
ACCOUNT_SIGNUP_FORM_CLASS = "deliberation.forms.SignupExtraForm"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 300
ACCOUNT_PREVENT_ENUMERATION = True
# Six digits, as Chinese SMS codes are; three attempts per code.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGOUT_ON_GET = False
# Every code costs the community an SMS and can be used to pester a number: at most one
# a minute, five an hour and ten a day per number. Per address the limits stay loose
# enough for a sign-up session in the community centre, where everyone shares one IP.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "30/10m/ip",
    "confirm_email": "1/3m/key",
    "request_login_code": "20/m/ip,1/m/key,5/h/key,10/d/key",
    "change_phone": "1/m/key,5/h/key",
}
ACCOUNT_FORMS = {
    "confirm_login_code": "deliberation.account_forms.ConfirmLoginCodeForm",
    "verify_phone": "deliberation.account_forms.VerifyPhoneForm",
}
MFA_FORMS = {"activate_totp": "deliberation.account_forms.ActivateTOTPForm"}
MFA_ADAPTER = "deliberation.mfa.MfaAdapter"
# Encrypts TOTP secrets at rest; defaults to a key derived from SECRET_KEY. Set it to keep
# two-factor working across a SECRET_KEY rotation.
YISHI_MFA_KEY = os.environ.get("YISHI_MFA_KEY", "")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Yishi 议事"

# polls knows no places: deliberation tells it which staff answer for a poll.
POLLS_STAFF_POLICY = "deliberation.policies.can_watch_poll"

# SMS: a dotted path to a sender class (see deliberation/sms.py and docs/sms.md).
YISHI_SMS_BACKEND = os.environ.get("YISHI_SMS_BACKEND", "deliberation.sms.ConsoleSmsBackend")

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "yishi@localhost")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

WAGTAIL_SITE_NAME = "议事 Yishi"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Staff sign in like everyone else: phone, SMS code, then TOTP. No passwords.
WAGTAILADMIN_LOGIN_URL = "/back-office/sign-in/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Approval by the community's supervisory committee publishes a disclosure.
WAGTAIL_FINISH_WORKFLOW_ACTION = "cms.workflows.publish_approved"
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "xlsx", "jpg", "jpeg", "png"]

# The import of dwellings shows a progress bar above this many rows.
YISHI_IMPORT_PROGRESS_MIN_ROWS = 2000
# A question on a disclosure still unanswered after this many days is shown as overdue.
YISHI_QUESTION_ANSWER_DAYS = int(os.environ.get("YISHI_QUESTION_ANSWER_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"yishi": {"handlers": ["console"], "level": "INFO"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
