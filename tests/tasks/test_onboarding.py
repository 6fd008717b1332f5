"""The onboarding task with real workers: run twice, and a worker killed midway."""

import json
import time
import uuid

import psycopg
import pytest
from django.db import connection

from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_register
from tasks.onboarding import provision_tenant
from tests import celery_worker as workers
from tests.shared_apps.tenants.helpers import drop_tenant_schemas, tenant_footprint

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
ONE_OF_EACH = {"schemas": 1, "tenants": 1, "domains": 1, "memberships": 1}


def wait_until(predicate, timeout: float = 30, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{predicate.__name__} still false after {timeout}s")
        time.sleep(step)
    return result


def test_the_task_run_twice_gives_one_of_everything(celery_worker):
    tenant = tenant_register(slug="twiceco", name="Twice", owner_email="o@twiceco.test")
    try:
        results = [provision_tenant.delay(str(tenant.pk), "o@twiceco.test") for _ in range(2)]
        assert sorted(result.get(timeout=30) for result in results) == ["active", "active"]
        assert provision_tenant.delay(str(tenant.pk), "o@twiceco.test").get(timeout=30) == "active"
        assert tenant_footprint("twiceco") == ONE_OF_EACH
    finally:
        drop_tenant_schemas("twiceco")


def blocked_on_domain_insert() -> bool:
    """Whether a provisioning transaction waits to write the domain (its DDL already ran)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        # Saving a primary Domain first updates the tenant's other domains, then inserts.
        return any('"tenants_domain"' in row[0] for row in cursor.fetchall())


def test_worker_killed_during_provisioning_is_redelivered_and_finishes(celery_worker):
    tenant = tenant_register(slug="crashco", name="Crash", owner_email="o@crashco.test")
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    # Redelivery of an unacknowledged task after 2s instead of an hour (acks_late).
    transport = {"visibility_timeout": 2, "unacked_restore_interval": 1}
    env = {
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(transport | {"unacked_restore_throttle": 1})
    }
    # Another session holds the domain table, so provisioning stops midway: schema and tables
    # created in its transaction, the domain insert waiting.
    blocker = psycopg.connect(workers.database_url_for_tests())
    blocker.execute("LOCK TABLE tenants_domain IN EXCLUSIVE MODE")
    first = workers.WorkerProcess(queues=queue, concurrency=1, extra_env=env).start()
    second = None
    try:
        provision_tenant.apply_async((str(tenant.pk), "o@crashco.test"), queue=queue)
        wait_until(blocked_on_domain_insert)
        first.kill()
        blocker.rollback()
        assert Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.PROVISIONING
        assert tenant_footprint("crashco")["schemas"] == 0  # the killed transaction rolled back

        second = workers.WorkerProcess(queues=queue, concurrency=1, extra_env=env).start()
        wait_until(
            lambda: Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.ACTIVE, timeout=40
        )
        assert tenant_footprint("crashco") == ONE_OF_EACH
    finally:
        blocker.close()
        first.kill()
        if second:
            second.stop()
        drop_tenant_schemas("crashco")


def test_provisioning_whose_worker_died_is_retried_once_after_the_deadline(celery_worker, settings):
    from tests.shared_apps.tenants.helpers import operator_client

    tenant = tenant_register(slug="stuckco", name="Stuck", owner_email="o@stuckco.test")
    queue = f"stuck-{uuid.uuid4().hex[:8]}"  # no redelivery: the broker keeps it for an hour
    blocker = psycopg.connect(workers.database_url_for_tests())
    blocker.execute("LOCK TABLE tenants_domain IN EXCLUSIVE MODE")
    worker = workers.WorkerProcess(queues=queue, concurrency=1).start()
    client = operator_client()
    try:
        provision_tenant.apply_async((str(tenant.pk), "o@stuckco.test"), queue=queue)
        wait_until(blocked_on_domain_insert)
        worker.kill()
        blocker.rollback()
        wait_until(lambda: tenant_footprint("stuckco")["schemas"] == 0)  # rolled back
        settings.TENANT_PROVISIONING_DEADLINE = 60
        early = client.post("/api/tenants/stuckco/retry/")
        assert early.status_code == 409
        assert "stuck provisioning for more than 60" in early.json()["detail"]

        settings.TENANT_PROVISIONING_DEADLINE = 0.5
        time.sleep(0.6)
        retries = [client.post("/api/tenants/stuckco/retry/").status_code for _ in range(2)]
        assert retries == [202, 409]  # the first retry restarts the clock: queued once
        wait_until(lambda: Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.ACTIVE)
        assert tenant_footprint("stuckco") == ONE_OF_EACH
    finally:
        blocker.close()
        worker.kill()
        drop_tenant_schemas("stuckco")
