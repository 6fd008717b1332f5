"""Migrate the tenant fleet: read state once, plan per group, apply through an executor."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from shared_apps.migrator.engine import recorder
from shared_apps.migrator.engine.compiler import PlanCompiler
from shared_apps.migrator.engine.executors import get_executor, require_operator_worker
from shared_apps.migrator.engine.job import FleetJob
from shared_apps.migrator.engine.lock import FleetLock, FleetLocked
from shared_apps.migrator.engine.planner import FleetPlanner, Target, TenantGroup
from shared_apps.migrator.engine.runner import Outcome, RunOptions
from shared_apps.migrator.engine.state import read_applied, schemas_missing_history
from shared_apps.migrator.models import MigrationRun, TenantMigration
from shared_apps.tenants.models import Tenant

Progress = Callable[..., None]


def no_progress(event: str, **data: Any) -> None:
    """Default progress callback: the engine never prints."""


@dataclass
class FleetRequest:
    """What the operator asked for."""

    target: Target = field(default_factory=Target)
    schemas: list[str] | None = None  # None: every tenant
    executor: str = "parallel"
    workers: int = 2
    options: RunOptions = field(default_factory=RunOptions)
    canary: int = 0
    resume_run_id: str | None = None
    plan_only: bool = False
    backup: bool = False
    requested_by: str = ""


@dataclass
class FleetResult:
    """What happened: the groups planned, the run recorded (if any), outcomes and skips."""

    groups: list[TenantGroup] = field(default_factory=list)
    run: MigrationRun | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    current: int = 0
    backup_path: str | None = None
    stopped_by_canary: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stopped_by_canary


def select_tenants(request: FleetRequest) -> tuple[list[Tenant], list[Tenant]]:
    """Return (active tenants to consider, tenants skipped because they are not ready)."""
    tenants = (
        Tenant.objects.exclude(schema_name="public")
        .only("id", "schema_name", "status")
        .order_by("schema_name")
    )
    if request.resume_run_id:
        unfinished = TenantMigration.objects.filter(run_id=request.resume_run_id).exclude(
            status__in=[TenantMigration.Status.DONE, TenantMigration.Status.SKIPPED]
        )
        tenants = tenants.filter(schema_name__in=unfinished.values("schema_name"))
    if request.schemas is not None:
        tenants = tenants.filter(schema_name__in=request.schemas)
    tenants = list(tenants)
    active = [t for t in tenants if t.status == Tenant.Status.ACTIVE]
    return active, [t for t in tenants if t.status != Tenant.Status.ACTIVE]


def fleet_plan(request: FleetRequest, planner: FleetPlanner | None = None):
    """Read every selected tenant's state in one query and group the ones that are behind."""
    planner = planner or FleetPlanner()
    planner.check_conflicts()  # before anything is read or recorded, with or without --schema
    active, skipped = select_tenants(request)
    schemas = [tenant.schema_name for tenant in active]
    try:
        states = read_applied(connection, schemas)
    except Exception:  # a schema without history: find it, skip it, read the rest
        missing = schemas_missing_history(connection, schemas)
        skipped += [t for t in active if t.schema_name in missing]
        active = [t for t in active if t.schema_name not in missing]
        states = read_applied(connection, [t.schema_name for t in active])
    groups = planner.group(states, request.target)
    return planner, active, skipped, states, groups


def fleet_migrate(request: FleetRequest, progress: Progress = no_progress) -> FleetResult:
    """Bring the selected tenants to the target; one tenant's failure never stops the others."""
    lock = FleetLock()
    if not request.plan_only:
        try:
            lock.acquire()
        except FleetLocked:
            raise FleetLocked(active_run_message()) from None
    try:
        return migrate_locked(request, progress)
    finally:
        lock.release()


def migrate_locked(request: FleetRequest, progress: Progress) -> FleetResult:
    resumed = run_to_resume(request)  # before planning: the run's own target and options apply
    planner, active, skipped, states, groups = fleet_plan(request)
    result = FleetResult(groups=groups, skipped=[(t.schema_name, t.status) for t in skipped])
    behind = {schema for group in groups for schema in group.schemas}
    result.current = len(active) - len(behind)
    progress("planned", groups=groups, current=result.current, skipped=result.skipped)
    if request.plan_only:
        return result
    if request.executor == "celery":
        require_operator_worker()  # before recording a run no worker would ever take
    if resumed is not None:
        recorder.run_reopen(resumed)
    result.run = resumed
    if not groups:
        if resumed is not None:  # its remaining tenants are already current
            enrol(resumed, active, skipped, states, behind=set())
            recorder.run_finish(resumed)
        return result
    # Compile before recording the run: a plan that cannot be rendered leaves no run `running`.
    plans = PlanCompiler(planner, connection).compile_groups(groups)
    run = result.run = resumed or start_run(request, groups)
    if request.backup:
        result.backup_path = backup_schemas(sorted(behind))
        progress("backup", path=result.backup_path)
    records = enrol(run, active, skipped, states, behind)
    job = FleetJob(
        run_id=str(run.id),
        options=request.options,
        plans=plans,
        records=records,
        tenant_ids={t.schema_name: str(t.pk) for t in active},
    )
    execute(job, request, sorted(behind), result, progress)
    recorder.run_finish(run, interrupted=result.stopped_by_canary)
    result.run = run
    progress("finished", run=run)
    return result


def execute(
    job: FleetJob,
    request: FleetRequest,
    schemas: list[str],
    result: FleetResult,
    progress: Progress,
) -> None:
    """Run the canary tenants first (if asked), then the rest through the chosen executor."""
    executor = get_executor(request.executor, request.workers)
    total = len(schemas)

    def on_outcome(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        progress("tenant", outcome=outcome, done=len(result.outcomes), total=total)

    canary, rest = schemas[: request.canary], schemas[request.canary :]
    if canary:
        recorder.tenants_mark_running(job.run_id, canary)
        executor.run(job, canary, on_outcome)
        if result.failed:
            result.stopped_by_canary = True
            progress("canary_failed", failed=result.failed)
            return
    if rest:
        recorder.tenants_mark_running(job.run_id, rest)
        executor.run(job, rest, on_outcome)


def run_to_resume(request: FleetRequest) -> MigrationRun | None:
    """Load the run being resumed and adopt its target and per-tenant options."""
    if not request.resume_run_id:
        return None
    run = MigrationRun.objects.get(pk=request.resume_run_id)
    request.target = Target(**run.options.get("target", {}))
    request.options = recorder.run_options(run)
    return run


def start_run(request: FleetRequest, groups: list[TenantGroup]) -> MigrationRun:
    """Record a new run; it is a rollback when any planned step unapplies a migration."""
    backwards = any(backwards for group in groups for _, backwards in group.plan)
    return recorder.run_start(
        operation=MigrationRun.Operation.ROLLBACK if backwards else MigrationRun.Operation.MIGRATE,
        target=request.target.describe(),
        options={
            "target": {
                "app_label": request.target.app_label,
                "migration_name": request.target.migration_name,
            },
            "fake": request.options.fake,
            "lock_timeout": request.options.lock_timeout,
            "statement_timeout": request.options.statement_timeout,
            "canary": request.canary,
            "workers": request.workers,
            "schemas": request.schemas,
        },
        executor=request.executor,
        requested_by=request.requested_by,
    )


def enrol(run: MigrationRun, active, skipped, states, behind: set[str]) -> dict[str, str]:
    """Create or reuse the per-tenant records of `run`; return schema → record id."""
    existing = dict(TenantMigration.objects.filter(run=run).values_list("schema_name", "id"))
    new = [t for t in active if t.schema_name in behind and t.schema_name not in existing]
    records = {schema: str(pk) for schema, pk in existing.items()}
    records.update(recorder.tenants_enrol(run, new, states))
    recorder.tenants_skip(run, [t for t in skipped if t.schema_name not in existing])
    # Tenants of a resumed run that are at the target by now count as done.
    recorder.mark_done(run.id, [t.schema_name for t in active if t.schema_name not in behind])
    return records


def backup_schemas(schemas: list[str]) -> str:
    """pg_dump the schemas about to change; return the file's path."""
    from shared_apps.migrator.engine.backup import dump_schemas

    return str(dump_schemas(schemas, label="migrate"))


def active_run_message() -> str:
    run = MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).first()
    if run is None:
        return "Another fleet migration holds the lock; wait for it to finish."
    return (
        f"Another fleet migration is running: run {run.id} ({run.operation}, started "
        f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC by {run.requested_by or 'unknown'}). "
        "Wait for it to finish, or check `manage.py migration_status`."
    )
