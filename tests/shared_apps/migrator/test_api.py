"""The operator's migrations API, served as the application role, shows failed tenants."""

import pytest
from django.test import Client

from shared_apps.migrator.models import MigrationRun, TenantMigration
from tests.shared_apps.tenants.helpers import operator_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_run(acme, globex):
    """A finished run (an operator job, written by the owner): acme failed, globex done."""
    run = MigrationRun.objects.create(
        operation="migrate", status="failed", total_count=2, done_count=1, failed_count=1
    )
    TenantMigration.objects.create(
        run=run, tenant=acme, schema_name=acme.schema_name, status="failed", error="boom"
    )
    TenantMigration.objects.create(
        run=run, tenant=globex, schema_name=globex.schema_name, status="done"
    )
    return run


def test_a_run_lists_its_failed_tenants_and_their_errors(failed_run, acme):
    response = operator_client().get(f"/api/migrations/runs/{failed_run.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["failed_count"] == 1
    assert [(row["schema_name"], row["error"]) for row in body["failed"]] == [
        (acme.schema_name, "boom")
    ]


def test_the_status_names_the_failed_tenants_of_the_last_run(failed_run, acme):
    response = operator_client().get("/api/migrations/status/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["last_run"]["id"] == str(failed_run.pk)
    assert body["failed_in_last_run"] == [{"schema": acme.schema_name, "error": "boom"}]


def test_the_migrations_api_is_for_operators_only(failed_run, acme):
    from shared_apps.accounts.services import api_token_create
    from tests.factories.tenant_data import user_make

    _, key = api_token_create(user=user_make(), tenant=None, name="not staff")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/migrations/runs/{failed_run.pk}/").status_code == 403
