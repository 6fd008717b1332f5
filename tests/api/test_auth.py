"""POST /api/auth/token/, /api/me/, and who sees and revokes which tokens."""

import pytest
from rest_framework.test import APIClient

from shared_apps.accounts.models import ApiToken, Role
from shared_apps.accounts.services import api_token_hash
from shared_apps.audit.models import AuditEvent
from tests.api.conftest import bearer_client
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(acme):
    return f.member_make(acme, Role.MEMBER, email="dev@acme.test").user


def login(tenant_host: str, **body):
    return APIClient(HTTP_HOST=tenant_host).post("/api/auth/token/", body, format="json")


def test_member_gets_a_token_shown_once_that_works_on_its_host(acme, member):
    response = login("acme.localhost", email="DEV@acme.test", password="pw-Secret-1", name="cli")
    assert response.status_code == 201
    key = response.json()["key"]
    assert key.startswith("dc_") and response.json()["prefix"] == key[:10]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.tenant == acme and token.user == member and token.key_hash == api_token_hash(key)
    me = APIClient(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/me/")
    assert me.json()["role"] == "member" and me.json()["tenant"]["slug"] == "acme"
    assert (
        "key"
        not in APIClient(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
        .get(f"/api/tokens/{token.pk}/")
        .json()
    )
    assert AuditEvent.objects.filter(tenant=acme, action="api_token.create", actor=member).exists()


@pytest.mark.parametrize(
    ("host", "email", "password"),
    [
        ("acme.localhost", "dev@acme.test", "wrong"),
        ("acme.localhost", "nobody@acme.test", "pw-Secret-1"),
        ("globex.localhost", "dev@acme.test", "pw-Secret-1"),  # right password, not a member
    ],
)
def test_bad_credentials_are_one_indistinct_401(member, globex, host, email, password):
    response = login(host, email=email, password=password)
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Invalid email or password, or not a member of this organisation."
    )


def test_missing_fields_are_400(acme):
    response = login("acme.localhost", email="not-an-email")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


def test_members_see_and_revoke_only_their_own_tokens_owners_all(acme, member, client_for):
    mine = bearer_client(acme, member)
    owner = client_for(acme, Role.OWNER)
    other = f.token_make(acme, owner.user)
    own_ids = {t["id"] for t in mine.get("/api/tokens/").json()["results"]}
    assert str(other.pk) not in own_ids and own_ids
    assert mine.delete(f"/api/tokens/{other.pk}/").status_code == 404
    all_ids = {t["id"] for t in owner.get("/api/tokens/").json()["results"]}
    assert own_ids <= all_ids
    mine_id = own_ids.pop()
    assert owner.delete(f"/api/tokens/{mine_id}/").status_code == 204
    assert ApiToken.objects.get(pk=mine_id).revoked_at is not None
    assert mine.get("/api/me/").status_code == 401  # revoked tokens stop working at once


def test_removed_member_tokens_are_revoked(acme, member, client_for):
    from shared_apps.accounts.models import Membership

    mine = bearer_client(acme, member)
    owner = client_for(acme, Role.OWNER)
    membership = Membership.objects.get(tenant=acme, user=member)
    assert owner.delete(f"/api/memberships/{membership.pk}/").status_code == 204
    assert mine.get("/api/me/").status_code == 401


def test_admins_cannot_invite_owners(acme, client_for):
    admin = client_for(acme, Role.ADMIN)
    body = {"email": "boss@example.test", "role": "owner"}
    response = admin.post("/api/invitations/", body, format="json")
    assert response.status_code == 400
    created = client_for(acme, Role.OWNER).post("/api/invitations/", body, format="json")
    assert created.status_code == 201 and created.json()["token"].startswith("inv_")
