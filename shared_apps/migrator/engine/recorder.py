"""Write fleet runs and each tenant's outcome to MigrationRun / TenantMigration."""

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils import timezone

from shared_apps.migrator.engine.runner import Outcome, RunOptions
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant


def run_start(
    *, operation: str, target: dict, options: dict, executor: str, requested_by: str
) -> MigrationRun:
    """Create a run in `running` state."""
    return MigrationRun.objects.create(
        operation=operation,
        target=target,
        options=options,
        executor=executor,
        requested_by=requested_by,
        status=MigrationRun.Status.RUNNING,
        started_at=timezone.now(),
    )


def tenants_enrol(run: MigrationRun, tenants: Iterable[Tenant], states: dict) -> dict[str, str]:
    """Create a pending record per tenant; return schema → record id."""
    rows = [
        TenantMigration(
            run=run,
            tenant=tenant,
            schema_name=tenant.schema_name,
            state_before=sorted(
                f"{app}.{name}" for app, name in states.get(tenant.schema_name, ())
            ),
        )
        for tenant in tenants
    ]
    TenantMigration.objects.bulk_create(rows, batch_size=500)
    return {row.schema_name: str(row.id) for row in rows}


def tenants_skip(run: MigrationRun, tenants: Iterable[Tenant]) -> None:
    """Record tenants that were not migrated because they are not active."""
    TenantMigration.objects.bulk_create(
        [
            TenantMigration(
                run=run,
                tenant=tenant,
                schema_name=tenant.schema_name,
                status=TenantMigration.Status.SKIPPED,
                error=f"tenant is {tenant.status}",
            )
            for tenant in tenants
        ],
        batch_size=500,
    )


def outcome_record(run_id, outcome: Outcome) -> None:
    """Record a failure (successes are recorded inside the tenant's own transaction)."""
    if outcome.status != "failed":
        return
    TenantMigration.objects.filter(run_id=run_id, schema_name=outcome.schema).update(
        status=TenantMigration.Status.FAILED,
        error=outcome.error[:5000],
        duration_ms=outcome.duration_ms,
        finished_at=timezone.now(),
        attempts=outcome.attempts,
        applied=[],
    )


def tenants_mark_running(run_id, schemas: list[str]) -> None:
    TenantMigration.objects.filter(run_id=run_id, schema_name__in=schemas).exclude(
        status=TenantMigration.Status.DONE
    ).update(status=TenantMigration.Status.RUNNING, started_at=timezone.now())


def run_finish(run: MigrationRun, *, interrupted: bool = False) -> MigrationRun:
    """Count outcomes and close the run: done, failed, or interrupted (resumable)."""
    counts = TenantMigration.objects.filter(run=run).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=TenantMigration.Status.DONE)),
        failed=Count("id", filter=Q(status=TenantMigration.Status.FAILED)),
        skipped=Count("id", filter=Q(status=TenantMigration.Status.SKIPPED)),
    )
    run.total_count, run.done_count = counts["total"], counts["done"]
    run.failed_count, run.skipped_count = counts["failed"], counts["skipped"]
    unfinished = run.total_count - run.done_count - run.failed_count - run.skipped_count
    if interrupted or unfinished:
        run.status = (
            MigrationRun.Status.INTERRUPTED if not run.failed_count else MigrationRun.Status.FAILED
        )
    else:
        run.status = MigrationRun.Status.FAILED if run.failed_count else MigrationRun.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    return run


def failed_tenants(run: MigrationRun) -> list[tuple[str, str]]:
    return list(
        TenantMigration.objects.filter(run=run, status=TenantMigration.Status.FAILED)
        .order_by("schema_name")
        .values_list("schema_name", "error")
    )


def mark_done(run_id, schemas: list[str]) -> None:
    """Record tenants found already at the target as done."""
    if schemas:
        TenantMigration.objects.filter(run_id=run_id, schema_name__in=schemas).exclude(
            status=TenantMigration.Status.DONE
        ).update(status=TenantMigration.Status.DONE, error="", finished_at=timezone.now())


def run_reopen(run: MigrationRun) -> None:
    """Mark a resumed run running again."""
    MigrationRun.objects.filter(pk=run.pk).update(status=MigrationRun.Status.RUNNING)
    run.status = MigrationRun.Status.RUNNING


def run_options(run: MigrationRun) -> RunOptions:
    """Return the per-tenant options a run was started with."""
    return RunOptions(
        fake=run.options.get("fake", False),
        lock_timeout=run.options.get("lock_timeout", RunOptions.lock_timeout),
        statement_timeout=run.options.get("statement_timeout", RunOptions.statement_timeout),
    )
