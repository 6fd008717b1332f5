"""Reads about the fleet: which tenant has which migration, and past runs."""

from django.db import connection

from shared_apps.migrator.engine.lease import with_owner_alive
from shared_apps.migrator.engine.planner import FleetPlanner, tenant_app_labels
from shared_apps.migrator.engine.state import read_applied_by_function
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant

LAGGING_SHOWN = 50


def tenant_migrations_in_order(planner: FleetPlanner) -> list[tuple[str, str]]:
    """Return the tenant apps' migrations in the order Django would apply them."""
    labels = tenant_app_labels()
    ordered: list[tuple[str, str]] = []
    for leaf in sorted(planner.graph.leaf_nodes()):
        for key in planner.graph.forwards_plan(leaf):
            if key[0] in labels and key not in ordered:
                ordered.append(key)
    return ordered


def fleet_status() -> dict:
    """Return, per tenant-app migration, how many active tenants have it and which lag."""
    planner = FleetPlanner()
    schemas = list(
        Tenant.objects.filter(status=Tenant.Status.ACTIVE)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    states = read_applied_by_function(connection, schemas)
    last_run = migration_run_list().first()
    failed = failed_in(last_run)
    migrations = []
    for app_label, name in tenant_migrations_in_order(planner):
        lagging = [s for s in schemas if (app_label, name) not in states[s]]
        migrations.append(
            {
                "app": app_label,
                "name": name,
                "applied": len(schemas) - len(lagging),
                "lagging_count": len(lagging),
                "lagging": lagging[:LAGGING_SHOWN],
            }
        )
    return {
        "tenants": len(schemas),
        "not_active": Tenant.objects.exclude(status=Tenant.Status.ACTIVE).count(),
        "current": sum(
            1
            for s in schemas
            if not any((m["app"], m["name"]) not in states[s] for m in migrations)
        ),
        "migrations": migrations,
        "last_run": run_summary(last_run) if last_run else None,
        "failed_in_last_run": failed,
    }


def failed_in(run: MigrationRun | None) -> list[dict[str, str]]:
    if run is None:
        return []
    return [
        {"schema": schema, "error": error}
        for schema, error in TenantMigration.objects.filter(
            run=run, status=TenantMigration.Status.FAILED
        )
        .order_by("schema_name")
        .values_list("schema_name", "error")
    ]


def run_summary(run: MigrationRun) -> dict:
    return {
        "id": str(run.id),
        "operation": run.operation,
        "status": run_status(run),
        "executor": run.executor,
        "target": run.target,
        "total": run.total_count,
        "done": run.done_count,
        "failed": run.failed_count,
        "skipped": run.skipped_count,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "requested_by": run.requested_by,
    }


def run_status(run: MigrationRun) -> str:
    """The run's status as the database proves it: `running` only while its owner holds the
    fleet lock; a run whose command died (SIGKILL, lost session) is `interrupted`."""
    if run.status == MigrationRun.Status.RUNNING and not getattr(run, "owner_alive", True):
        return MigrationRun.Status.INTERRUPTED
    return run.status


def migration_run_list():
    """Every run, newest first, annotated with whether its owner is alive."""
    return with_owner_alive(MigrationRun.objects.all())


def migration_run_get(*, run_id) -> MigrationRun:
    return migration_run_list().get(pk=run_id)
