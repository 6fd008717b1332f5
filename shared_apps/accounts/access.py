"""Writes about who may enter a tenant: memberships, audited tokens, invitations.

Each is atomic and records an AuditEvent; the tenant API calls these, never the models.
"""

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.models import ApiToken, Invitation, Membership, Role
from shared_apps.accounts.selectors import membership_exists, user_id_get
from shared_apps.accounts.services import api_token_create, api_token_hash
from shared_apps.audit.services import AuditContext, audited_update

INVITATION_LIFETIME = timedelta(days=7)
INVITATION_PREFIX = "inv_"


def _refuse_losing_last_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(tenant=membership.tenant_id, role=Role.OWNER)
    if membership.role == Role.OWNER and not owners.exclude(pk=membership.pk).exists():
        raise ValidationError({"role": "The organisation needs at least one owner."})


def _refuse_past(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Must be in the future."})


@transaction.atomic
def membership_add(*, audit: AuditContext, email: str, role: str) -> Membership:
    """Give an existing user `role` in the tenant (new people are invited instead)."""
    # Inside a tenant RLS shows only its members; the person to add is not one yet.
    user_id = user_id_get(email=email.strip().lower())
    if user_id is None:
        raise ValidationError({"email": "No user has this email; send an invitation instead."})
    if membership_exists(tenant=audit.tenant, user_id=user_id):
        raise ValidationError({"email": "This user is already a member."})
    membership = Membership.objects.create(tenant=audit.tenant, user_id=user_id, role=role)
    audit.record("membership.add", membership, role=role)
    return membership


@transaction.atomic
def membership_update(*, audit: AuditContext, instance: Membership, role: str) -> Membership:
    if role != Role.OWNER:
        _refuse_losing_last_owner(instance)
    return audited_update(audit=audit, instance=instance, action="membership.update", role=role)


@transaction.atomic
def membership_remove(*, audit: AuditContext, instance: Membership) -> None:
    """Remove a member and revoke their tokens for this tenant."""
    _refuse_losing_last_owner(instance)
    ApiToken.objects.filter(
        tenant=audit.tenant, user_id=instance.user_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    audit.record("membership.remove", instance, user=str(instance.user_id))
    instance.delete()


@transaction.atomic
def api_token_issue(
    *, audit: AuditContext, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the acting user in the tenant; return it with its key (shown once)."""
    _refuse_past(expires_at)
    token, key = api_token_create(
        user=audit.actor, tenant=audit.tenant, name=name, expires_at=expires_at
    )
    audit.record("api_token.create", token, prefix=token.prefix)
    return token, key


@transaction.atomic
def api_token_revoke(*, audit: AuditContext, instance: ApiToken) -> ApiToken:
    if instance.revoked_at is None:
        instance.revoked_at = timezone.now()
        instance.save(update_fields=["revoked_at"])
    audit.record("api_token.revoke", instance, prefix=instance.prefix)
    return instance


@transaction.atomic
def invitation_create(
    *, audit: AuditContext, email: str, inviter_role: str, role: str = Role.MEMBER, expires_at=None
) -> tuple[Invitation, str]:
    """Invite `email` with `role`; only owners invite owners. Return it with its token."""
    if role == Role.OWNER and inviter_role != Role.OWNER:
        raise ValidationError({"role": "Only owners can invite owners."})
    email = email.strip().lower()
    if Membership.objects.filter(tenant=audit.tenant, user__email=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    _refuse_past(expires_at)
    key = INVITATION_PREFIX + secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=audit.tenant,
        email=email,
        role=role,
        token_hash=api_token_hash(key),
        invited_by=audit.actor,
        expires_at=expires_at or timezone.now() + INVITATION_LIFETIME,
    )
    audit.record("invitation.create", invitation, role=role)
    return invitation, key


@transaction.atomic
def invitation_revoke(*, audit: AuditContext, instance: Invitation) -> None:
    audit.record("invitation.revoke", instance, email=instance.email)
    instance.delete()
