"""Crashes, concurrency, canaries, backups, and fidelity to plain Django migrations."""

import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from shared_apps.migrator.models import MigrationRun
from tests.celery_worker import BASE_DIR, database_url_for_tests
from tests.shared_apps.migrator.conftest import (
    applied,
    has_constraint,
    migrate,
)

pytestmark = pytest.mark.django_db(transaction=True)

PRIORITY_RANGE = ("tracker", "0004_task_priority_range")


def raw_connection() -> psycopg.Connection:
    return psycopg.connect(database_url_for_tests())


def manage_in_background(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_tests(),
        "DJANGO_DB_ROLE": "owner",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float = 60, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")


def lock_table(schema: str, table: str) -> psycopg.Connection:
    """Hold an ACCESS EXCLUSIVE lock on a tenant table until the connection closes."""
    blocker = raw_connection()
    blocker.execute(f'LOCK TABLE "{schema}".{table} IN ACCESS EXCLUSIVE MODE')
    return blocker


def release_after_first_timeout(
    blocker: psycopg.Connection, table: str, lock_timeout: float
) -> None:
    """Close `blocker` once a migration has waited on `table` longer than `lock_timeout`.

    Waiting for the wait itself (not a fixed delay) keeps the test true on a loaded machine,
    where the command may take longer than any fixed delay to reach the tenant.
    """
    with raw_connection() as watcher:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [table]
            )
            if waiting.fetchone():
                break
            time.sleep(0.02)
    time.sleep(lock_timeout * 1.5)  # the first attempt has timed out; a retry is under way
    blocker.close()


def test_sigkilled_celery_worker_then_resume_leaves_nothing_half_applied(fleet, celery_worker):
    """The session's only worker is killed mid-run, then a new worker process replaces it."""
    migrate("tracker", "0003", executor="standard")
    stuck = fleet[4].schema_name
    blocker = lock_table(stuck, "tracker_task")  # one tenant waits: the run is mid-flight
    worker = celery_worker
    command = manage_in_background(
        "migrate_schemas",
        "--tenant",
        "--executor",
        "celery",
        "--workers",
        "4",
        "--lock-timeout",
        "60s",
    )
    try:
        wait_for(lambda: MigrationRun.objects.filter(executor="celery").exists(), message="run")
        run = MigrationRun.objects.get(executor="celery")
        wait_for(lambda: run.tenants.filter(status="done").count() >= 5, message="progress")
        worker.kill()
        command.kill()
        command.wait(timeout=10)
    finally:
        blocker.close()
        worker.kill()
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.RUNNING  # abandoned mid-run
    assert PRIORITY_RANGE not in applied(stuck)
    assert_consistent(fleet)

    worker.start()  # a new process under the same node name
    migrate(resume=str(run.id), executor="celery", workers=4)

    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE
    assert run.done_count == len(fleet)
    for tenant in fleet:
        assert PRIORITY_RANGE in applied(tenant.schema_name)
    assert_consistent(fleet)


def assert_consistent(tenants) -> None:
    """For every tenant the constraint exists iff its django_migrations row does."""
    for tenant in tenants:
        schema = tenant.schema_name
        assert has_constraint(schema, "task_priority_range") == (PRIORITY_RANGE in applied(schema))


def test_second_fleet_run_is_refused_while_one_runs(fleet):
    migrate("tracker", "0003", executor="standard")
    blocker = lock_table(fleet[0].schema_name, "tracker_task")
    first = manage_in_background(
        "migrate_schemas", "--tenant", "--executor", "standard", "--lock-timeout", "60s"
    )
    try:
        wait_for(
            lambda: MigrationRun.objects.filter(status="running").exists(),
            message="the first run to start",
        )
        run = MigrationRun.objects.get(status="running")
        with pytest.raises(CommandError, match=f"Another fleet migration is running: run {run.id}"):
            migrate(executor="standard")
    finally:
        blocker.close()
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.DONE


def test_canary_failure_stops_before_the_rest(fleet):
    migrate("tracker", "0003", executor="standard")
    first = sorted(t.schema_name for t in fleet)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f'ALTER TABLE "{first}".tracker_task ADD CONSTRAINT task_priority_range'
            " CHECK (priority > 0)"
        )  # a hand-made clash with the migration
    try:
        with pytest.raises(CommandError, match="Canary failed"):
            migrate(executor="parallel", canary=1)
        run = MigrationRun.objects.first()
        assert run.failed_count == 1
        assert run.tenants.filter(status="pending").count() == len(fleet) - 1
        assert all(PRIORITY_RANGE not in applied(t.schema_name) for t in fleet)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f'ALTER TABLE "{first}".tracker_task DROP CONSTRAINT task_priority_range'
            )
    migrate(resume=str(run.id), executor="parallel")
    assert all(PRIORITY_RANGE in applied(t.schema_name) for t in fleet)


def test_backup_dumps_the_schemas_before_changing_them(fleet, tmp_path, settings):
    settings.BACKUP_DIR = tmp_path
    target = fleet[:3]
    migrate("tracker", "0003", executor="standard")
    migrate(executor="standard", backup=True, schemas=[t.schema_name for t in target])
    dumps = list(tmp_path.glob("migrate-3-schemas-*.dump"))
    assert len(dumps) == 1
    listing = subprocess.run(
        [find_pg_restore(), "--list", str(dumps[0])], capture_output=True, text=True, check=True
    ).stdout
    for tenant in target:
        assert f"TABLE {tenant.schema_name} tracker_task" in listing
    assert "task_priority_range" not in listing  # dumped before the migration ran
    migrate(executor="standard")


def find_pg_restore() -> str:
    from shared_apps.tenants.pgtools import find_pg_tool

    return find_pg_tool("pg_restore")


CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default,
               character_maximum_length
        FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, %s, 'S') FROM pg_indexes
        WHERE schemaname = %s ORDER BY 1, 2""",
    "constraints": """
        SELECT cl.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s ORDER BY 1, 2""",
}


def catalog(schema: str) -> dict[str, list[tuple]]:
    result = {}
    with connection.cursor() as cursor:
        for name, query in CATALOG_QUERIES.items():
            params = [f"{schema}.", schema] if name == "indexes" else [schema]
            cursor.execute(query, params)
            rows = cursor.fetchall()
            result[name] = [tuple(str(v).replace(f"{schema}.", "S.") for v in r) for r in rows]
    return result


def test_engine_migrated_schema_is_identical_to_plain_django(fleet):
    from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

    by_engine, by_django = fleet[0].schema_name, fleet[1].schema_name
    migrate("tracker", "0001", executor="standard", schemas=[by_engine, by_django])
    migrate("teams", "zero", executor="standard", schemas=[by_engine])
    migrate(executor="parallel", schemas=[by_engine])
    call_command(MigrateSchemasCommand(), schema_name=by_django, interactive=False, verbosity=0)
    connection.set_schema_to_public()

    assert applied(by_engine) == applied(by_django)
    engine_catalog, django_catalog = catalog(by_engine), catalog(by_django)
    for part in CATALOG_QUERIES:
        assert engine_catalog[part] == django_catalog[part], part
    assert len(engine_catalog["indexes"]) > 20


def test_a_lock_timeout_is_retried_with_backoff(fleet):
    migrate("tracker", "0003", executor="standard")
    target = fleet[0].schema_name
    blocker = lock_table(target, "tracker_task")
    releaser = threading.Thread(
        target=release_after_first_timeout, args=[blocker, f'"{target}".tracker_task', 0.2]
    )
    releaser.start()
    try:
        migrate(executor="standard", schemas=[target], lock_timeout="200ms")
    finally:
        releaser.join()
    record = MigrationRun.objects.first().tenants.get(schema_name=target)
    assert record.status == "done"
    assert record.attempts >= 2
    assert PRIORITY_RANGE in applied(target)
