"""Onboarding tasks (operator queue, owner role): provision a registered tenant."""

import logging

import psycopg
from django.db import InterfaceError, OperationalError

from config.celery_app import app

logger = logging.getLogger(__name__)

# Worth retrying: the database went away, a deadlock or serialization failure (both are
# OperationalError subclasses in psycopg), a connection that broke between tasks.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)


@app.task(
    name="onboarding.provision_tenant",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def provision_tenant(self, tenant_id: str, owner_email: str | None = None) -> str:
    """Provision tenant `tenant_id` from the template; do nothing when it is already active."""
    # Imported here: `tasks` is imported by the Celery app before Django's apps are ready.
    from shared_apps.tenants.models import Tenant
    from shared_apps.tenants.services import TenantStateError, tenant_provision

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        logger.warning("Tenant %s no longer exists; nothing to provision.", tenant_id)
        return "missing"
    if tenant.status == Tenant.Status.ACTIVE:
        return tenant.status
    try:
        return tenant_provision(tenant=tenant, owner_email=owner_email).status
    except TenantStateError as exc:  # suspended or being deleted meanwhile: not ours to undo
        logger.warning("Not provisioning: %s", exc)
        return "skipped"
