"""Operators under RLS, served as the application role: tokens, the command, the admin."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from shared_apps.accounts.models import ApiToken, Membership, Role
from shared_apps.accounts.services import api_token_create
from shared_apps.audit.models import AuditEvent
from shared_apps.migrator.models import MigrationRun, TenantMigration
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


def create_api_token(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def staff():
    return f.user_make(is_staff=True)


def test_an_operator_token_from_the_command_works_on_the_operator_api(staff, acme):
    out, err = create_api_token("--operator", staff.email.upper())
    key = out.strip()
    assert re.fullmatch(r"dc_\S+", key), "the key alone on stdout, for $(...)"
    assert "shown once" in err
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/tenants/")
    assert response.status_code == 200, response.content
    assert "acme" in {tenant["slug"] for tenant in response.json()["results"]}
    token = ApiToken.objects.get(user=staff, tenant=None)
    assert token.last_used_at is not None
    assert (
        Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
        .get("/api/projects/")
        .status_code
        == 401
    ), "an operator token is no tenant token"


def test_an_operator_token_authenticates_on_the_base_domain(acme):
    from tests.shared_apps.tenants.helpers import operator_client

    response = operator_client().get("/api/tenants/?status=active")
    assert response.status_code == 200, response.content
    assert response.json()["count"] >= 1


def test_the_command_refuses_unknown_and_non_staff_users(acme):
    with pytest.raises(CommandError, match="No user has the email"):
        create_api_token("--operator", "nobody@example.test")
    with pytest.raises(CommandError, match="not an active staff user"):
        create_api_token("--operator", "owner@acme.test")
    assert not ApiToken.objects.filter(tenant=None).exists()


def test_a_staff_members_tenant_token_is_no_operator_token(acme, staff):
    Membership.objects.create(tenant=acme, user=staff, role=Role.OWNER)
    _, key = api_token_create(user=staff, tenant=acme, name="tenant token")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/tenants/").status_code == 401


@pytest.fixture
def operator_admin(db):
    operator = f.user_make(is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    client.user = operator
    return client


@pytest.fixture
def rows(acme, globex):
    """A row of each tenant-scoped table in acme and in globex (written by the owner)."""
    run = MigrationRun.objects.create(operation="migrate", status="failed", failed_count=1)
    made = {}
    for tenant in (acme, globex):
        member = f.member_make(tenant, email=f"seen-{tenant.slug}@operators.test")
        made[tenant.slug] = {
            "membership": member,
            "apitoken": f.token_make(tenant, member.user),
            "auditevent": AuditEvent.objects.create(tenant=tenant, action=f"probe.{tenant.slug}"),
            "tenantmigration": TenantMigration.objects.create(
                run=run, tenant=tenant, schema_name=tenant.schema_name, status="failed"
            ),
            "invitation": f.invitation_make(tenant),
        }
    return made


@pytest.mark.parametrize(
    "model", ["membership", "apitoken", "auditevent", "tenantmigration", "invitation"]
)
def test_the_operator_admin_lists_every_tenants_rows(operator_admin, rows, model):
    app = {"auditevent": "audit", "tenantmigration": "migrator"}.get(model, "accounts")
    page = operator_admin.get(f"/admin/{app}/{model}/")
    assert page.status_code == 200
    assert b"0 " + model.encode() not in page.content.lower()
    for tenant_rows in rows.values():
        row = tenant_rows[model]
        assert f"/admin/{app}/{model}/{row.pk}/change/".encode() in page.content
        assert operator_admin.get(f"/admin/{app}/{model}/{row.pk}/change/").status_code == 200


def test_adding_a_tenants_api_token_in_the_operator_admin_shows_the_key_once(operator_admin, acme):
    member = f.member_make(acme)
    response = operator_admin.post(
        "/admin/accounts/apitoken/add/",
        {"user": member.user.pk, "tenant": acme.pk, "name": "ci"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=member.user, name="ci")
    key = re.search(rb"(dc_[\w-]+) \(shown once", response.content).group(1).decode()
    assert token.key_hash != key and token.prefix == key[:10]
    api = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/me/").json()["email"] == member.user.email
    event = AuditEvent.objects.get(action="operator.apitoken.created", tenant=acme)
    assert event.actor == operator_admin.user


def test_changing_a_membership_in_the_operator_admin_is_audited(operator_admin, rows, acme):
    membership = rows["acme"]["membership"]
    response = operator_admin.post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        {"user": membership.user.pk, "tenant": acme.pk, "role": Role.ADMIN},
    )
    assert response.status_code == 302, response.content
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
    event = AuditEvent.objects.get(action="operator.membership.changed", tenant=acme)
    assert event.payload == {"fields": ["role"]} and event.actor == operator_admin.user


def test_the_audit_trail_is_read_only_in_the_operator_admin(operator_admin, rows):
    event = rows["acme"]["auditevent"]
    assert operator_admin.get("/admin/audit/auditevent/add/").status_code == 403
    assert operator_admin.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
