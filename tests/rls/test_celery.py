"""Tenant-aware Celery tasks: a task for B right after one for A, same worker, sees only B."""

import uuid

import pytest
from django_tenants.utils import tenant_context

from tasks.diagnostics import tenant_visibility
from tests.celery_worker import WorkerProcess

pytestmark = pytest.mark.celery

QUEUE = f"rls-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def app_role_worker(app_role, world, django_db_blocker):
    """One solo-pool worker serving as the application role, on a pooled connection."""
    url = app_role.url()
    worker = WorkerProcess(
        queues=QUEUE,
        concurrency=1,
        pool="solo",
        extra_env={
            "DATABASE_URL": url,
            "DATABASE_OWNER_URL": url,
            "DJANGO_DB_ROLE": "app",
            "DJANGO_SETTINGS_MODULE": "tests.rls.worker_settings",
            "CONN_MAX_AGE": "600",
        },
    )
    worker.start()
    yield worker
    worker.stop()


def run_in(tenant) -> dict:
    with tenant_context(tenant):  # tenant-schemas-celery puts the schema in the headers
        result = tenant_visibility.apply_async(queue=QUEUE)
    return result.get(timeout=30)


def test_task_for_b_after_task_for_a_sees_only_b(app_role_worker, app_role, world):
    first, second = run_in(world.a), run_in(world.b)
    assert first["pid"] == second["pid"], "both tasks must run on the worker's one connection"
    assert first["role"] == second["role"] == app_role.name
    assert (first["schema"], first["tenants"]) == (world.a.schema_name, [str(world.a.pk)])
    assert (second["schema"], second["tenants"]) == (world.b.schema_name, [str(world.b.pk)])
    third = tenant_visibility.apply_async(queue=QUEUE).get(timeout=30)  # sent from public
    assert (third["schema"], third["tenants"], third["pid"]) == ("public", [], first["pid"])
