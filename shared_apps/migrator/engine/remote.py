"""The worker side of the Celery executor: rebuild a job for a chunk and run it."""

import logging
from dataclasses import replace

from django.db import connection

from shared_apps.migrator.engine import recorder
from shared_apps.migrator.engine.compiler import PlanCompiler
from shared_apps.migrator.engine.job import FleetJob
from shared_apps.migrator.engine.lease import Lease
from shared_apps.migrator.engine.planner import FleetPlanner, Target
from shared_apps.migrator.engine.state import read_applied
from shared_apps.migrator.models import MigrationRun, TenantMigration

logger = logging.getLogger(__name__)

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


def migrate_chunk_for_run(*, run_id: str, schemas: list[str], lease: str | None) -> dict[str, str]:
    """Migrate the chunk's unfinished tenants to the run's target; return schema → status.

    A chunk whose lease is not the run's current one (the run stopped, was resumed or taken
    over since it was queued) does nothing; each tenant's claim checks the lease again.
    """
    run = MigrationRun.objects.filter(pk=run_id).first()
    if run is None or lease is None or str(run.lease) != lease:
        logger.warning(
            "Chunk of %d tenant(s) for run %s ignored: the run is %s and this chunk's lease is "
            "not its current one; nothing changed.",
            len(schemas),
            run_id,
            run.status if run else "gone",
        )
        return dict.fromkeys(schemas, "stale")
    unfinished = (
        TenantMigration.objects.filter(run=run, schema_name__in=schemas)
        .exclude(status=TenantMigration.Status.DONE)
        .values_list("schema_name", "id", "tenant_id")
    )
    options = replace(recorder.run_options(run), lease=Lease(run_id, lease))
    job = FleetJob(run_id=run_id, options=options)
    for schema, record_id, tenant_id in unfinished:
        job.records[schema], job.tenant_ids[schema] = str(record_id), str(tenant_id)
    if not job.records:
        return {}
    planner, compiler = planner_and_compiler()
    states = read_applied(connection, list(job.records))
    job.plans = compiler.compile_groups(planner.group(states, Target(**run.options["target"])))
    # Tenants already at the target (e.g. a redelivered chunk): done, nothing to run.
    current = [schema for schema in job.records if schema not in job.plans]
    recorder.mark_done(run_id, current)
    statuses = dict.fromkeys(current, "done")
    for schema in job.plans:
        statuses[schema] = job.run_one(schema).status
        if statuses[schema] == "stale":  # the run lost the fleet: the rest would be refused too
            logger.warning("Run %s no longer owns the fleet; chunk stopped.", run_id)
            break
    return statuses
