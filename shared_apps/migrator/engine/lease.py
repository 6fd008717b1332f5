"""Run ownership: only the run that holds the fleet lock, with its current lease, changes tenants.

A run is live while the backend recorded as its `owner_pid` holds the fleet advisory lock and
its `lease` is the one the caller carries. Every tenant transaction proves both first, with
`migrator_tenant_claim` (migration migrator 0003), so work that outlives its run — a pool child
or Celery chunk of a stopped command, a redelivered message, a run whose lock session was
terminated — fails the claim and changes nothing. A stop or a takeover locks the run row
(`FOR UPDATE`), which waits for every claimed tenant transaction to end, then clears the lease.
"""

from dataclasses import dataclass

import psycopg
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from shared_apps.migrator.engine.lock import FLEET_LOCK_KEY

NOT_OWNER = "DCR01"  # SQLSTATE raised by the claim: the run is not (or no longer) the owner
ALREADY_DONE = "DCR02"  # SQLSTATE raised by the claim: another copy finished this tenant

# True for a MigrationRun row whose owner session still holds the fleet lock.
OWNER_ALIVE_SQL = (
    "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
    ' AND l.pid = "migrator_migrationrun"."owner_pid"'
    f" AND l.classid = {FLEET_LOCK_KEY >> 32} AND l.objid = {FLEET_LOCK_KEY & 0xFFFFFFFF}"
    " AND l.objsubid = 1)"
)


@dataclass(frozen=True)
class Lease:
    """What a worker carries to prove its run still owns the fleet (picklable, JSON-able)."""

    run_id: str
    token: str


def failure_status(exc: BaseException) -> str | None:
    """Classify a tenant's failure that changed nothing: 'stale' or 'done' (the claim refused
    it), 'lost' (the session died: terminated backend, dropped network); else None."""
    for error in (exc, exc.__cause__):
        if error is None:
            continue
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate == NOT_OWNER:
            return "stale"
        if sqlstate == ALREADY_DONE:
            return "done"
        # 57P: the server ended the session (pg_terminate_backend, shutdown); 08: connection
        # failure; no SQLSTATE at all: the client found the socket closed.
        if sqlstate and sqlstate[:3] == "57P" or sqlstate and sqlstate[:2] == "08":
            return "lost"
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError) and not sqlstate:
            return "lost"
    return None


def with_owner_alive(runs: QuerySet) -> QuerySet:
    """Annotate MigrationRun rows with `owner_alive`: their owner session holds the lock."""
    return runs.annotate(owner_alive=RawSQL(OWNER_ALIVE_SQL, []))  # noqa: S611 - constant SQL
