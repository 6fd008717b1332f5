"""The database session store, reached only through functions that need the session's key.

The serving roles hold no privilege on `django_session`: a statement that could read the table
would hand over every user's session (of every tenant). The functions of migration
`accounts.0006_session_functions` run as their owner and touch only the row of the key they are
given, which only the session's own cookie carries. `clearsessions` runs as the owner.
"""

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import connections, router


class SessionStore(db.SessionStore):
    """Django's database sessions, read and written by key through SECURITY DEFINER functions."""

    def _call(self, sql: str, params: list) -> tuple | None:
        """Run one session function on the sessions' database; return its first row."""
        with connections[router.db_for_write(self.model)].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def _get_session_from_db(self):
        """Return the unexpired session of this key (unsaved model), or None."""
        row = self._call(
            "SELECT session_data, expire_date FROM django_session_load(%s)", [self.session_key]
        )
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0], expire_date=row[1])

    def exists(self, session_key: str) -> bool:
        """Return whether a session of this key exists."""
        return bool(self._call("SELECT django_session_exists(%s)", [session_key])[0])

    def save(self, must_create: bool = False) -> None:
        """Insert (must_create) or update this session's row by its key."""
        if self.session_key is None:
            return self.create()
        obj = self.create_model_instance(self._get_session(no_load=must_create))
        function = "django_session_insert" if must_create else "django_session_update"
        done = self._call(
            f"SELECT {function}(%s, %s, %s)", [obj.session_key, obj.session_data, obj.expire_date]
        )[0]
        if not done:
            raise CreateError if must_create else UpdateError
        return None

    def delete(self, session_key: str | None = None) -> None:
        """Delete the session of this key (this session's by default)."""
        session_key = session_key or self.session_key
        if session_key is not None:
            self._call("SELECT django_session_delete(%s)", [session_key])

    async def _aget_session_from_db(self):
        return await sync_to_async(self._get_session_from_db)()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create: bool = False) -> None:
        return await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key: str | None = None) -> None:
        return await sync_to_async(self.delete)(session_key)
