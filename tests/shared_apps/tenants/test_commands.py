"""create_tenant and delete_tenant: success, and every kind of bad slug creates nothing."""

import io

import pytest
from django.core.management import CommandError, call_command

from shared_apps.accounts.models import Membership
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.provisioning import schema_exists
from tests.shared_apps.tenants.helpers import public_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_delete_tenant(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path
    out = io.StringIO()
    call_command(
        "create_tenant", slug="initech", name="Initech", owner_email="Bill@Initech.test", stdout=out
    )
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.status == Tenant.Status.ACTIVE
    assert tenant.schema_name == "t_initech"
    assert schema_exists("t_initech")
    assert Domain.objects.get(tenant=tenant).domain == "initech.localhost"
    assert Membership.objects.get(tenant=tenant).user.email == "bill@initech.test"
    assert "Created tenant initech" in out.getvalue()

    call_command("delete_tenant", slug="initech", interactive=False, stdout=out)
    assert not schema_exists("t_initech")
    assert not Tenant.objects.filter(slug="initech").exists()
    assert not Domain.objects.filter(domain="initech.localhost").exists()
    backups = list(tmp_path.glob("delete-t_initech-*.dump"))
    assert len(backups) == 1
    assert backups[0].stat().st_size > 0


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("acme'; DROP SCHEMA public CASCADE; --", "lowercase letters"),
        ('x" OR 1=1', "lowercase letters"),
        ("public", "reserved"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("pg-catalog", "reserved"),
        ("a" * 51, "2 to 50"),
        ("a", "2 to 50"),
        ("Acme", "lowercase letters"),
        ("9lives", "starts with a letter"),
        ("acme", "already taken"),  # the session tenant
    ],
)
def test_bad_slug_is_a_command_error_and_creates_nothing(acme, slug, reason):
    before = public_snapshot()
    with pytest.raises(CommandError, match=reason):
        call_command("create_tenant", slug=slug, name="Whatever")
    assert public_snapshot() == before


def test_delete_unknown_tenant_says_so():
    with pytest.raises(CommandError, match="No tenant with slug 'ghost'"):
        call_command("delete_tenant", slug="ghost", interactive=False)
