"""Helpers for tests about provisioning: operator API clients, polling, schema facts."""

import time

from django.db import connection
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import api_token_create
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.provisioning import schema_drop, schema_exists
from shared_apps.tenants.validation import schema_name_for_slug


def operator_client() -> Client:
    """A client on the base domain with an operator token (staff user, tenant NULL)."""
    user, _ = User.objects.get_or_create(email="operator@localhost", defaults={"is_staff": True})
    _, key = api_token_create(user=user, tenant=None, name="tests")
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")


def onboard(client: Client, slug: str, **fields):
    body = {"slug": slug, "name": f"{slug.title()} Ltd", "owner_email": f"owner@{slug}.test"}
    return client.post("/api/tenants/", {**body, **fields}, content_type="application/json")


def wait_for_status(client: Client, slug: str, wanted: str, timeout: float = 30) -> dict:
    """Poll GET /api/tenants/<slug>/ until its status is `wanted`; return the last body."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/tenants/{slug}/").json()
        if body.get("status") == wanted or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def public_snapshot() -> tuple[int, int, list[str]]:
    """Tenant rows, domain rows and every schema's name: equal before and after = nothing made."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace ORDER BY 1")
        schemas = [row[0] for row in cursor.fetchall()]
    return Tenant.objects.count(), Domain.objects.count(), schemas


def tenant_footprint(slug: str) -> dict[str, int]:
    """Count what one tenant left behind: schemas, tenant rows, domains, memberships."""
    return {
        "schemas": int(schema_exists(schema_name_for_slug(slug))),
        "tenants": Tenant.objects.filter(slug=slug).count(),
        "domains": Domain.objects.filter(domain=f"{slug}.localhost").count(),
        "memberships": Membership.objects.filter(tenant__slug=slug).count(),
    }


def drop_tenant_schemas(*slugs: str) -> None:
    """Remove schemas a transactional test created (the flush only empties public tables)."""
    for slug in slugs:
        schema_drop(schema_name=schema_name_for_slug(slug))
