"""Executors spread a job's tenants over workers; `--executor` picks one by codename."""

import multiprocessing
import time
from collections.abc import Callable

from django.db import connections

from shared_apps.migrator.engine.job import FleetJob
from shared_apps.migrator.engine.runner import Outcome

OnOutcome = Callable[[Outcome], None]


class StandardExecutor:
    """One tenant after another, in this process."""

    codename = "standard"

    def __init__(self, workers: int = 1) -> None:
        self.workers = 1

    def run(self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome) -> None:
        """Migrate `schemas` sequentially, reporting each outcome."""
        for schema in schemas:
            on_outcome(job.run_one(schema))


_CHILD_JOB: FleetJob | None = None


def _run_in_child(schema: str) -> Outcome:
    assert _CHILD_JOB is not None
    return _CHILD_JOB.run_one(schema)


class ParallelExecutor:
    """A pool of forked processes; compiled plans are inherited, not re-computed."""

    codename = "parallel"

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)

    def run(self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome) -> None:
        """Migrate `schemas` over `workers` forked processes, reporting each outcome."""
        global _CHILD_JOB
        if self.workers == 1 or len(schemas) <= 1:
            return StandardExecutor().run(job, schemas, on_outcome)
        # A forked child must not share the parent's socket: close before forking, and each
        # child opens its own connection on first use.
        connections.close_all()
        _CHILD_JOB = job
        chunksize = max(1, min(16, len(schemas) // (self.workers * 8)))
        context = multiprocessing.get_context("fork")
        try:
            with context.Pool(self.workers) as pool:
                for outcome in pool.imap_unordered(_run_in_child, schemas, chunksize):
                    on_outcome(outcome)
        finally:
            _CHILD_JOB = None
        return None


class CeleryExecutor:
    """Chunks of tenants as Celery tasks on the `operator` queue; progress read from the run."""

    codename = "celery"
    poll_seconds = 0.3

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)

    def chunks(self, schemas: list[str]) -> list[list[str]]:
        size = max(1, min(50, len(schemas) // (self.workers * 4) or 1))
        return [schemas[i : i + size] for i in range(0, len(schemas), size)]

    def run(self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome) -> None:
        """Queue chunks for `job.run_id`, then report outcomes as workers record them."""
        from celery import group

        from tasks.fleet import migrate_chunk

        assert job.run_id, "the Celery executor needs a recorded run"
        result = group(migrate_chunk.s(job.run_id, chunk) for chunk in self.chunks(schemas))()
        pending = set(schemas)
        while pending:
            # Read "all chunks returned" before the outcomes: whatever a chunk recorded before
            # returning is then visible below, so a tenant missing after that is really lost.
            workers_done = result.ready()
            for outcome in finished_outcomes(job.run_id, pending):
                pending.discard(outcome.schema)
                on_outcome(outcome)
            if workers_done and pending:
                result.get(propagate=True)  # re-raise a chunk's own error, if it had one
                raise RuntimeError(f"{len(pending)} tenants were not reported by workers")
            if pending:
                time.sleep(self.poll_seconds)


class NoWorkerError(RuntimeError):
    """No Celery worker consumes the operator queue."""


def require_operator_worker() -> None:
    """Fail fast instead of queueing work that no worker will ever take."""
    from config.celery_app import app

    # limit=1 returns on the first reply instead of waiting out the timeout; a busy worker may
    # answer late, and the first to answer may serve other queues: then ask everyone, again.
    for limit in (1, None, None):
        replies = app.control.inspect(timeout=1.5, limit=limit).active_queues() or {}
        if any(q["name"] == "operator" for queues in replies.values() for q in queues):
            return
    raise NoWorkerError(
        "No Celery worker consumes the 'operator' queue. Start one with "
        "`DJANGO_DB_ROLE=owner celery -A config.celery_app worker -Q operator`, "
        "or use --executor parallel."
    )


def finished_outcomes(run_id: str, pending: set[str]) -> list[Outcome]:
    """Return outcomes recorded for pending schemas since the last look."""
    from shared_apps.migrator.models import TenantMigration

    rows = TenantMigration.objects.filter(
        run_id=run_id,
        schema_name__in=pending,
        status__in=[TenantMigration.Status.DONE, TenantMigration.Status.FAILED],
    ).values_list("schema_name", "status", "error", "duration_ms", "attempts", "applied")
    return [
        Outcome(schema=s, status=st, error=e, duration_ms=d or 0, attempts=a, applied=ap)
        for s, st, e, d, a, ap in rows
    ]


EXECUTORS = {cls.codename: cls for cls in (StandardExecutor, ParallelExecutor, CeleryExecutor)}


def get_executor(codename: str, workers: int):
    """Return the executor named `codename` sized to `workers`."""
    try:
        return EXECUTORS[codename](workers)
    except KeyError:
        raise ValueError(
            f"Unknown executor '{codename}'; choose from {sorted(EXECUTORS)}."
        ) from None
