"""One fleet run at a time, enforced by a PostgreSQL session advisory lock."""

import psycopg
from django.conf import settings

from config.database import libpq_params

# Any fixed bigint works; this one spells "devctx" in ASCII so it is easy to spot in pg_locks.
FLEET_LOCK_KEY = 0x646576637478


class FleetLocked(Exception):
    """Another fleet run holds the lock."""


class FleetLockLost(Exception):
    """The session holding the lock ended (terminated backend, network drop)."""


class FleetLock:
    """Hold the fleet advisory lock on a dedicated connection for the whole run.

    A dedicated connection (not Django's) keeps the lock when Django's connections are closed
    before forking workers, and PostgreSQL drops it by itself if this process dies.
    """

    def __init__(self) -> None:
        self.conn: psycopg.Connection | None = None
        self.pid: int | None = None  # the holding backend: a run is live while it holds the lock

    def acquire(self) -> None:
        """Take the lock or raise FleetLocked at once (never wait behind another run)."""
        params = libpq_params(settings.DATABASES["default"])
        # Keepalives: a dropped network is noticed in seconds by both ends, not hours.
        self.conn = psycopg.connect(
            autocommit=True,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            **params,
        )
        row = self.conn.execute(
            "SELECT pg_try_advisory_lock(%s), pg_backend_pid()", [FLEET_LOCK_KEY]
        ).fetchone()
        if not row or not row[0]:
            self.release()
            raise FleetLocked
        self.pid = row[1]

    def ensure_held(self) -> None:
        """Raise FleetLockLost unless the holding session is still there."""
        if self.conn is None:
            return
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise FleetLockLost(str(exc).strip()) from exc

    def release(self) -> None:
        """Give the lock back by closing the session that holds it."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> "FleetLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
