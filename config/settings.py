"""Settings for Dev Context: one module, every deploy difference is an environment variable.

The variables are documented in `.env.example`.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.database import database_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - DEBUG only

# Tenants live at <slug>.<TENANT_BASE_DOMAIN>; the bare base domain is the public site.
TENANT_BASE_DOMAIN = env("TENANT_BASE_DOMAIN", default="localhost").lower()
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[TENANT_BASE_DOMAIN, f".{TENANT_BASE_DOMAIN}", "127.0.0.1"],
)
# Hosts that serve the public schema besides the base domain itself (e.g. the pod IP in k8s).
PUBLIC_HOSTS = env.list("PUBLIC_HOSTS", default=["127.0.0.1"])

# --- Applications ---------------------------------------------------------------------------

SHARED_APPS = [
    # Our apps come before django_tenants: the first app providing a command wins, so our
    # migrate_schemas and create_tenant replace django-tenants' ones.
    "shared_apps.tenants",
    "shared_apps.accounts",
    "shared_apps.migrator",
    "shared_apps.audit",
    "rls",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    # After the admin: its admin templates assume every request has a tenant, while our base
    # domain has none and the two admin sites (operators, tenants) are already separate.
    "django_tenants",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenant_schemas_celery",
]
TENANT_APPS = [
    "tenant_apps.teams",
    "tenant_apps.projects",
    "tenant_apps.tracker",
    "tenant_apps.context",
    "tenant_apps.integrations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
# django-tenants sends a session-level SET search_path once per schema switch instead of before
# every cursor: the RLS backend already sets it inside each tenant transaction (set_config(...,
# true)), which is what stays correct behind PgBouncer in transaction mode.
TENANT_LIMIT_SET_CALLS = True
TENANT_DOMAIN_MODEL = "tenants.Domain"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    # Health first: probes must answer whatever Host header they carry.
    "config.health.HealthCheckMiddleware",
    # Refuse oversized bodies (413) before any middleware or parser reads them.
    "config.api.middleware.RequestBodyLimitMiddleware",
    # Every 404 is JSON, DEBUG's technical page included (the routing middleware's too).
    "config.api.middleware.JsonNotFoundMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shared_apps.tenants.middleware.TenantRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database ---------------------------------------------------------------------------------

# Two roles (see README "Isolation"): the application role (DATABASE_URL) serves requests and
# tenant-scoped tasks; the owner role (DATABASE_OWNER_URL) runs DDL, migrations and operator jobs.
# A process picks one with DJANGO_DB_ROLE: manage.py defaults to "owner", everything else "app".
DATABASE_URL = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/devcontext")
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default=DATABASE_URL)
DATABASE_ROLE = env("DJANGO_DB_ROLE", default="app")
if DATABASE_ROLE not in {"app", "owner"}:
    raise ImproperlyConfigured("DJANGO_DB_ROLE must be 'app' or 'owner'.")
DATABASES = {
    "default": database_config(DATABASE_OWNER_URL if DATABASE_ROLE == "owner" else DATABASE_URL),
}
# django-tenants' backend plus the per-transaction RLS tenant context (see rls/backend/base.py).
DATABASES["default"]["ENGINE"] = "rls.backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Citus (schema-based sharding): "auto" detects the citus extension on the database; "on" or
# "off" decides without asking. On Citus every tenant schema is a distributed schema.
CITUS = env("CITUS", default="auto").lower()
if CITUS not in {"auto", "on", "off"}:
    raise ImproperlyConfigured("CITUS must be 'auto', 'on' or 'off'.")
# The application role `manage.py setup_db_roles` creates when DATABASE_URL names the owner
# (development); otherwise DATABASE_URL's user and password are the application role.
APP_DB_ROLE = env("APP_DB_ROLE", default="devcontext_app")
APP_DB_PASSWORD = env("APP_DB_PASSWORD", default="")
# Prefix of the per-tenant, tenant-group and operator role names (cluster-wide, see
# rls/tenant_roles.py); empty: the database name and "_", so databases on one server never share.
RLS_ROLE_PREFIX = env("RLS_ROLE_PREFIX", default="")

# --- Celery -----------------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Operator work (fleet migrations, onboarding) needs DDL: it goes to the `operator` queue, whose
# workers run as the owner role; tenant-scoped tasks stay on `celery` with the application role.
CELERY_TASK_ROUTES = {"fleet.*": {"queue": "operator"}, "onboarding.*": {"queue": "operator"}}
# Redis redelivers an unacknowledged task (worker killed) after `visibility_timeout` seconds;
# JSON, e.g. {"visibility_timeout": 3600}. Keep it above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})

# The shared cache (login throttles count here, across every web process): Redis.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="devcontext"),
    }
}

# --- Auth, i18n, static -----------------------------------------------------------------------

# Database sessions reached by key only, through functions: the serving roles cannot read the
# session table (shared_apps/accounts/sessions.py, rls/README.md).
SESSION_ENGINE = "shared_apps.accounts.sessions"

# Sessions find their user on any host, so a signed-in non-member gets 403 rather than 401.
AUTHENTICATION_BACKENDS = ["shared_apps.accounts.authentication.UserBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Invitations, set-password and reset links go out through Django's email backend: EMAIL_URL
# (django-environ: smtp+tls://user:pass@host:587, consolemail://) — the console by default;
# the test runner swaps in the in-memory backend.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Dev Context <no-reply@localhost>")
# How long a set-password or password-reset link works (Django's token generator).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)
LOGIN_REDIRECT_URL = "/api/"

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST API (see README "API") ----------------------------------------------------------

# Request bodies larger than this get 413 before they are read.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shared_apps.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "config.api.filters.SearchFilter",
        "config.api.filters.OrderingFilter",
    ],
    # POST /api/auth/token/ (config/api/throttling.py): attempts per account and per client IP.
    "DEFAULT_THROTTLE_RATES": {
        "login-account": env("LOGIN_THROTTLE_ACCOUNT_RATE", default="10/min"),
        "login-ip": env("LOGIN_THROTTLE_IP_RATE", default="30/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.TenantAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dev Context API",
    "DESCRIPTION": (
        "On an organisation's host (`<slug>.<base domain>`): its projects, tasks, sessions, "
        "documents and access. On the base domain: the operator API. Authenticate with "
        "`Authorization: Bearer <key>` (POST /api/auth/token/ on the organisation's host)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.shown_once_fields_are_optional",
    ],
}

# Fleet migrator (migrate_schemas): parallel workers, the most connections a run may hold, and
# the per-tenant transaction's timeouts (a tenant that waits on a lock longer is retried).
MIGRATOR_WORKERS = env.int("MIGRATOR_WORKERS", default=2)
MIGRATOR_MAX_CONNECTIONS = env.int("MIGRATOR_MAX_CONNECTIONS", default=8)
MIGRATOR_LOCK_TIMEOUT = env("MIGRATOR_LOCK_TIMEOUT", default="5s")
MIGRATOR_STATEMENT_TIMEOUT = env("MIGRATOR_STATEMENT_TIMEOUT", default="10min")
# `--executor celery`: every HEARTBEAT seconds the workers are asked which chunks they run; a
# chunk missing LOST_AFTER beats in a row (its worker died) is re-queued up to REQUEUES times,
# then its tenants are recorded failed, so a run never waits on a dead worker.
MIGRATOR_CELERY_HEARTBEAT = env.float("MIGRATOR_CELERY_HEARTBEAT", default=5.0)
MIGRATOR_CELERY_LOST_AFTER = env.int("MIGRATOR_CELERY_LOST_AFTER", default=3)
MIGRATOR_CELERY_REQUEUES = env.int("MIGRATOR_CELERY_REQUEUES", default=2)

# A tenant still `provisioning` this many seconds after its last change lost its worker: the
# operator API's retry queues it again (once: the retry restarts the clock).
TENANT_PROVISIONING_DEADLINE = env.float("TENANT_PROVISIONING_DEADLINE", default=300)

# Where pg_dump backups (delete_tenant, migrate_schemas --backup) are written.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
