"""Executors spread a job's tenants over workers; `--executor` picks one by codename."""

import ctypes
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from django.conf import settings
from django.db import connections

from shared_apps.migrator.engine import recorder
from shared_apps.migrator.engine.job import FleetJob
from shared_apps.migrator.engine.runner import Outcome

OnOutcome = Callable[[Outcome], None]


Guard = Callable[[], None]


def no_guard() -> None:
    """Default guard: nothing to check."""


class StandardExecutor:
    """One tenant after another, in this process."""

    codename = "standard"

    def __init__(self, workers: int = 1) -> None:
        self.workers = 1

    def run(
        self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome, guard: Guard = no_guard
    ) -> None:
        """Migrate `schemas` sequentially, checking `guard` before each tenant starts."""
        for schema in schemas:
            guard()
            on_outcome(job.run_one(schema))


_CHILD_JOB: FleetJob | None = None


def _run_in_child(schemas: list[str]) -> list[Outcome]:
    assert _CHILD_JOB is not None
    return [_CHILD_JOB.run_one(schema) for schema in schemas]


def _child_signals() -> None:
    """Set up a pool child's signals: the parent alone reacts to Ctrl-C and SIGTERM."""
    # Ctrl-C reaches the whole process group: only the parent decides, and stops the pool.
    # SIGTERM (pool.terminate) must kill at once: the command's handler was inherited.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":  # die with the command (SIGKILL): never work for a dead run
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ParallelExecutor:
    """A pool of forked processes; compiled plans are inherited, not re-computed."""

    codename = "parallel"
    poll_seconds = 0.5
    pool_attempts = 2  # a pool whose process died is replaced once for the unreported tenants

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)

    def run(
        self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome, guard: Guard = no_guard
    ) -> None:
        """Migrate `schemas` over `workers` forked processes, reporting each outcome."""
        global _CHILD_JOB
        if self.workers == 1 or len(schemas) <= 1:
            return StandardExecutor().run(job, schemas, on_outcome, guard)
        # A forked child must not share the parent's socket: close before forking, and each
        # child opens its own connection on first use.
        connections.close_all()
        _CHILD_JOB = job
        try:
            for _ in range(self.pool_attempts):
                schemas = self.run_pool(schemas, on_outcome, guard)
                if not schemas:
                    return None
        finally:
            _CHILD_JOB = None
        for schema in schemas:
            outcome = Outcome(schema=schema, status="failed", error=WORKER_DIED)
            recorder.outcome_record(job.run_id, outcome)
            on_outcome(outcome)
        return None

    def run_pool(self, schemas: list[str], on_outcome: OnOutcome, guard: Guard) -> list[str]:
        """Run `schemas` in one pool; return those left unreported because a process died."""
        size = max(1, min(16, len(schemas) // (self.workers * 8)))
        chunks = [schemas[i : i + size] for i in range(0, len(schemas), size)]
        context = multiprocessing.get_context("fork")
        before = set(multiprocessing.active_children())
        # concurrent.futures, not multiprocessing.Pool: a Pool loses the tasks of a killed
        # process and can hang on its queue lock; this pool reports BrokenProcessPool.
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_child_signals)
        children: set = set()
        reported: set[str] = set()
        finished = False
        try:
            futures = {pool.submit(_run_in_child, chunk) for chunk in chunks}
            children = set(multiprocessing.active_children()) - before
            while futures:
                done, futures = wait(futures, self.poll_seconds, return_when=FIRST_COMPLETED)
                guard()
                for future in done:
                    for outcome in future.result():
                        reported.add(outcome.schema)
                        on_outcome(outcome)
            finished = True
        except BrokenProcessPool:
            # A process died: its tenants' transactions rolled back (or committed, and their
            # claim says so when they run again).
            return [schema for schema in schemas if schema not in reported]
        finally:
            if not finished:  # stopped, refused or broken: no child may go on with the run
                for child in children:
                    child.kill()
            pool.shutdown(wait=finished, cancel_futures=True)
        return []


WORKER_DIED = "its worker process died twice; resume the run to retry it"


class CeleryExecutor:
    """Chunks of tenants as Celery tasks on the `operator` queue; progress read from the run.

    A chunk whose worker is gone (main process killed, pool child lost and not redelivered,
    no worker left) is noticed by a heartbeat: every `MIGRATOR_CELERY_HEARTBEAT` seconds the
    workers are asked which tasks they run; a chunk missing `MIGRATOR_CELERY_LOST_AFTER` times
    in a row is re-queued (its finished tenants are skipped, a duplicate copy is refused by the
    tenant's claim), at most `MIGRATOR_CELERY_REQUEUES` times, then its tenants are failed.
    """

    codename = "celery"
    poll_seconds = 0.3

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)

    def chunks(self, schemas: list[str]) -> list[list[str]]:
        size = max(1, min(50, len(schemas) // (self.workers * 4) or 1))
        return [schemas[i : i + size] for i in range(0, len(schemas), size)]

    def run(
        self, job: FleetJob, schemas: list[str], on_outcome: OnOutcome, guard: Guard = no_guard
    ) -> None:
        """Queue chunks for `job.run_id`, report outcomes as workers record them; revoke the
        chunks still queued if anything stops this loop (a signal, a lost lock)."""
        assert job.run_id and job.options.lease, "the Celery executor needs a recorded run"
        watch = ChunkWatch(job)
        for chunk in self.chunks(schemas):
            watch.send(chunk)
        pending = set(schemas)
        try:
            while pending:
                guard()
                outcomes = finished_outcomes(job.run_id, pending)
                for outcome in outcomes:
                    pending.discard(outcome.schema)
                    on_outcome(outcome)
                if pending:
                    watch.check(pending, progressed=bool(outcomes))
                    time.sleep(self.poll_seconds)
        finally:
            watch.revoke_unfinished()


class ChunkWatch:
    """The chunks of one executor run: send, watch for lost workers, re-queue, revoke."""

    def __init__(self, job: FleetJob) -> None:
        self.job = job
        self.chunks: dict[str, list[str]] = {}  # task id → schemas
        self.misses: dict[str, int] = {}
        self.requeues: dict[str, int] = {}  # task id → times its tenants were re-sent
        self.silent_beats = 0  # heartbeats in a row that no worker answered
        self.next_beat = time.monotonic() + settings.MIGRATOR_CELERY_HEARTBEAT

    def send(self, schemas: list[str], requeues: int = 0) -> None:
        """Queue one chunk under the run's lease."""
        from tasks.fleet import migrate_chunk

        lease = self.job.options.lease
        assert lease is not None
        result = migrate_chunk.apply_async((lease.run_id, schemas, lease.token))
        self.chunks[result.id], self.misses[result.id] = schemas, 0
        self.requeues[result.id] = requeues

    def check(self, pending: set[str], *, progressed: bool) -> None:
        """Handle finished chunks that left tenants unreported; once tenants stop coming in for
        a heartbeat, ask the workers what they run and find the lost chunks."""
        from celery.result import AsyncResult

        for task_id in [t for t, s in self.chunks.items() if pending.intersection(s)]:
            result = AsyncResult(task_id)
            if result.successful():
                self.chunk_returned(task_id, result.result, pending)
        if progressed:  # workers are alive and working: asking them would only slow the run
            self.next_beat = time.monotonic() + settings.MIGRATOR_CELERY_HEARTBEAT
        if time.monotonic() < self.next_beat:
            return
        self.next_beat = time.monotonic() + settings.MIGRATOR_CELERY_HEARTBEAT
        running = active_task_ids()
        if running is None:  # no worker answers: chunks wait in the queue for one, up to a limit
            self.silent_beats += 1
            limit = settings.MIGRATOR_CELERY_LOST_AFTER * (settings.MIGRATOR_CELERY_REQUEUES + 1)
            if self.silent_beats >= limit:
                for task_id, schemas in list(self.chunks.items()):
                    self.chunk_failed(task_id, [s for s in schemas if s in pending])
            return
        self.silent_beats = 0
        ours_running = any(task_id in running for task_id in self.chunks)
        for task_id, schemas in list(self.chunks.items()):
            if not pending.intersection(schemas) or task_id in running:
                self.misses[task_id] = 0
                continue
            state = AsyncResult(task_id).state
            # Started but running on no live worker, failed, or queued while no worker runs
            # any chunk of ours (a dead worker had prefetched it): it is missing.
            if state in ("STARTED", "FAILURE") or not ours_running:
                self.misses[task_id] += 1
            if self.misses[task_id] >= settings.MIGRATOR_CELERY_LOST_AFTER:
                self.chunk_lost(task_id, [s for s in schemas if s in pending])

    def chunk_returned(self, task_id: str, statuses: dict, pending: set[str]) -> None:
        """Stop if the chunk was refused; re-queue what it returned without recording."""
        if any(status == "stale" for status in (statuses or {}).values()):
            from shared_apps.migrator.engine.fleet import OwnershipLost

            raise OwnershipLost(
                f"chunk {task_id} was refused: run {self.job.run_id} lost the fleet"
            )
        missing = {s for s in self.chunks[task_id] if s in pending}
        missing -= {outcome.schema for outcome in finished_outcomes(self.job.run_id, missing)}
        if missing:  # returned without recording them: an error between tenants
            self.chunk_lost(task_id, sorted(missing))
        else:
            self.chunks.pop(task_id)

    def chunk_lost(self, task_id: str, schemas: list[str]) -> None:
        """Re-queue a lost chunk's unfinished tenants, or fail them once re-queued enough."""
        from config.celery_app import app

        app.control.revoke(task_id)  # if it is only late, it must not start now
        requeues = self.requeues.get(task_id, 0)
        if requeues < settings.MIGRATOR_CELERY_REQUEUES:
            self.forget(task_id)
            self.send(schemas, requeues + 1)
        else:
            self.chunk_failed(task_id, schemas)

    def chunk_failed(self, task_id: str, schemas: list[str]) -> None:
        """Record a lost chunk's unfinished tenants as failed, for --resume."""
        requeues = self.requeues.get(task_id, 0)
        error = f"its Celery worker was lost ({requeues} re-queue(s)); resume the run to retry it"
        recorder.tenants_fail(self.job.run_id, schemas, error)
        self.forget(task_id)

    def forget(self, task_id: str) -> None:
        """Stop watching a chunk."""
        for table in (self.chunks, self.misses, self.requeues):
            table.pop(task_id, None)

    def revoke_unfinished(self) -> None:
        """Revoke every chunk not finished yet, so none starts for a stopped run."""
        from celery.result import AsyncResult

        from config.celery_app import app

        unfinished = [t for t in self.chunks if not AsyncResult(t).ready()]
        if unfinished:
            app.control.revoke(unfinished)


def active_task_ids() -> set[str] | None:
    """Return the ids of tasks the live workers are running now; None when none answers."""
    from config.celery_app import app

    replies = app.control.inspect(timeout=1.0).active()
    if not replies:
        return None
    return {task["id"] for tasks in replies.values() for task in tasks}


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
