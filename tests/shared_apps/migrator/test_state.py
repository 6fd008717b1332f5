"""The fleet's applied state is read exactly, however many schemas the read is split over."""

import pytest
from django.db import connection

from shared_apps.migrator.engine.state import CHUNK, read_applied

pytestmark = pytest.mark.django_db


def test_read_applied_across_chunks_returns_each_schemas_own_rows():
    """More schemas than one statement reads: every schema gets exactly its rows, in order."""
    schemas = [f"state_read_{number:03d}" for number in range(CHUNK * 2 + 7)]
    expected = {}
    with connection.cursor() as cursor:
        for number, schema in enumerate(schemas):
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute(
                f'CREATE TABLE "{schema}".django_migrations'
                " (id serial, app text, name text, applied timestamptz DEFAULT now())"
            )
            rows = [("tracker", f"{step:04d}") for step in range(number % 4)]
            rows.append(("own", schema))  # a row only this schema has
            cursor.executemany(
                f'INSERT INTO "{schema}".django_migrations (app, name) VALUES (%s, %s)', rows
            )
            expected[schema] = frozenset(rows)

    states = read_applied(connection, schemas)

    assert list(states) == schemas
    assert states == expected
