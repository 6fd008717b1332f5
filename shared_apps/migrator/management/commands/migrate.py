"""migrate: in this project, the public schema and then every tenant through the fleet engine.

django-tenants' `migrate` loops over schemas with Django's executor: it would migrate suspended
tenants, take no fleet lock and record no run. Here `migrate` is `migrate_schemas`.
"""

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS
from django.db.migrations.autodetector import MigrationAutodetector

from shared_apps.migrator.management.commands.migrate_schemas import Command as MigrateSchemas


class Command(MigrateSchemas):
    # Django's system check compares it with makemigrations' (a custom autodetector must match).
    autodetector = MigrationAutodetector
    help = (
        "Same as migrate_schemas: the public schema, then every active tenant through the "
        "fleet engine (locked, recorded in a run, resumable)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Django's callers (e.g. the test runner creating its database) pass these.
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--run-syncdb", action="store_true", dest="run_syncdb")

    def handle(self, *args, **options):
        if options.pop("database") != DEFAULT_DB_ALIAS:
            raise CommandError("Tenant schemas live in the default database only.")
        return super().handle(*args, **options)
