"""sqlmigrate: for a tenant app, the SQL the fleet engine runs in each tenant, as it renders it."""

from django.core.management.base import CommandError
from django.core.management.commands.sqlmigrate import Command as DjangoSqlMigrate
from django.db import connection
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.loader import MigrationLoader

from shared_apps.migrator.engine.compiler import PlanCompiler, SqlStep
from shared_apps.migrator.engine.planner import FleetPlanner, tenant_app_labels
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.template import TEMPLATE_SCHEMA, template_get


class Command(DjangoSqlMigrate):
    help = (
        "Print the SQL of a migration. For a tenant app: what the fleet engine runs in each "
        "tenant schema (unqualified names), and which operations run live per tenant."
    )

    def handle(self, *args, **options):
        app_label, name = options["app_label"], options["migration_name"]
        if app_label not in tenant_app_labels():
            return super().handle(*args, **options)
        planner = FleetPlanner()
        try:
            migration = planner.loader.get_migration_by_prefix(app_label, name)
        except AmbiguityError:
            raise CommandError(
                f"More than one migration matches '{name}' in app '{app_label}'. "
                "Please be more specific."
            ) from None
        except KeyError:
            raise CommandError(
                f"Cannot find a migration matching '{name}' from app '{app_label}'. "
                f"Is it in INSTALLED_APPS?"
            ) from None
        # Every node, squashes and what they replace alike: any of them can be asked for.
        loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
        compiled = PlanCompiler(planner, connection).compile_migration(
            migration, options["backwards"], sample_schema(), loader
        )
        # BaseCommand wraps the output in BEGIN/COMMIT when output_transaction is set.
        self.output_transaction = compiled.atomic
        lines = [f"-- In each tenant schema (search_path: the tenant, public): {migration}"]
        lines += [] if compiled.atomic else ["-- Not atomic: each statement on its own."]
        for step in compiled.steps:
            if isinstance(step, SqlStep):
                lines += [statement.rstrip(";") + ";" for statement in step.statements]
            else:
                lines.append(f"-- Runs live in each tenant: {step.operation.describe()}")
        if not compiled.steps:
            lines.append("-- (no-op)")
        return "\n".join(lines)


def sample_schema() -> str:
    """A schema to render against: the first active tenant, else the template."""
    tenant = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("schema_name").first()
    if tenant is not None:
        return tenant.schema_name
    template_get()
    return TEMPLATE_SCHEMA
