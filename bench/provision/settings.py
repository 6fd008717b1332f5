"""Bench settings: the project's, on a scratch database, with django-tenants' own commands.

django_tenants comes first so `migrate_schemas` (what `auto_create_schema` calls) is
django-tenants' command, as its users run it, not the project's fleet migrator.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES, SHARED_APPS, TENANT_APPS

SHARED_APPS = ["django_tenants", *[app for app in SHARED_APPS if app != "django_tenants"]]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
DATABASES["default"]["NAME"] = os.environ.get("BENCH_DATABASE", "devcontext_bench")
LOGGING = {"version": 1, "disable_existing_loggers": False}
