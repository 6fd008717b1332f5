"""Fleet runs when processes, workers and connections die: real commands, workers and signals.

Every scenario checks the same four things: no tenant is half-migrated (the constraint exists
iff its django_migrations row does), no tenant is changed by a run that no longer owns the
fleet, the run's records match the catalog, and `--resume` finishes the job.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from shared_apps.migrator.models import MigrationRun
from tasks.fleet import migrate_chunk
from tests import celery_worker as workers
from tests.shared_apps.migrator.conftest import applied, migrate
from tests.shared_apps.migrator.test_fleet_safety import (
    PRIORITY_RANGE,
    assert_consistent,
    lock_table,
    wait_for,
)
from tests.shared_apps.tenants.helpers import operator_client

pytestmark = pytest.mark.django_db(transaction=True)

# Short liveness checks so a lost Celery worker is noticed in about a second.
FAST_HEARTBEAT = {
    "MIGRATOR_CELERY_HEARTBEAT": "0.5",
    "MIGRATOR_CELERY_LOST_AFTER": "2",
    "MIGRATOR_CELERY_REQUEUES": "6",  # room for the replacement worker to start on a busy CI
}


def command(*args: str, **env: str) -> subprocess.Popen:
    """Start `manage.py migrate_schemas --tenant ARGS` as the owner, in its own session."""
    started_at = timezone.now()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "migrate_schemas", "--tenant", *args],
        cwd=workers.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": workers.database_url_for_tests(),
            "DJANGO_DB_ROLE": "owner",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    proc.started_at = started_at  # type: ignore[attr-defined]
    return proc


@contextmanager
def blocked_command(fleet, *args: str, blocked=(4,), **env: str) -> Iterator[subprocess.Popen]:
    """Put the fleet at tracker 0003, hold the task table of the `blocked` tenants (indexes in
    `fleet`) so the run stays mid-flight, and start the command; release the tables after."""
    migrate("tracker", "0003", executor="standard")
    blockers = [lock_table(fleet[i].schema_name, "tracker_task") for i in blocked]
    try:
        yield command(*args, "--lock-timeout", "60s", **env)
    finally:
        for blocker in blockers:
            blocker.close()


def started_run(proc: subprocess.Popen, done: int) -> MigrationRun:
    """Wait for the command's run to exist and to have `done` tenants finished."""
    runs = MigrationRun.objects.filter(created_at__gte=proc.started_at)
    wait_for(runs.exists, message="the run")
    run = runs.get()
    wait_for(lambda: run.tenants.filter(status="done").count() >= done, message="progress")
    return run


def assert_records_match_catalog(run: MigrationRun) -> None:
    """A forward run's record says done exactly where the migration is applied; none running."""
    run.refresh_from_db()
    records = dict(run.tenants.values_list("schema_name", "status"))
    assert "running" not in records.values(), records
    for schema, status in records.items():
        assert (status == "done") == (PRIORITY_RANGE in applied(schema)), (schema, status)
    assert run.done_count == sum(1 for s in records.values() if s == "done")


def resume_finishes(run: MigrationRun, fleet, **options) -> None:
    migrate(resume=str(run.id), **options)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
    assert run.done_count == len(fleet)
    assert all(PRIORITY_RANGE in applied(t.schema_name) for t in fleet)
    assert_consistent(fleet)


def test_sigint_revokes_celery_chunks_and_a_rollback_stays_rolled_back(fleet, celery_worker):
    schemas = sorted(t.schema_name for t in fleet)
    # Chunks of 5 in schema order (--workers 1): fleet-02 and fleet-07 stop the worker's two
    # processes in their first chunks. They finish later: they claimed the run while it owned
    # the fleet. The chunks still queued must do nothing, even after the rollback.
    with blocked_command(fleet, "--executor", "celery", "--workers", "1", blocked=(1, 6)) as proc:
        run = started_run(proc, done=4)
        proc.send_signal(signal.SIGINT)
        time.sleep(1)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, output
    assert f"Run {run.id} stopped: interrupted by a signal" in output
    assert f"--resume {run.id}" in output
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.INTERRUPTED
    assert_records_match_catalog(run)
    done_when_stopped = run.done_count
    # The blocked two, and at most the rest of their two chunks if they claimed before the stop
    # locked the run; never a chunk that was still queued.
    assert 6 <= done_when_stopped <= 10

    migrate("tracker", "0003", executor="standard")  # at once: roll the done ones back
    time.sleep(3)  # what was queued for the stopped run would land here
    assert not any(PRIORITY_RANGE in applied(schema) for schema in schemas)
    assert run.tenants.filter(status="done").count() == done_when_stopped
    assert_consistent(fleet)
    unfinished = set(run.tenants.exclude(status="done").values_list("schema_name", flat=True))
    migrate(resume=str(run.id), executor="celery", workers=4)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
    assert all(PRIORITY_RANGE in applied(schema) for schema in unfinished)
    assert_consistent(fleet)


def test_sigterm_stops_a_parallel_run_with_its_tenants_true_states(fleet):
    with blocked_command(fleet, "--executor", "parallel", "--workers", "2") as proc:
        run = started_run(proc, done=3)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, output
    assert f"--resume {run.id}" in output
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.INTERRUPTED
    assert PRIORITY_RANGE not in applied(fleet[4].schema_name)  # killed mid-transaction
    assert_records_match_catalog(run)
    assert_consistent(fleet)
    resume_finishes(run, fleet, executor="parallel")


def test_after_sigkill_the_run_is_reported_interrupted_and_the_next_command_closes_it(fleet):
    with blocked_command(fleet, "--executor", "parallel", "--workers", "2") as proc:
        run = started_run(proc, done=3)
        proc.kill()  # the command only: its pool children must not outlive it
        proc.wait(timeout=10)
        time.sleep(1)
    time.sleep(1)
    assert PRIORITY_RANGE not in applied(fleet[4].schema_name)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.RUNNING  # nobody wrote it yet …
    status = StringIO()
    call_command("migration_status", "--json", stdout=status)
    assert json.loads(status.getvalue())["last_run"]["status"] == "interrupted"  # … but
    api = operator_client().get(f"/api/migrations/runs/{run.id}/").json()
    assert api["status"] == "interrupted"  # the lock says its owner is gone

    out = StringIO()
    migrate(executor="standard", schemas=[fleet[0].schema_name], stdout=out, verbosity=1)
    assert f"Run {run.id} was left running by a command that is gone" in out.getvalue()
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.INTERRUPTED
    assert_records_match_catalog(run)
    assert_consistent(fleet)
    resume_finishes(run, fleet, executor="parallel")


def test_a_killed_parallel_pool_child_is_replaced_and_the_run_finishes(fleet):
    with blocked_command(fleet, "--executor", "parallel", "--workers", "2") as proc:
        started_run(proc, done=3)
        wait_for(lambda: blocked_backend_pid() is not None, message="the blocked tenant")
        os.kill(child_of(proc.pid, blocked_backend_client()), signal.SIGKILL)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, output
    run = MigrationRun.objects.get(created_at__gte=proc.started_at)
    assert run.status == MigrationRun.Status.DONE
    assert_records_match_catalog(run)
    assert_consistent(fleet)


def blocked_backend_pid() -> int | None:
    """The backend of a tenant transaction waiting on the test's table lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE '%%tracker_task%%' AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def blocked_backend_client() -> int:
    """The client-side port of the blocked backend's connection (to find the process)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_port FROM pg_stat_activity WHERE pid = %s", [blocked_backend_pid()]
        )
        return cursor.fetchone()[0]


def child_of(parent: int, client_port: int) -> int:
    """The child process of `parent` that owns the TCP connection from `client_port`."""
    inode = socket_inode(client_port)
    with open(f"/proc/{parent}/task/{parent}/children") as listing:
        children = listing.read().split()
    for child in map(int, children):
        for fd in os.listdir(f"/proc/{child}/fd"):
            try:
                if os.readlink(f"/proc/{child}/fd/{fd}") == f"socket:[{inode}]":
                    return child
            except OSError:
                continue
    raise AssertionError(f"no child of {parent} holds port {client_port}")


def socket_inode(port: int) -> str:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as sockets:
            lines = sockets.read().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                return fields[9]
    raise AssertionError(f"no socket on port {port}")


def test_killed_celery_main_process_is_noticed_and_its_chunks_requeued(fleet, celery_worker):
    migrate("tracker", "0003", executor="standard")
    proc = command(
        "--executor", "celery", "--workers", "4", "--lock-timeout", "60s", **FAST_HEARTBEAT
    )
    old_group = None
    try:
        started_run(proc, done=4)
        old_group = celery_worker.process.pid
        os.kill(old_group, signal.SIGKILL)  # the main process only; its prefetched chunks are lost
        celery_worker.process.wait(timeout=10)
        celery_worker.start()  # a new worker under the same node name
        output, _ = proc.communicate(timeout=90)
    finally:
        if old_group:
            kill_group(old_group)  # the orphaned pool children
    assert proc.returncode == 0, output
    run = MigrationRun.objects.get(created_at__gte=proc.started_at)
    assert run.status == MigrationRun.Status.DONE
    assert run.done_count == len(fleet)
    assert_records_match_catalog(run)
    assert_consistent(fleet)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_a_redelivered_chunk_of_an_older_run_changes_nothing(fleet, celery_worker):
    migrate("tracker", "0003", executor="standard")
    first = sorted(t.schema_name for t in fleet)[0]
    with connection.cursor() as cursor:  # a clash: the canary fails, the rest stay pending
        cursor.execute(
            f'ALTER TABLE "{first}".tracker_task ADD CONSTRAINT task_priority_range'
            " CHECK (priority > 0)"
        )
    try:
        with pytest.raises(Exception, match="Canary failed"):
            migrate(executor="standard", canary=1)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f'ALTER TABLE "{first}".tracker_task DROP CONSTRAINT task_priority_range'
            )
    old = MigrationRun.objects.get(status="failed")
    migrate("tracker", "0002", executor="standard")  # a newer run: a rollback
    pending = list(old.tenants.filter(status="pending").values_list("schema_name", flat=True))

    for lease in (str(uuid.uuid4()), None):  # an old lease, or a message from before leases
        result = migrate_chunk.apply_async((str(old.id), pending, lease)).get(timeout=30)
        assert set(result.values()) == {"stale"}
    for tenant in fleet:
        assert ("tracker", "0003_task_closed_at") not in applied(tenant.schema_name)
    assert old.tenants.filter(status="pending").count() == len(pending)
    resume_finishes(old, fleet, executor="celery")


def terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_terminated_lock_session_stops_the_run_before_its_next_tenant(fleet):
    migrate("tracker", "0003", executor="standard")
    blocker = lock_table(fleet[4].schema_name, "tracker_task")
    proc = command("--executor", "standard", "--lock-timeout", "60s")
    releaser = threading.Timer(2, blocker.close)
    try:
        run = started_run(proc, done=3)
        wait_for(lambda: blocked_backend_pid() is not None, message="the blocked tenant")
        terminate(run.owner_pid)  # the fleet lock's session
        releaser.start()  # the tenant that claimed the run before the lock went may finish
        migrate(executor="parallel")  # a second run takes the free lock and finishes the job
    finally:
        if releaser.ident:
            releaser.join()
        blocker.close()
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, output
    assert f"Run {run.id} stopped" in output and f"--resume {run.id}" in output
    run.refresh_from_db()
    second = MigrationRun.objects.filter(created_at__gte=proc.started_at).exclude(pk=run.pk).get()
    assert run.status == MigrationRun.Status.INTERRUPTED
    assert second.status == MigrationRun.Status.DONE
    assert not run.tenants.filter(status="failed").exists()  # no DuplicateColumn clash
    assert run.done_count + second.done_count == len(fleet)
    assert_consistent(fleet)
    migrate(resume=str(run.id), executor="standard")  # the rest are current: it closes done
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
    assert all(PRIORITY_RANGE in applied(t.schema_name) for t in fleet)


def test_a_terminated_worker_connection_is_retried_on_a_new_one(fleet):
    with blocked_command(fleet, "--executor", "parallel", "--workers", "2") as proc:
        started_run(proc, done=3)
        wait_for(lambda: blocked_backend_pid() is not None, message="the blocked tenant")
        terminate(blocked_backend_pid())
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    run = MigrationRun.objects.get(created_at__gte=proc.started_at)
    assert run.status == MigrationRun.Status.DONE
    assert run.tenants.get(schema_name=fleet[4].schema_name).attempts >= 2
    assert_records_match_catalog(run)
    assert_consistent(fleet)
