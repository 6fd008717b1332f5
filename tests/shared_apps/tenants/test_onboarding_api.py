"""POST /api/tenants/ on the base domain: 202, a real worker provisions, the host answers."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.accounts.services import api_token_create
from shared_apps.tenants import services
from shared_apps.tenants.catalog import catalog_diff, schema_catalogs
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.services import tenant_onboard
from shared_apps.tenants.template import TEMPLATE_SCHEMA
from tests.shared_apps.tenants.helpers import (
    drop_tenant_schemas,
    onboard,
    operator_client,
    public_snapshot,
    tenant_footprint,
    wait_for_status,
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"slug": "acme"}, "slug", "already taken"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "pg-x"}, "slug", "reserved"),
        ({"slug": "Bad Slug", "owner_email": "o@bad.test"}, "slug", "lowercase letters"),
        ({"owner_email": "not-an-email"}, "owner_email", "valid email"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_input_is_400_with_field_messages_and_creates_nothing(acme, fields, field, message):
    client = operator_client()
    before = public_snapshot()
    response = onboard(client, fields.pop("slug", "newco"), **fields)
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field]), response.content
    assert public_snapshot() == before


@pytest.mark.django_db
def test_a_registration_that_loses_the_race_for_the_slug_is_a_slug_error(monkeypatch):
    # The rival committed after our checks ran: only the unique index can still tell.
    Tenant.objects.create(slug="racer", name="Rival", schema_name="t_racer_rival")
    monkeypatch.setattr(services, "tenant_validate_new", lambda **fields: "t_racer")
    with pytest.raises(DjangoValidationError) as caught:
        services.tenant_register(slug="racer", name="Racer", owner_email="o@racer.test")
    assert caught.value.message_dict == {"slug": ["The slug 'racer' is already taken."]}
    # The failed INSERT was rolled back to the service's savepoint: this transaction goes on.
    assert list(Tenant.objects.filter(slug="racer").values_list("name", flat=True)) == ["Rival"]


@pytest.mark.django_db
def test_only_operators_may_onboard(acme):
    anonymous = onboard(Client(HTTP_HOST="localhost"), "sneaky")
    assert anonymous.status_code in (401, 403)
    owner = User.objects.get(email="owner@acme.test")
    _, key = api_token_create(user=owner, tenant=acme, name="not an operator token")
    with_tenant_token = onboard(
        Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}"), "sneaky"
    )
    assert with_tenant_token.status_code in (401, 403)
    assert not Tenant.objects.filter(slug="sneaky").exists()


@pytest.mark.django_db
def test_list_detail_and_retry_conflict(acme, globex):
    client = operator_client()
    listing = client.get("/api/tenants/?status=active").json()
    assert {"acme", "globex"} <= {row["slug"] for row in listing["results"]}
    detail = client.get("/api/tenants/acme/").json()
    assert detail["status"] == "active" and detail["url"] == "http://acme.localhost/"
    assert client.post("/api/tenants/acme/retry/").status_code == 409
    assert client.get("/api/tenants/ghost/").status_code == 404


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_onboarding_end_to_end_with_a_real_worker(celery_worker):
    client = operator_client()
    try:
        response = onboard(client, "e2eco", plan="team")
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["status"] == "provisioning"
        assert body["url"] == "http://e2eco.localhost/"
        assert response["Location"].endswith("/api/tenants/e2eco/")

        assert wait_for_status(client, "e2eco", "active")["status"] == "active"
        tenant = Tenant.objects.get(slug="e2eco")
        owner = User.objects.get(email="owner@e2eco.test")
        _, key = api_token_create(user=owner, tenant=tenant, name="owner")
        host = Client(HTTP_HOST="e2eco.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
        statuses = host.get("/api/task-statuses/")
        assert statuses.status_code == 200, statuses.content
        assert {row["slug"] for row in statuses.json()["results"]} == {
            "todo",
            "in-progress",
            "done",
        }
        expected = {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}
        assert tenant_footprint("e2eco") == expected
    finally:
        drop_tenant_schemas("e2eco")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_failed_provisioning_shows_its_reason_and_retry_finishes_it(celery_worker, acme):
    client = operator_client()
    try:
        with transaction.atomic():  # the task is queued when this commits
            tenant_onboard(slug="retryco", name="Retry", owner_email="o@retryco.test")
            # The host is taken by another tenant between registration and provisioning.
            Domain.objects.create(domain="retryco.localhost", tenant=acme, is_primary=False)
        failed = wait_for_status(client, "retryco", "failed")
        assert failed["status"] == "failed"
        assert "retryco.localhost" in failed["status_reason"]
        assert tenant_footprint("retryco")["schemas"] == 0

        Domain.objects.filter(domain="retryco.localhost", tenant=acme).delete()
        retry = client.post("/api/tenants/retryco/retry/")
        assert retry.status_code == 202
        assert wait_for_status(client, "retryco", "active")["status_reason"] == ""
        expected = {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}
        assert tenant_footprint("retryco") == expected
    finally:
        drop_tenant_schemas("retryco")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_twenty_tenants_onboarded_concurrently_are_all_active_and_identical(celery_worker):
    client = operator_client()
    slugs = [f"crowd{i:02d}" for i in range(20)]
    try:
        for slug in slugs:
            assert onboard(client, slug).status_code == 202
        for slug in slugs:
            assert wait_for_status(client, slug, "active", timeout=60)["status"] == "active"
        schemas = [f"t_{slug}" for slug in slugs]
        catalogs = schema_catalogs([TEMPLATE_SCHEMA, *schemas])
        for schema in schemas:
            assert catalog_diff(catalogs[TEMPLATE_SCHEMA], catalogs[schema]) == [], schema
    finally:
        drop_tenant_schemas(*slugs)
