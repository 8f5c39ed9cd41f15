"""EstateDesk settings: one module, driven by environment variables.

Defaults give a working embedded install (SQLite in WAL mode under ./data). Production sets at least
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; see docs/deployment.md.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent  # the estatedesk package
PROJECT_DIR = BASE_DIR.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(os.environ.get("ESTATEDESK_DATA_DIR", PROJECT_DIR / "data"))

_INSECURE_DEV_KEY = "django-insecure-estatedesk-development-only-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY") or _INSECURE_DEV_KEY
# The development key is public: with DEBUG off it would let anybody forge password-reset links and signed
# values, so the site refuses to start without a real one (the same rules as `check --deploy`).
if not DEBUG and (
    SECRET_KEY.startswith("django-insecure-") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to 50 or more random characters when DEBUG is off. Generate one with\n"
        "    python3 -c 'import secrets; print(secrets.token_urlsafe(64))'\n"
        "and set it in the environment (SECRET_KEY=...), or set DEBUG=1 on a development machine."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS hardening is on unless the site is served over plain HTTP on purpose (make demo, tests).
SERVE_HTTPS = env_bool("SERVE_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = SERVE_HTTPS
SESSION_COOKIE_SECURE = SERVE_HTTPS
CSRF_COOKIE_SECURE = SERVE_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if SERVE_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SERVE_HTTPS
SECURE_HSTS_PRELOAD = SERVE_HTTPS
# Behind a TLS-terminating proxy: its X-Forwarded-Proto says whether the client used HTTPS, and the client's
# address is read from X-Forwarded-For, right of which TRUSTED_PROXY_COUNT proxies (or the TRUSTED_PROXIES,
# one address or network per proxy, outermost first) have written theirs (estatedesk.common.clientip).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
try:
    for _proxy in TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy)
    TRUSTED_PROXY_COUNT = len(TRUSTED_PROXIES) or int(os.environ.get("TRUSTED_PROXY_COUNT") or "1")
    if TRUSTED_PROXY_COUNT < 1:
        raise ValueError("TRUSTED_PROXY_COUNT is less than 1")
except ValueError as _error:
    raise ImproperlyConfigured(
        "TRUSTED_PROXIES must list IP addresses or networks (10.0.0.5,10.0.0.0/24) and TRUSTED_PROXY_COUNT "
        f"must be a whole number of at least 1: {_error}"
    ) from _error
# Content-Security-Policy (Django's middleware): scripts and styles only from our own files, never inline
# (page behaviour lives in static/js/app.js and each page's own file; Alpine is its CSP build).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SERVE_HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = False  # the language is no secret

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "estatedesk.common",
    "estatedesk.accounts",
    "estatedesk.org",
    "estatedesk.owners",
    "estatedesk.notifications",
    "estatedesk.feedback",
    "estatedesk.visits",
    "estatedesk.surveys",
    "estatedesk.quality",
    "estatedesk.reporting",
    "estatedesk.analytics",
    "estatedesk.demo",
    "estatedesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # before anything reads the body (413), after the language is known; busy database → 503
    "estatedesk.common.resilience.RequestBodyLimitMiddleware",
    "estatedesk.common.resilience.DatabaseBusyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "estatedesk.common.middleware.PrivateNoStoreMiddleware",
    "estatedesk.common.middleware.RejectMalformedInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "estatedesk.common.middleware.ActorLanguageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "estatedesk.config.urls"
WSGI_APPLICATION = "estatedesk.config.wsgi.application"
ASGI_APPLICATION = "estatedesk.config.asgi.application"

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
                "estatedesk.common.navigation.navigation",
                "estatedesk.notifications.views.unread_count",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "estatedesk.sqlite3"),
            # a worker keeps its connection: opening the file and reading the schema on every request
            # cost more than most pages' queries (bench/RESULTS.md)
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN, so two
    # processes never deadlock upgrading a read lock (see docs/adr/0002-database.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file too, so that concurrency tests meet the same WAL locking as production; one per
    # process, so two test runs side by side do not share (pytest-django deletes it at the end).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-estatedesk-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and rate limits --------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "estatedesk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # owners sign in with their phone number; after axes, so the lockout covers it too
    "estatedesk.owners.auth.PhoneBackend",
]
# Every spelling of a phone number counts against the one account it belongs to.
AXES_USERNAME_CALLABLE = "estatedesk.owners.auth.axes_username"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "estatedesk.common.clientip.client_ip"  # lockouts count the real client
SESSION_COOKIE_AGE = 60 * 60 * 12

# --- i18n -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- request size limits, a busy database, backups (docs/deployment.md) -----------------------------------
# A request body larger than the first matching row's limit answers 413 before it is read. A row names a URL
# ("namespace:name") or a path prefix ("/api/"); "*" is everything else (estatedesk.common.resilience).
_MB = 1024 * 1024
ESTATEDESK_REQUEST_BODY_LIMITS: list[tuple[str, int]] = [
    ("feedback:item_photos", 55 * _MB),  # 5 photos of at most 10 MB, and the form
    ("feedback_portal:new", 55 * _MB),
    ("feedback_portal:qr_form", 55 * _MB),
    ("feedback_portal:item", 55 * _MB),  # the owner adds words and photos to their request (issue 11)
    ("owners:import_upload", 20 * _MB),  # a workbook of at most 10 MB: larger ones get the form's message
    ("/api/", 1 * _MB),  # JSON only
    ("*", 2 * _MB),
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * _MB  # form fields (not files) and bodies read whole
FILE_UPLOAD_MAX_MEMORY_SIZE = 1 * _MB  # larger uploaded files wait in a temporary file, not in memory
ESTATEDESK_RETRY_AFTER_SECONDS = 5  # the Retry-After of a 503 when the database is busy or away
# After a restore, each project's reference numbers of the days from the backup to the restore continue this
# far above the highest one on file: numbers given out after the backup were lost with their items, but a
# customer may have been told one (docs/deployment.md, "Backup and restore").
ESTATEDESK_RESTORE_REFERENCE_GAP = 1000

# --- email ----------------------------------------------------------------------------------------------
# Console by default (mail is printed), SMTP when EMAIL_HOST is set.
_email_host = os.environ.get("EMAIL_HOST", "")
_mail_options: dict[str, object] = {}
if _email_host:
    _mail_backend = "django.core.mail.backends.smtp.EmailBackend"
    _mail_options = {
        "host": _email_host,
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": 30,
    }
else:
    _mail_backend = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "EstateDesk <noreply@estatedesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- background tasks -----------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "periodic"],
    }
}

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request then answers 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON too deep, with NUL or lone surrogates, or numbers beyond 64 bits: 400 (estatedesk.api.parsers)
    "DEFAULT_PARSER_CLASSES": [
        "estatedesk.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "estatedesk.api.pagination.StandardPagination",
    "EXCEPTION_HANDLER": "estatedesk.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_RATE_USER", "1200/minute")},
}
# The schema and its docs page: signed-in staff only, unless API_SCHEMA_PUBLIC (estatedesk.api.permissions).
API_SCHEMA_PUBLIC = env_bool("API_SCHEMA_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "EstateDesk API",
    "SERVE_PERMISSIONS": ["estatedesk.api.permissions.SchemaReader"],
    "DESCRIPTION": "物业服务信息反馈平台 JSON API. Every 4xx answers {code, message, fields}.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # choice sets sharing a field name ("kind", "status") get names of their own
    "ENUM_NAME_OVERRIDES": {
        "FeedbackKindEnum": "estatedesk.feedback.choices.Kind",
        "FeedbackStatusEnum": "estatedesk.feedback.choices.Status",
        "FeedbackEventKindEnum": "estatedesk.feedback.choices.EventKind",
        "StaffTalkKindEnum": "estatedesk.feedback.choices.TalkKind",
        "ChannelEnum": "estatedesk.feedback.choices.Channel",  # `channel` and `via` (issue 11)
        "ClientVisitKindEnum": "estatedesk.visits.choices.ClientVisitKind",
        "ClientVisitStatusEnum": "estatedesk.visits.choices.ClientVisitStatus",
        "VisitPurposeEnum": "estatedesk.visits.choices.Purpose",
        "VisitArrangePurposeEnum": "estatedesk.visits.api.ARRANGEABLE_CHOICES",
        "VisitStatusEnum": "estatedesk.visits.choices.VisitStatus",
        "NonconformityOriginEnum": "estatedesk.quality.choices.Origin",
        "NonconformityHandOriginEnum": "estatedesk.quality.api.HAND_ORIGIN_CHOICES",
        "NonconformityStageEnum": "estatedesk.quality.choices.Stage",
        "NonconformityActionKindEnum": "estatedesk.quality.choices.ActionKind",
        "SurveyCampaignStatusEnum": "estatedesk.surveys.choices.CampaignStatus",
        "SurveyFormKindEnum": "estatedesk.surveys.choices.FormKind",
        "SurveyReportStatusEnum": "estatedesk.surveys.choices.ReportStatus",
        "ActivityKindEnum": "estatedesk.reporting.choices.ActivityKind",
        "ActivityStatusEnum": "estatedesk.reporting.choices.ActivityStatus",
        "DocumentDirectionEnum": "estatedesk.reporting.choices.DocumentDirection",
        "NewsletterIssueStatusEnum": "estatedesk.reporting.choices.IssueStatus",
        "ReportSubmissionStatusEnum": "estatedesk.reporting.choices.SubmissionStatus",
        "RuleProposalStatusEnum": "estatedesk.reporting.choices.ProposalStatus",
        "ReportFieldKindEnum": "estatedesk.reporting.catalogue.FieldKind",
        "AnalyticsScopeKindEnum": "estatedesk.analytics.choices.ScopeKind",
        "AnalyticsPeriodKindEnum": "estatedesk.analytics.choices.PeriodKind",
        "AnalyticsUnitKindEnum": "estatedesk.analytics.api.serializers.BREAKDOWN_KINDS",
        "FigureUnitEnum": "estatedesk.analytics.api.serializers.FIGURE_UNITS",
        "FigureSourceEnum": "estatedesk.analytics.api.serializers.FIGURE_SOURCES",
        "PackTriggerEnum": "estatedesk.analytics.choices.PackTrigger",
        "AlertMetricEnum": "estatedesk.analytics.choices.AlertMetric",
        "AlertComparisonEnum": "estatedesk.analytics.choices.AlertComparison",
        "AlertWindowEnum": "estatedesk.analytics.choices.AlertWindow",
    },
}

# --- logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- EstateDesk ---------------------------------------------------------------------------------------------
ESTATEDESK_SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "15"))

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # also creates DATA_DIR for the SQLite database
# The public address printed in QR codes (optional; otherwise the address the sheet was opened at).
ESTATEDESK_PUBLIC_URL = os.environ.get("ESTATEDESK_PUBLIC_URL", "")
