"""Sessions as the application role: by key through the functions, never the table itself."""

import pytest
from django.db import ProgrammingError, connection
from django.test import Client

from shared_apps.accounts.sessions import SessionStore


def test_sessions_work_by_key_and_the_table_is_out_of_reach(app_db, world):
    member = world.members[world.a.pk]
    store = SessionStore()
    store["_auth_user_id"] = str(member.pk)
    store.create()
    key = store.session_key
    loaded = SessionStore(session_key=key)
    assert loaded["_auth_user_id"] == str(member.pk)
    loaded["seen"] = 1
    loaded.save()
    assert SessionStore(session_key=key)["seen"] == 1
    assert store.exists(key) and not store.exists("no-such-key")
    with connection.cursor() as cursor, pytest.raises(ProgrammingError, match="permission"):
        cursor.execute("SELECT session_key FROM django_session")
    loaded.delete()
    assert not store.exists(key)


def test_session_login_serves_a_tenant_request_as_the_application_role(app_db, world):
    member = world.members[world.a.pk]
    client = Client()
    client.force_login(member)  # the session row is written through the functions
    response = client.get("/api/memberships/", HTTP_HOST=world.host(world.a))
    assert response.status_code == 200, response.content
    assert [row["email"] for row in response.json()["results"]] == [member.email]
