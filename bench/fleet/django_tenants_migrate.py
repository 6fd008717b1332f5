"""django-tenants' own migrate_schemas (the peer), for `tracker 0003` over every tenant."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand  # noqa: E402

settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
call_command(
    MigrateSchemasCommand(),
    "tracker",
    "0003",
    tenant=True,
    executor=sys.argv[1],
    interactive=False,
    verbosity=0,
)
