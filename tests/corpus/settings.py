"""Test settings for the real-world corpus: third-party apps with long histories as tenant apps.

contenttypes, auth and sites are tenant apps too (as well as shared), so their post_migrate
handlers write content types, permissions and the default site into every tenant schema.
"""

from config.settings_test import *  # noqa: F403
from config.settings_test import DATABASES, INSTALLED_APPS, TENANT_APPS

CORPUS_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sites",
    "easy_thumbnails",
    "filer",
    "constance",
    "axes",
]
TENANT_APPS = [*TENANT_APPS, *CORPUS_APPS]
INSTALLED_APPS = [*INSTALLED_APPS, *(app for app in CORPUS_APPS if app not in INSTALLED_APPS)]
SITE_ID = 1
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
CONSTANCE_CONFIG = {"GREETING": ("Hello", "Shown on the dashboard")}
AXES_ENABLED = False  # its middleware and backend are not installed; only its tables matter
# Its own test database: these apps change the public schema's recorded history too.
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_corpus"}
# Only the apps' tables and migrations are under test: their admin and login integration
# (filer's admin wants a User admin on the default site, axes its middleware) are not.
SILENCED_SYSTEM_CHECKS = ["admin.E039", "axes.W002", "axes.W003"]
