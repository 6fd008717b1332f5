"""create_tenant --async, 410 while deleting, and restore_tenant bringing a backup back."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from shared_apps.tenants import services
from shared_apps.tenants.models import Domain, Tenant
from tests.shared_apps.tenants.helpers import (
    drop_tenant_schemas,
    operator_client,
    tenant_footprint,
    wait_for_status,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.celery
def test_create_tenant_async_queues_the_same_provisioning(celery_worker):
    out = io.StringIO()
    try:
        call_command(
            "create_tenant", slug="asyncco", name="Async", owner_email="o@asyncco.test",
            queue=True, stdout=out,
        )  # fmt: skip
        assert "Queued provisioning of tenant asyncco (provisioning)" in out.getvalue()
        assert "/api/tenants/asyncco/" in out.getvalue()
        assert wait_for_status(operator_client(), "asyncco", "active")["status"] == "active"
        expected = {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}
        assert tenant_footprint("asyncco") == expected
    finally:
        drop_tenant_schemas("asyncco")


def test_requests_get_410_while_the_tenant_is_being_deleted(tmp_path, settings, monkeypatch):
    settings.BACKUP_DIR = tmp_path
    services.tenant_create(slug="goneco", name="Gone", owner_email="o@goneco.test")
    seen = []
    real_dump = services.dump_schema

    def dump_while_watching(schema_name, *, label):
        seen.append(Client(HTTP_HOST="goneco.localhost").get("/admin/").status_code)
        return real_dump(schema_name, label=label)

    monkeypatch.setattr(services, "dump_schema", dump_while_watching)
    call_command("delete_tenant", slug="goneco", interactive=False, stdout=io.StringIO())
    assert seen == [410]
    assert Client(HTTP_HOST="goneco.localhost").get("/admin/").status_code == 404


def test_restore_tenant_brings_a_deleted_tenant_back(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path
    tenant = services.tenant_create(slug="phoenix", name="Phoenix", owner_email="o@phoenix.test")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t_phoenix.tracker_label (id, name, color) VALUES"
                       " (gen_random_uuid(), 'keep-me', '#123456')")  # fmt: skip
    backup = services.tenant_delete(tenant=tenant)
    assert tenant_footprint("phoenix")["schemas"] == 0
    out = io.StringIO()
    try:
        call_command(
            "restore_tenant", file=backup, slug="phoenix", name="Phoenix again",
            owner_email="o@phoenix.test", stdout=out,
        )  # fmt: skip
        restored = Tenant.objects.get(slug="phoenix")
        assert restored.status == Tenant.Status.ACTIVE
        assert restored.schema_name == "t_phoenix"
        assert Domain.objects.get(tenant=restored).domain == "phoenix.localhost"
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM t_phoenix.tracker_label")
            assert cursor.fetchall() == [("keep-me",)]
        assert "Restored tenant phoenix (schema t_phoenix)" in out.getvalue()
        call_command("check_schemas", schema=["t_phoenix"], stdout=io.StringIO())

        with pytest.raises(CommandError, match="already"):
            call_command("restore_tenant", file=backup, slug="phoenix2", stdout=out)
    finally:
        drop_tenant_schemas("phoenix")
