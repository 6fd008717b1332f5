"""Write fleet runs and each tenant's outcome to MigrationRun / TenantMigration."""

import json
import uuid
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from shared_apps.migrator.engine.runner import Outcome, RunOptions
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant


def run_start(
    *,
    operation: str,
    target: dict,
    options: dict,
    executor: str,
    requested_by: str,
    owner_pid: int | None,
) -> MigrationRun:
    """Create a run in `running` state, owned by the lock session `owner_pid` with a new lease."""
    return MigrationRun.objects.create(
        operation=operation,
        target=target,
        options=options,
        executor=executor,
        requested_by=requested_by,
        status=MigrationRun.Status.RUNNING,
        started_at=timezone.now(),
        lease=uuid.uuid4(),
        owner_pid=owner_pid,
    )


def tenants_enrol(run: MigrationRun, tenants: Iterable[Tenant], states: dict) -> dict[str, str]:
    """Create a pending record per tenant in one statement; return schema → record id.

    A fleet shares a few distinct states: each is sent once and referenced by number, instead
    of a thousand copies of the same list of ~50 names (which cost more than the insert).
    """
    tenants = list(tenants)
    if not tenants:
        return {}
    numbers: dict[frozenset, int] = {}
    state_numbers = [
        numbers.setdefault(states.get(tenant.schema_name, frozenset()), len(numbers))
        for tenant in tenants
    ]
    documents = [sorted(f"{app}.{name}" for app, name in state) for state in numbers]
    ids = [uuid.uuid4() for _ in tenants]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TenantMigration._meta.db_table} (id, run_id, tenant_id, schema_name,"
            " status, state_before, state_after, applied, error, attempts)"
            " SELECT t.id, %s, t.tenant_id, t.schema_name, %s, %s::jsonb -> t.state, '[]', '[]',"
            " '', 0 FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::int[])"
            " AS t(id, tenant_id, schema_name, state)",
            [
                run.pk,
                TenantMigration.Status.PENDING,
                json.dumps(documents),
                ids,
                [tenant.pk for tenant in tenants],
                [tenant.schema_name for tenant in tenants],
                state_numbers,
            ],
        )
    return {tenant.schema_name: str(pk) for tenant, pk in zip(tenants, ids, strict=True)}


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
    # Only a tenant still running in this run: never over a copy that finished it meanwhile.
    TenantMigration.objects.filter(
        run_id=run_id, schema_name=outcome.schema, status=TenantMigration.Status.RUNNING
    ).update(
        status=TenantMigration.Status.FAILED,
        error=outcome.error[:5000],
        duration_ms=outcome.duration_ms,
        finished_at=timezone.now(),
        attempts=outcome.attempts,
        applied=[],
    )


def attempts_add(record_id: str, attempts: int) -> None:
    """Count attempts made on a connection that died (the done transaction counted its own)."""
    TenantMigration.objects.filter(pk=record_id).update(attempts=F("attempts") + attempts)


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
    run.lease = None  # whatever still carries the old lease is refused from now on
    run.save()
    return run


def run_stop(run: MigrationRun, *, lease) -> bool:
    """Close `run` as interrupted if `lease` still owns it; False when someone else took it."""
    with transaction.atomic():
        # FOR UPDATE waits for every tenant transaction that claimed the run (FOR KEY SHARE):
        # after it, their outcomes are committed or gone, and new claims see no lease.
        locked = MigrationRun.objects.select_for_update().filter(pk=run.pk, lease=lease).first()
        if locked is None:
            return False
        run_close_interrupted(locked)
    run.refresh_from_db()
    return True


def runs_take_over() -> list[MigrationRun]:
    """Close every run left `running`: the caller holds the fleet lock, so none is live."""
    with transaction.atomic():
        orphans = list(
            MigrationRun.objects.select_for_update().filter(status=MigrationRun.Status.RUNNING)
        )
        for run in orphans:
            run_close_interrupted(run)
    return orphans


def run_close_interrupted(run: MigrationRun) -> None:
    """Record the tenants' true states (a `running` one did not commit) and end the run."""
    TenantMigration.objects.filter(run=run, status=TenantMigration.Status.RUNNING).update(
        status=TenantMigration.Status.PENDING
    )
    run_finish(run, interrupted=True)


def tenants_fail(run_id, schemas: list[str], error: str) -> None:
    """Record tenants that were still running as failed (e.g. their worker was lost)."""
    TenantMigration.objects.filter(
        run_id=run_id, schema_name__in=schemas, status=TenantMigration.Status.RUNNING
    ).update(status=TenantMigration.Status.FAILED, error=error, finished_at=timezone.now())


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


def run_reopen(run: MigrationRun, *, owner_pid: int | None) -> None:
    """Mark a resumed run running again, under a new lease: its old workers stay refused."""
    run.status, run.lease, run.owner_pid = MigrationRun.Status.RUNNING, uuid.uuid4(), owner_pid
    MigrationRun.objects.filter(pk=run.pk).update(
        status=run.status, lease=run.lease, owner_pid=owner_pid
    )


def run_options(run: MigrationRun) -> RunOptions:
    """Return the per-tenant options a run was started with."""
    return RunOptions(
        fake=run.options.get("fake", False),
        lock_timeout=run.options.get("lock_timeout", RunOptions.lock_timeout),
        statement_timeout=run.options.get("statement_timeout", RunOptions.statement_timeout),
    )
