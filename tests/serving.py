"""Requests in tests are served as the application role, and a check refuses any other role.

Production serves every request as the application role (no superuser, no BYPASSRLS, DML only)
and keeps the owner for DDL and operator jobs. The suite does the same without committing its
fixtures: fixtures write as the owner (the test database's superuser) inside the test's
transaction, and for the duration of each request the connection switches to the application
role with `SET ROLE` (PostgreSQL then checks privileges and RLS policies against that role,
`current_user`), back with `RESET ROLE` when the response is closed. Those fixture rows stay
visible to the request because it runs in the same transaction.

The check runs when each request starts and again when it ends (a request that reconnected
would come back as the superuser): a request served by a superuser or a BYPASSRLS role raises
`ServedByPrivilegedRole`, which fails the test.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.core.signals import request_finished, request_started
from django.db import connection
from psycopg.pq import TransactionStatus

from rls.sql import quote

PASSWORD = "rls-test-password"  # noqa: S105 - test database only

PRIVILEGED_SQL = (
    "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
)
USABLE = (TransactionStatus.IDLE, TransactionStatus.INTRANS)


@dataclass(frozen=True)
class AppRole:
    """The application role of the test database (`setup_db_roles` creates it)."""

    name: str
    password: str

    def url(self) -> str:
        """Return a DATABASE_URL for the test database as this role."""
        db = connection.settings_dict
        host = db.get("HOST") or ""
        port = db.get("PORT") or 5432
        auth = f"{self.name}:{self.password}"
        if host.startswith("/"):
            return f"postgres://{auth}@/{db['NAME']}?host={host}&port={port}"
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@contextlib.contextmanager
def connected_as(user: str, password: str, **extra):
    """Reconnect the default connection as `user` for the block, then back to the owner."""
    keys = ("USER", "PASSWORD", *extra)
    saved = {key: connection.settings_dict.get(key) for key in keys}
    connection.close()
    connection.settings_dict.update(USER=user, PASSWORD=password, **extra)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


class ServedByPrivilegedRole(AssertionError):
    """A request was served by a role that RLS does not apply to."""


@dataclass
class Serving:
    """What the next requests are served as: `role` (None: whatever the connection is)."""

    role: str | None = None
    checked: bool = False
    switched: bool = False


SERVING = Serving()


def raw_connection():
    """The psycopg connection under Django's, outside query capture and the RLS wrapper.

    These statements belong to the test harness, not to the request: they must not count in
    `django_assert_num_queries` nor change the transaction's RLS context.
    """
    connection.ensure_connection()
    return connection.connection


def privileged_role() -> str | None:
    """Return the current role's name when it is a superuser or has BYPASSRLS, else None."""
    raw = raw_connection()
    if raw.info.transaction_status not in USABLE:
        return None  # an aborted transaction: the test fails on its own error
    name, privileged = raw.execute(PRIVILEGED_SQL).fetchone()
    return name if privileged else None


def check_role(moment: str) -> None:
    name = privileged_role()
    if name is not None:
        raise ServedByPrivilegedRole(
            f"A request was served by {name}, a superuser or BYPASSRLS role ({moment}); "
            "requests must be served as the application role (tests/serving.py)."
        )


def on_request_started(**kwargs) -> None:
    if not SERVING.checked:
        return
    if SERVING.role is not None and privileged_role() is not None:
        raw_connection().execute(f"SET ROLE {quote(SERVING.role)}")
        SERVING.switched = True
    check_role("when the request started")


def on_request_finished(**kwargs) -> None:
    if not SERVING.checked:
        return
    try:
        check_role("when the response was closed")
    finally:
        reset_role()


def reset_role() -> None:
    if SERVING.switched and connection.connection is not None:
        with contextlib.suppress(Exception):  # a closed or aborted connection has no role
            if connection.connection.info.transaction_status in USABLE:
                connection.connection.execute("RESET ROLE")
    SERVING.switched = False


def install() -> None:
    """Connect the handlers to Django's request signals (once per test session)."""
    request_started.connect(on_request_started, dispatch_uid="tests.serving.started")
    request_finished.connect(on_request_finished, dispatch_uid="tests.serving.finished")


@contextlib.contextmanager
def serving(role: str | None, *, checked: bool = True):
    """Serve the block's requests as `role` (None: as connected) and check each one."""
    saved = SERVING.role, SERVING.checked
    SERVING.role, SERVING.checked = role, checked
    try:
        yield SERVING
    finally:
        reset_role()
        SERVING.role, SERVING.checked = saved
