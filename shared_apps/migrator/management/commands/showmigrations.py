"""showmigrations: shared apps from the public schema; tenant apps as fleet counts, or one
tenant schema's [X] with --schema."""

from django.core.management.base import CommandError
from django.core.management.commands.showmigrations import Command as DjangoShowMigrations
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from shared_apps.migrator.engine.planner import tenant_app_labels
from shared_apps.migrator.selectors import fleet_status
from shared_apps.tenants.provisioning import schema_exists


class Command(DjangoShowMigrations):
    help = (
        "Show migrations: shared apps as applied in the public schema, tenant apps as how many "
        "active tenants have each one (--schema S: that tenant schema's own [X] marks)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--schema", help="Show this tenant schema's applied migrations.")

    def handle(self, *args, **options):
        schema = options.pop("schema")
        if schema:
            if not schema_exists(schema):
                raise CommandError(f"No schema '{schema}'. Tenants: manage.py migration_status.")
            connection.set_schema(schema)
            try:
                return super().handle(*args, **options)
            finally:
                connection.set_schema_to_public()
        if options["format"] == "plan":
            return super().handle(*args, **options)  # Django's order, from the public schema
        tenant_labels = tenant_app_labels()
        asked = options["app_label"] or sorted(
            MigrationLoader(None, ignore_no_migrations=True).migrated_apps
        )
        shared = [label for label in asked if label not in tenant_labels]
        if shared:
            super().handle(*args, **{**options, "app_label": shared})
        fleet = [label for label in asked if label in tenant_labels]
        if fleet:
            self.show_fleet(fleet)

    def show_fleet(self, labels: list[str]) -> None:
        status = fleet_status()
        total = status["tenants"]
        self.stdout.write(
            f"Tenant apps, over {total} active tenant(s) "
            "(--schema S for one tenant, migration_status for the lagging ones):"
        )
        for label in labels:
            self.stdout.write(label, self.style.MIGRATE_LABEL)
            for migration in (m for m in status["migrations"] if m["app"] == label):
                mark = "[X]" if migration["lagging_count"] == 0 else "[ ]"
                self.stdout.write(f" {mark} {migration['name']} ({migration['applied']}/{total})")
