"""Writes to the audit trail: one `AuditEvent` per change, inside the change's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from shared_apps.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, in which tenant, from where: what every audited service needs."""

    tenant: Any
    actor: Any = None
    ip: str | None = None

    @property
    def actor_id(self):
        return getattr(self.actor, "pk", None)

    def record(self, action: str, target=None, /, **payload) -> AuditEvent:
        """Record this actor doing `action` to `target` in this tenant (see `audit_record`)."""
        return audit_record(
            tenant=self.tenant,
            actor=self.actor,
            action=action,
            target=target,
            payload=payload,
            ip=self.ip,
        )


def audit_record(
    *,
    tenant,
    actor,
    action: str,
    target: models.Model | tuple[str, Any] | None = None,
    payload: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Record `actor` doing `action` to `target` in `tenant`.

    Call it from inside the service's `transaction.atomic` block, so the audit row commits or
    rolls back with the change it describes. `target` is a model instance or a
    `(type, id)` pair; `actor` is a User or None for the system.
    """
    if isinstance(target, models.Model):
        target_type, target_id = target._meta.label_lower, target.pk
    elif target is not None:
        target_type, target_id = target
    else:
        target_type, target_id = "", ""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        payload=payload or {},
        ip=ip or None,
    )


@transaction.atomic
def audited_create(*, audit: AuditContext, model: type[models.Model], action: str, **fields):
    """Create a `model` row from `fields` and audit it as `action`."""
    instance = model.objects.create(**fields)
    audit.record(action, instance, fields=sorted(fields))
    return instance


@transaction.atomic
def audited_update(*, audit: AuditContext, instance: models.Model, action: str, **fields):
    """Set `fields` on `instance`, save only what changed, and audit the changed names."""
    changed = []
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    if changed:
        update_fields = list(changed)
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    audit.record(action, instance, changed=sorted(changed))
    return instance


class DeletionRefused(Exception):
    """Deleting would silently take children with it (the API answers 409 naming them)."""

    def __init__(self, instance: models.Model, holds: dict[str, int]):
        self.holds = holds
        listed = ", ".join(f"{count} {name}" for name, count in holds.items())
        super().__init__(
            f"This {instance._meta.verbose_name} holds {listed}; delete or move them first,"
            " or ask for a cascading delete (?cascade=true, owners and admins)."
        )


@transaction.atomic
def audited_delete(
    *,
    audit: AuditContext,
    instance: models.Model,
    action: str,
    children: tuple[str, ...] = (),
    cascade: bool = False,
) -> None:
    """Delete `instance` and audit it as `action` (the audit row keeps its type and id).

    `children` names the reverse relations whose rows the delete would take with it: unless
    `cascade`, any such row refuses the delete (DeletionRefused); with it, the audit row
    records how many of each went.
    """
    holds = {}
    if children:
        # Lock the parent first: inserting a child takes FOR KEY SHARE on it, so no child can
        # appear between the count and the delete.
        type(instance)._default_manager.select_for_update().filter(pk=instance.pk).exists()
        counts = {name: getattr(instance, name).count() for name in children}
        holds = {name.replace("_", " "): count for name, count in counts.items() if count}
        if holds and not cascade:
            raise DeletionRefused(instance, holds)
    target = (instance._meta.label_lower, instance.pk)
    instance.delete()
    audit.record(action, target, **({"cascade": holds} if holds else {}))
