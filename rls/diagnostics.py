"""What the current tenant context can see: for tests and for checking a worker or a pod."""

from django.db import connection


def tenant_visibility() -> dict:
    """Return the backend pid, login role, role acted as, schema and visible membership tenants."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), session_user, current_user")
        pid, role, acting_as = cursor.fetchone()
        cursor.execute("SELECT DISTINCT tenant_id::text FROM accounts_membership ORDER BY 1")
        tenants = [row[0] for row in cursor.fetchall()]
    return {
        "pid": pid,
        "role": role,
        "acting_as": acting_as,
        "schema": getattr(connection, "schema_name", "public"),
        "tenants": tenants,
    }
