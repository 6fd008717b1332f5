"""Tenant lifecycle: create (validate, provision, domain, owner) and delete (backup, drop)."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from shared_apps.accounts.models import Membership, Role, User
from shared_apps.tenants import provisioning
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.pgtools import dump_schema
from shared_apps.tenants.validation import schema_name_for_slug, validate_tenant_slug

logger = logging.getLogger(__name__)


def schema_exists(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name])
        return cursor.fetchone() is not None


def tenant_primary_domain(slug: str) -> str:
    return f"{slug}.{settings.TENANT_BASE_DOMAIN}"


def tenant_validate_new(*, slug: str, name: str) -> str:
    """Check a new tenant's slug and name without writing anything; return its schema name."""
    validate_tenant_slug(slug)
    if not name or not name.strip():
        raise ValidationError({"name": "A name is required."})
    schema_name = schema_name_for_slug(slug)
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug '{slug}' is already taken."}, code="taken")
    if schema_exists(schema_name) or Domain.objects.filter(domain=tenant_primary_domain(slug)):
        raise ValidationError({"slug": f"The slug '{slug}' is already in use."}, code="taken")
    return schema_name


@transaction.atomic
def tenant_register(*, slug: str, name: str, plan: str = Tenant.Plan.FREE) -> Tenant:
    """Record a new tenant in `provisioning` state; its schema is made by `tenant_provision`."""
    schema_name = tenant_validate_new(slug=slug, name=name)
    return Tenant.objects.create(
        slug=slug,
        name=name.strip(),
        plan=plan,
        schema_name=schema_name,
        status=Tenant.Status.PROVISIONING,
    )


def tenant_provision(*, tenant: Tenant, owner_email: str | None = None) -> Tenant:
    """Build the tenant's schema, domain and owner membership, then mark it active.

    Safe to run again after a crash: every step checks what is already there.
    A failure leaves the tenant `failed` with the reason and no half-built schema.
    """
    if tenant.status == Tenant.Status.ACTIVE:
        return tenant
    try:
        provisioning.schema_build(schema_name=tenant.schema_name)
        with transaction.atomic():
            Domain.objects.get_or_create(
                domain=tenant_primary_domain(tenant.slug),
                defaults={"tenant": tenant, "is_primary": True},
            )
            if owner_email:
                owner, _ = User.objects.get_or_create(email=owner_email.strip().lower())
                Membership.objects.get_or_create(
                    user=owner, tenant=tenant, defaults={"role": Role.OWNER}
                )
            tenant.status, tenant.status_reason = Tenant.Status.ACTIVE, ""
            tenant.save(update_fields=["status", "status_reason", "updated_at"])
    except Exception as exc:
        logger.exception("Provisioning %s failed", tenant.slug)
        Tenant.objects.filter(pk=tenant.pk).update(
            status=Tenant.Status.FAILED, status_reason=f"{exc.__class__.__name__}: {exc}"
        )
        tenant.refresh_from_db()
        raise
    return tenant


def tenant_create(
    *, slug: str, name: str, owner_email: str | None = None, plan: str = Tenant.Plan.FREE
) -> Tenant:
    """Register and provision a tenant synchronously; a bad or taken slug creates nothing."""
    tenant = tenant_register(slug=slug, name=name, plan=plan)
    return tenant_provision(tenant=tenant, owner_email=owner_email)


def tenant_delete(*, tenant: Tenant, backup: bool = True) -> Path | None:
    """Back the schema up, mark the tenant `deleting`, drop the schema and its rows."""
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.DELETING)
    backup_path = None
    if backup and schema_exists(tenant.schema_name):
        backup_path = dump_schema(tenant.schema_name, label="delete")
    with transaction.atomic():
        provisioning.schema_drop(schema_name=tenant.schema_name)
        Domain.objects.filter(tenant=tenant).delete()
        Tenant.objects.filter(pk=tenant.pk).delete()
    return backup_path
