"""Apply a compiled plan to one tenant: all or nothing, with timeouts and lock retries."""

import json
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import psycopg.errors
from django.db import DatabaseError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

from shared_apps.migrator.engine.compiler import CompiledMigration, OperationStep, SqlStep
from shared_apps.migrator.engine.lease import Lease, failure_status
from shared_apps.tenants.citus import citus_active, citus_refusal

LOCK_RETRIES = 3
LOCK_BACKOFF_SECONDS = 0.2


@dataclass(frozen=True)
class RunOptions:
    """How each tenant's transaction behaves."""

    fake: bool = False
    lock_timeout: str = "5s"
    statement_timeout: str = "10min"
    lease: Lease | None = None  # set for a recorded run: each transaction claims the tenant


@dataclass
class Outcome:
    """What happened to one tenant (picklable: it crosses process boundaries)."""

    schema: str
    status: str  # done | failed | stale (its run no longer owns the fleet) | lost (session died)
    applied: list[str] = field(default_factory=list)
    error: str = ""
    duration_ms: int = 0
    attempts: int = 0


def label(migration: CompiledMigration) -> str:
    arrow = "-" if migration.backwards else "+"
    return f"{arrow}{migration.app_label}.{migration.name}"


def segments(plan: list[CompiledMigration]) -> list[list[CompiledMigration]]:
    """Split a plan into transactional segments; a non-atomic migration stands alone."""
    result: list[list[CompiledMigration]] = [[]]
    for migration in plan:
        if migration.atomic:
            result[-1].append(migration)
        else:
            result.extend([[migration], []])
    return [segment for segment in result if segment]


def is_lock_timeout(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    return isinstance(cause, psycopg.errors.LockNotAvailable)


@dataclass(frozen=True)
class SchemaTenant:
    """Enough of a tenant for `connection.set_tenant`: its schema and (for RLS) its id."""

    schema_name: str
    pk: str | None


def apply_to_tenant(
    schema: str,
    plan: list[CompiledMigration],
    options: RunOptions,
    record_id: str | None,
    *,
    tenant_id: str | None = None,
) -> Outcome:
    """Apply `plan` to `schema` and record the outcome in the same transaction."""
    outcome = Outcome(schema=schema, status="done", applied=[label(m) for m in plan])
    tenant = SchemaTenant(schema_name=schema, pk=tenant_id)
    started = time.monotonic()
    try:
        parts = segments(plan)
        for index, segment in enumerate(parts):
            record = record_id if index == len(parts) - 1 else None
            # post_migrate rows land with the last segment: done means they are there too.
            post = getattr(plan, "post_migrate", None) if index == len(parts) - 1 else None
            apply_segment_with_retries(tenant, segment, options, outcome, record, started, post)
    except Exception as exc:  # noqa: BLE001 - one tenant's failure must never stop the others
        outcome.status, outcome.error = "failed", f"{exc.__class__.__name__}: {exc}".strip()
        if status := failure_status(exc):  # a refused claim or a lost session changed nothing
            outcome.status, outcome.applied = status, []
            outcome.error = "" if status == "done" else outcome.error
    finally:
        connection.set_schema_to_public()
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def apply_segment_with_retries(
    tenant, segment, options, outcome, record_id, started, post_migrate=None
) -> None:
    """Run one segment, retrying with backoff when it only lost a lock race."""
    for attempt in range(1, LOCK_RETRIES + 1):
        outcome.attempts += 1
        try:
            apply_segment(tenant, segment, options, outcome, record_id, started, post_migrate)
            return
        except (DatabaseError, psycopg.Error) as exc:  # raw batches raise psycopg errors
            if not is_lock_timeout(exc) or attempt == LOCK_RETRIES:
                raise
            time.sleep(LOCK_BACKOFF_SECONDS * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311


class Batch:
    """Statements sent together: without parameters, psycopg uses PostgreSQL's simple query
    protocol, which runs several statements in one round trip. Values are quoted as literals.

    `immediate`: send each statement on its own. A multi-statement query is one implicit
    transaction, which a non-atomic migration (CREATE INDEX CONCURRENTLY) must not run in.
    """

    def __init__(self, cursor, *, immediate: bool = False) -> None:
        self.cursor, self.statements, self.immediate = cursor, [], immediate
        self.session_path: sql.Composable | None = None  # sent again after a live operation

    def add(self, statement: str, *values) -> None:
        quoted = [sql.Literal(value).as_string(self.cursor.connection) for value in values]
        self.statements.append(statement.format(*quoted) if quoted else statement)
        if self.immediate:
            self.flush()

    def restore_session_path(self) -> None:
        if self.session_path is not None:
            self.cursor.execute(self.session_path)

    def flush(self) -> None:
        if self.statements:
            self.cursor.execute("; ".join(statement.rstrip(";") for statement in self.statements))
            self.statements = []


def apply_segment(tenant, segment, options, outcome, record_id, started, post_migrate=None) -> None:
    """Apply a list of migrations to the tenant in one transaction (none if non-atomic)."""
    connection.set_tenant(tenant)  # with its id: the RLS context needs no lookup
    schema = tenant.schema_name
    atomic = all(migration.atomic for migration in segment)
    with transaction.atomic() if atomic else nullcontext(), connection.cursor() as cursor:
        # Citus forwards a DDL statement's text to the tenant's worker, which refuses a text
        # of several statements: there, every statement goes on its own.
        batch = Batch(cursor.cursor, immediate=not atomic or citus_active())
        if atomic and hasattr(connection, "rls_prologue_for_batch"):
            # The RLS context rides in the first round trip instead of one of its own.
            batch.add(connection.rls_prologue_for_batch())
        # In a transaction: is_local (SET LOCAL), gone at COMMIT, so a pooled connection never
        # carries this tenant's search_path or timeouts into other work. Without one (a
        # non-atomic migration) they must hold for the session, and are reset below.
        batch.add(
            "SELECT set_config('search_path', {0}, {3}), set_config('lock_timeout', {1}, {3}),"
            " set_config('statement_timeout', {2}, {3})",
            f'"{schema}", public',
            options.lock_timeout,
            options.statement_timeout,
            atomic,  # is_local
        )
        if options.lease:  # first thing in the transaction: prove the run still owns the fleet
            lease = options.lease
            claim = "SELECT public.migrator_tenant_claim({}, {}, {})"
            batch.add(claim, lease.run_id, lease.token, record_id)
        if not atomic:
            # A live operation's autocommit DDL goes through the RLS backend, which puts the
            # session back on `public` after it: the statements after it set the path again.
            batch.session_path = sql.SQL("SELECT set_config('search_path', {}, false)").format(
                sql.Literal(f'"{schema}", public')
            )
        try:
            apply_migrations(batch, segment, options, outcome, record_id, started, post_migrate)
        finally:
            if not atomic:
                cursor.cursor.execute(
                    "SET search_path TO public; RESET lock_timeout; RESET statement_timeout"
                )


def apply_migrations(
    batch: Batch, segment, options, outcome, record_id, started, post_migrate=None
) -> None:
    """Queue or run each migration of a segment, its history rows, and the tenant's record."""
    for position, migration in enumerate(segment, 1):
        if not options.fake:
            try:
                ran_python = run_steps(connection, batch, migration)
            except (DatabaseError, psycopg.Error) as exc:
                refusal = citus_refusal(exc, label(migration))
                if refusal is None:
                    raise
                raise refusal from exc
            if ran_python and position < len(segment):
                # Django commits after each migration, which fires deferred FK checks; in
                # one transaction we fire them here, or a later DROP TABLE fails with
                # "pending trigger events".
                batch.add("SET CONSTRAINTS ALL IMMEDIATE")
                batch.add("SET CONSTRAINTS ALL DEFERRED")
        record_history(batch, migration)
    if post_migrate is not None:
        batch.flush()  # handlers query what the migrations made
        post_migrate.send(connection)
    if record_id:
        elapsed = int((time.monotonic() - started) * 1000)
        batch.add(
            "UPDATE public.migrator_tenantmigration SET status = 'done', error = '',"
            " finished_at = now(), duration_ms = {}, attempts = attempts + {},"
            " applied = {}::jsonb WHERE id = {}",
            elapsed,
            outcome.attempts,
            json.dumps(outcome.applied),
            record_id,
        )
    batch.flush()


def run_steps(conn: BaseDatabaseWrapper, batch: Batch, migration: CompiledMigration) -> bool:
    """Queue the migration's SQL and run its live operations in order; True if any ran."""
    editor = None
    for step in migration.steps:
        if isinstance(step, SqlStep):
            for statement in step.statements:
                batch.add(statement)
        elif isinstance(step, OperationStep):
            batch.flush()  # the operation must see everything before it
            if editor is None:
                editor = conn.schema_editor(atomic=False)
                editor.__enter__()
            run_operation(editor, step)
            batch.restore_session_path()
    if editor is not None:
        batch.flush()  # the deferred SQL comes after every statement of the migration
        editor.__exit__(None, None, None)  # runs deferred SQL, as Django's executor would
        batch.restore_session_path()
    return editor is not None


def run_operation(editor, step: OperationStep) -> None:
    if step.backwards:
        step.operation.database_backwards(step.app_label, editor, step.from_state, step.to_state)
    else:
        step.operation.database_forwards(step.app_label, editor, step.from_state, step.to_state)


def record_history(batch: Batch, migration: CompiledMigration) -> None:
    """Write (or remove) the django_migrations rows exactly as Django's recorder would."""
    for app_label, name in [(migration.app_label, migration.name), *migration.replaces]:
        if migration.backwards:
            batch.add("DELETE FROM django_migrations WHERE app = {} AND name = {}", app_label, name)
        else:
            batch.add(
                "INSERT INTO django_migrations (app, name, applied) VALUES ({}, {}, now())",
                app_label,
                name,
            )
