"""The worker side of the Celery executor: rebuild a job for a chunk and run it."""

from django.db import connection

from shared_apps.migrator.engine import recorder
from shared_apps.migrator.engine.compiler import PlanCompiler
from shared_apps.migrator.engine.job import FleetJob
from shared_apps.migrator.engine.planner import FleetPlanner, Target
from shared_apps.migrator.engine.runner import RunOptions
from shared_apps.migrator.engine.state import read_applied
from shared_apps.migrator.models import MigrationRun, TenantMigration

# Built once per worker process: the graph and rendered SQL depend only on the code.
_planner: FleetPlanner | None = None
_compiler: PlanCompiler | None = None


def planner_and_compiler() -> tuple[FleetPlanner, PlanCompiler]:
    """Return this process's planner and compiler, building them on first use."""
    global _planner, _compiler
    if _planner is None or _compiler is None:
        _planner = FleetPlanner()
        _compiler = PlanCompiler(_planner, connection)
    return _planner, _compiler


def migrate_chunk_for_run(*, run_id: str, schemas: list[str]) -> dict[str, str]:
    """Migrate the chunk's unfinished tenants to the run's target; return schema → status."""
    run = MigrationRun.objects.get(pk=run_id)
    records = dict(
        TenantMigration.objects.filter(run=run, schema_name__in=schemas)
        .exclude(status=TenantMigration.Status.DONE)
        .values_list("schema_name", "id")
    )
    tenant_ids = dict(
        TenantMigration.objects.filter(run=run, schema_name__in=list(records)).values_list(
            "schema_name", "tenant_id"
        )
    )
    if not records:
        return {}
    planner, compiler = planner_and_compiler()
    target = Target(**run.options.get("target", {}))
    states = read_applied(connection, list(records))
    statuses: dict[str, str] = {}
    options = RunOptions(
        fake=run.options.get("fake", False),
        lock_timeout=run.options.get("lock_timeout", "5s"),
        statement_timeout=run.options.get("statement_timeout", "10min"),
    )
    job = FleetJob(
        run_id=run_id,
        options=options,
        records={schema: str(pk) for schema, pk in records.items()},
        tenant_ids={schema: str(pk) for schema, pk in tenant_ids.items()},
    )
    for group in planner.group(states, target):
        plan = compiler.compile(group.plan, sample_schema=group.schemas[0])
        for schema in group.schemas:
            job.plans[schema] = plan
    # Tenants already at the target (e.g. a redelivered chunk): done, nothing to run.
    current = [schema for schema in records if schema not in job.plans]
    recorder.mark_done(run_id, current)
    for schema in current:
        statuses[schema] = "done"
    for schema in job.plans:
        statuses[schema] = job.run_one(schema).status
    return statuses
