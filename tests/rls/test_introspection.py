"""The backend's table list is Django's, computed without testing every relation of the fleet."""

import pytest
from django.db import connection
from django.db.backends.postgresql.introspection import DatabaseIntrospection as Stock

from tests.conftest import ensure_session_tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("schema", ["public", "t_acme"])
def test_table_list_equals_djangos_on_public_and_on_a_tenant(schema):
    ensure_session_tenant("acme")
    if schema == "public":
        connection.set_schema_to_public()
    else:
        connection.set_schema(schema)
    with connection.cursor() as cursor:
        ours = connection.introspection.get_table_list(cursor)
        cursor.execute("SHOW search_path")
        path = cursor.fetchone()[0]
        cursor.execute(f"SET search_path = {connection.schema_name}")
        try:
            stock = Stock(connection).get_table_list(cursor)
        finally:
            cursor.execute(f"SET search_path = {path}")

    assert sorted(ours) == sorted(stock)
    assert "django_migrations" in {table.name for table in ours}
