"""Webhooks: the signing secret is shown once and stored hashed."""

import hashlib

import pytest
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tenant_apps.integrations.models import Webhook

pytestmark = pytest.mark.django_db


def test_secret_is_returned_once_and_stored_hashed(acme, client_for):
    admin = client_for(acme, Role.ADMIN)
    created = admin.post("/api/webhooks/", {"url": "https://hooks.test/a"}, format="json").json()
    secret = created["secret"]
    with tenant_context(acme):
        stored = Webhook.objects.get(pk=created["id"]).secret_hash
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert "secret" not in admin.get(f"/api/webhooks/{created['id']}/").json()


def test_members_cannot_even_read_webhooks(acme, client_for):
    assert client_for(acme, Role.MEMBER).get("/api/webhooks/").status_code == 403
