"""Tenant lifecycle: register, provision from the template, onboard through Celery, retry,
delete (backup, drop) and restore a backup."""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from rls.tenant_roles import tenant_role_drop, tenant_role_provision
from shared_apps.accounts.emails import owner_welcome_email_send
from shared_apps.accounts.models import Membership, Role, User
from shared_apps.accounts.selectors import user_needs_password
from shared_apps.audit.services import audit_record
from shared_apps.tenants import citus, provisioning
from shared_apps.tenants.models import Domain, Tenant
from shared_apps.tenants.pgtools import dump_schema, dump_schema_name, restore_dump
from shared_apps.tenants.provisioning import schema_exists
from shared_apps.tenants.template import template_get
from shared_apps.tenants.validation import schema_name_for_slug, validate_tenant_slug

logger = logging.getLogger(__name__)

PROVISIONABLE = {Tenant.Status.PROVISIONING, Tenant.Status.FAILED}


class TenantStateError(Exception):
    """The tenant is not in a state that allows the operation (the API answers 409)."""


def tenant_primary_domain(slug: str) -> str:
    return f"{slug}.{settings.TENANT_BASE_DOMAIN}"


def tenant_url(tenant: Tenant) -> str:
    return f"http://{tenant_primary_domain(tenant.slug)}/"


def tenant_validate_new(*, slug: str, name: str, owner_email: str | None = None) -> str:
    """Check a new tenant's fields without writing anything; return its schema name.

    Raises ValidationError with a message per field (slug, name, owner_email).
    """
    try:
        validate_tenant_slug(slug)
    except ValidationError as exc:
        raise ValidationError({"slug": exc.messages}, code=exc.code) from exc
    errors = {}
    if not name or not name.strip():
        errors["name"] = "A name is required."
    if owner_email is not None:
        try:
            validate_email(owner_email.strip())
        except ValidationError:
            errors["owner_email"] = "Enter a valid email address."
    if errors:
        raise ValidationError(errors)
    schema_name = schema_name_for_slug(slug)
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"The slug '{slug}' is already taken."}, code="taken")
    taken = Domain.objects.filter(domain=tenant_primary_domain(slug)).exists()
    if (
        taken
        or schema_exists(schema_name)
        or Tenant.objects.filter(schema_name=schema_name).exists()
    ):
        raise ValidationError({"slug": f"The slug '{slug}' is already in use."}, code="taken")
    return schema_name


@transaction.atomic
def tenant_register(
    *, slug: str, name: str, plan: str = Tenant.Plan.FREE, owner_email: str | None = None
) -> Tenant:
    """Record a new tenant in `provisioning` state; its schema is made by `tenant_provision`."""
    schema_name = tenant_validate_new(slug=slug, name=name, owner_email=owner_email)
    onboarding = {"owner_email": normalise_email(owner_email)} if owner_email else {}
    try:
        return Tenant.objects.create(
            slug=slug,
            name=name.strip(),
            plan=plan,
            schema_name=schema_name,
            status=Tenant.Status.PROVISIONING,
            settings={"onboarding": onboarding} if onboarding else {},
        )
    # A concurrent registration won the race for the slug. No savepoint of its own is needed:
    # the error leaves this function at once, and its @atomic rolls back (to its savepoint
    # when nested), so the caller's transaction stays usable.
    except IntegrityError as exc:
        raise ValidationError({"slug": f"The slug '{slug}' is already taken."}) from exc


def normalise_email(email: str) -> str:
    return email.strip().lower()


def tenant_provision(*, tenant: Tenant, owner_email: str | None = None) -> Tenant:
    """Build the schema from the template, add domain and owner, and mark the tenant active.

    All of it is one transaction, with the tenant row locked: running it twice (or twice at
    once) gives one schema, one domain and one membership. A failure rolls everything back
    and leaves the tenant `failed` with the reason; calling it again finishes the job.
    """
    try:
        template = template_get()  # may build the template: outside the transaction
        with transaction.atomic():
            locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
            if locked.status == Tenant.Status.ACTIVE:
                return locked
            if locked.status not in PROVISIONABLE:
                raise TenantStateError(f"Tenant {locked.slug} is {locked.status}.")
            created = provisioning.schema_provision(
                schema_name=locked.schema_name, template=template
            )
            owner = tenant_attach_owner(tenant=locked, owner_email=owner_email, fresh=created)
            if owner is not None and user_needs_password(owner):
                owner_welcome_email_send(user=owner, tenant=locked, base_url=tenant_url(locked))
            locked.status, locked.status_reason = Tenant.Status.ACTIVE, ""
            if citus.citus_active():  # the worker Citus placed the new schema on
                locked.node = citus.schema_nodes([locked.schema_name]).get(locked.schema_name, "")
            locked.save(update_fields=["status", "status_reason", "node", "updated_at"])
            audit_record(
                tenant=locked,
                actor=None,
                action="tenant.provisioned",
                target=locked,
                payload={"template": template.key, "schema_created": created},
            )
            return locked
    except TenantStateError:
        raise
    except Exception as exc:
        logger.exception("Provisioning %s failed", tenant.slug)
        tenant_mark_failed(tenant=tenant, reason=f"{exc.__class__.__name__}: {exc}")
        raise


def tenant_mark_failed(*, tenant: Tenant, reason: str) -> None:
    """Record why provisioning failed; best effort (the database may be what failed)."""
    try:
        Tenant.objects.filter(pk=tenant.pk).update(
            status=Tenant.Status.FAILED, status_reason=reason[:2000]
        )
    except Exception:
        logger.exception("Could not mark %s failed", tenant.slug)


def tenant_attach_owner(
    *, tenant: Tenant, owner_email: str | None, fresh: bool = False
) -> User | None:
    """Create the primary domain and the owner's membership unless they exist; return the owner.

    A new owner has no password yet (unusable): they choose one through the emailed link.

    `fresh`: the caller created the schema in this very transaction, so nothing of this tenant
    can exist yet; plain INSERTs then save the lookups and savepoints of get_or_create.
    """
    domain = tenant_primary_domain(tenant.slug)
    owner = None
    if owner_email:
        owner, _ = User.objects.get_or_create(
            email=normalise_email(owner_email), defaults={"password": make_password(None)}
        )
    if fresh:
        # A domain that already routes to another tenant fails here (unique violation).
        Domain.objects.bulk_create([Domain(domain=domain, tenant=tenant, is_primary=True)])
        if owner is not None:
            Membership.objects.bulk_create([Membership(user=owner, tenant=tenant, role=Role.OWNER)])
        return owner
    # `tenant` in the lookup: a domain that already routes to another tenant is an error
    # (unique violation), never silently adopted.
    Domain.objects.get_or_create(domain=domain, tenant=tenant, defaults={"is_primary": True})
    if owner is not None:
        Membership.objects.get_or_create(user=owner, tenant=tenant, defaults={"role": Role.OWNER})
    return owner


def tenant_create(
    *, slug: str, name: str, owner_email: str | None = None, plan: str = Tenant.Plan.FREE
) -> Tenant:
    """Register and provision a tenant synchronously; bad input creates nothing."""
    tenant = tenant_register(slug=slug, name=name, plan=plan, owner_email=owner_email)
    return tenant_provision(tenant=tenant, owner_email=owner_email)


def queue_provisioning(tenant: Tenant, owner_email: str | None) -> None:
    """Send the onboarding task once the current transaction commits."""
    from tasks.onboarding import provision_tenant

    tenant_id = str(tenant.pk)
    transaction.on_commit(lambda: provision_tenant.delay(tenant_id, owner_email))


@transaction.atomic
def tenant_onboard(
    *, slug: str, name: str, owner_email: str | None = None, plan: str = Tenant.Plan.FREE
) -> Tenant:
    """Register a tenant and queue its provisioning (Celery, operator queue)."""
    tenant = tenant_register(slug=slug, name=name, plan=plan, owner_email=owner_email)
    queue_provisioning(tenant, tenant_owner_email(tenant))
    return tenant


def tenant_owner_email(tenant: Tenant) -> str | None:
    return (tenant.settings or {}).get("onboarding", {}).get("owner_email")


def tenant_provisioning_stale(tenant: Tenant) -> bool:
    """Whether a `provisioning` tenant has not moved for TENANT_PROVISIONING_DEADLINE seconds."""
    deadline = timedelta(seconds=settings.TENANT_PROVISIONING_DEADLINE)
    return tenant.status == Tenant.Status.PROVISIONING and (
        tenant.updated_at < timezone.now() - deadline
    )


@transaction.atomic
def tenant_retry(*, tenant: Tenant) -> Tenant:
    """Queue provisioning again for a `failed` tenant, or one stuck `provisioning` (its worker
    died) past the deadline; a retry restarts the deadline, so concurrent retries queue one."""
    try:
        # NOWAIT: a live provisioning transaction holds this row; then nothing is stuck.
        locked = Tenant.objects.select_for_update(nowait=True).get(pk=tenant.pk)
    except OperationalError:
        raise TenantStateError(
            f"Tenant {tenant.slug} is being provisioned right now; wait for it to finish."
        ) from None
    if locked.status != Tenant.Status.FAILED and not tenant_provisioning_stale(locked):
        raise TenantStateError(
            f"Only a failed tenant, or one stuck provisioning for more than "
            f"{settings.TENANT_PROVISIONING_DEADLINE} s, can be retried; {locked.slug} is "
            f"{locked.status} since {locked.updated_at:%Y-%m-%d %H:%M:%S} UTC."
        )
    locked.status, locked.status_reason = Tenant.Status.PROVISIONING, ""
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    queue_provisioning(locked, tenant_owner_email(locked))
    return locked


def tenant_delete(*, tenant: Tenant, backup: bool = True) -> Path | None:
    """Mark the tenant `deleting` (its host answers 410), back the schema up, drop it."""
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.DELETING)
    backup_path = None
    if backup and schema_exists(tenant.schema_name):
        backup_path = dump_schema(tenant.schema_name, label="delete")
    with transaction.atomic():
        provisioning.schema_drop(schema_name=tenant.schema_name)
        Domain.objects.filter(tenant=tenant).delete()
        Tenant.objects.filter(pk=tenant.pk).delete()
        with connection.cursor() as cursor:
            tenant_role_drop(tenant_id=tenant.pk, cursor=cursor)
    return backup_path


def tenant_restore(
    *, dump_path: Path, slug: str, name: str, owner_email: str | None = None
) -> Tenant:
    """Bring a `delete_tenant` backup back as an active tenant, under its original schema."""
    schema_name = dump_schema_name(dump_path)
    try:
        validate_tenant_slug(slug)
    except ValidationError as exc:
        raise ValidationError({"slug": exc.messages}) from exc
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=tenant_primary_domain(slug)).exists()
    ):
        raise ValidationError({"slug": f"The slug '{slug}' is already taken."})
    if schema_exists(schema_name) or Tenant.objects.filter(schema_name=schema_name).exists():
        raise ValidationError({"file": f"Schema {schema_name} already exists; not restoring."})
    restore_dump(dump_path)
    try:
        node = ""
        if citus.citus_active():  # pg_restore made a plain schema: distribute it to a worker
            node = citus.schema_distribute(schema_name)
        with transaction.atomic():
            tenant = Tenant.objects.create(
                slug=slug,
                name=name,
                schema_name=schema_name,
                status=Tenant.Status.ACTIVE,
                node=node,
            )
            with connection.cursor() as cursor:
                tenant_role_provision(tenant_id=tenant.pk, schema_name=schema_name, cursor=cursor)
            tenant_attach_owner(tenant=tenant, owner_email=owner_email)
            audit_record(
                tenant=tenant, actor=None, action="tenant.restored", target=tenant,
                payload={"file": str(dump_path)},
            )  # fmt: skip
    except Exception:
        provisioning.schema_drop(schema_name=schema_name)
        raise
    return tenant
