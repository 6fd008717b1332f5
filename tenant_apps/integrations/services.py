"""Writes to webhooks: the signing secret is generated here, shown once, stored hashed."""

import hashlib
import secrets

from django.db import transaction

from shared_apps.audit.services import AuditContext, audited_create, audited_delete, audited_update
from tenant_apps.integrations.models import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret


@transaction.atomic
def webhook_create(*, audit: AuditContext, **fields) -> Webhook:
    """Create a webhook; the plain secret is on the returned object's `secret`, nowhere else."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(24)
    webhook = audited_create(
        audit=audit,
        model=Webhook,
        action="webhook.create",
        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
        **fields,
    )
    webhook.secret = secret
    return webhook


def webhook_update(*, audit: AuditContext, instance: Webhook, **fields) -> Webhook:
    return audited_update(audit=audit, instance=instance, action="webhook.update", **fields)


def webhook_delete(*, audit: AuditContext, instance: Webhook) -> None:
    audited_delete(audit=audit, instance=instance, action="webhook.delete")
