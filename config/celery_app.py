"""The Celery app: tenant-aware, so a task sent inside a tenant runs in that tenant's schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("devcontext")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Lazy: the task modules import models, so they load once Django is set up.
app.autodiscover_tasks(["tasks"], related_name=None)
