"""Writes about who may enter a tenant: memberships, audited tokens, invitations.

Each is atomic and records an AuditEvent; the tenant API calls these, never the models.
"""

import secrets
import uuid
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from shared_apps.accounts import emails
from shared_apps.accounts.models import ApiToken, Invitation, Membership, Role, User
from shared_apps.accounts.selectors import membership_exists, user_needs_password
from shared_apps.accounts.services import api_token_create, api_token_hash
from shared_apps.audit.services import AuditContext, audited_update

INVITATION_LIFETIME = timedelta(days=7)
INVITATION_PREFIX = "inv_"
INVITATION_UNUSABLE = {
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn.",
    "expired": "This invitation has expired; ask for a new one.",
}
UNKNOWN_INVITATION = "No invitation of this organisation has this token."


def _refuse_losing_last_owner(membership: Membership) -> None:
    """Refuse when `membership` is the tenant's only owner, deciding under row locks.

    Every owner row of the tenant is locked (FOR UPDATE, in primary-key order so two callers
    never deadlock). A concurrent demotion or removal waits here until the first commits; under
    READ COMMITTED PostgreSQL then re-checks `role = 'owner'` against the committed rows, so
    the second caller sees that only one owner is left and is refused.
    """
    owners = list(
        Membership.objects.select_for_update()
        .filter(tenant=membership.tenant_id, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    membership.refresh_from_db(fields=["role"])
    if owners == [membership.pk]:
        raise ValidationError({"role": "The organisation needs at least one owner."})


def dangerously_user_id_for_email(*, audit: AuditContext, email: str) -> uuid.UUID | None:
    """Return the id of the active user with `email`, even one RLS hides here; audited.

    Inside a tenant the serving role sees only that tenant's members. This asks the database
    function `accounts_user_id_for_email` (SECURITY DEFINER, see accounts migration 0008) for
    exactly one id and nothing else, and records who asked for which address.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.accounts_user_id_for_email(%s)", [email])
        user_id = cursor.fetchone()[0]
    audit.record("user.lookup_by_email", None, email=email, found=user_id is not None)
    return user_id


def _refuse_past(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Must be in the future."})


@transaction.atomic
def membership_add(*, audit: AuditContext, email: str, role: str, adder_role: str) -> Membership:
    """Give an existing user `role` in the tenant (new people are invited instead).

    Only owners make owners, as with invitations.
    """
    if role == Role.OWNER and adder_role != Role.OWNER:
        raise ValidationError({"role": "Only owners can add owners."})
    email = email.strip().lower()
    user_id = dangerously_user_id_for_email(audit=audit, email=email)
    if user_id is None:
        raise ValidationError({"email": "No user has this email; send an invitation instead."})
    if membership_exists(tenant=audit.tenant, user_id=user_id):
        raise ValidationError({"email": "This user is already a member."})
    membership = Membership.objects.create(tenant=audit.tenant, user_id=user_id, role=role)
    audit.record("membership.add", membership, role=role, email=email)
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
    *,
    audit: AuditContext,
    email: str,
    inviter_role: str,
    base_url: str,
    role: str = Role.MEMBER,
    expires_at=None,
) -> tuple[Invitation, str]:
    """Invite `email` with `role` and email them the link; only owners invite owners.

    Return the invitation with its token (stored hashed, shown once). `base_url` is the
    tenant host the link points at.
    """
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
    emails.invitation_email_send(invitation=invitation, token=key, base_url=base_url)
    return invitation, key


@transaction.atomic
def invitation_revoke(*, audit: AuditContext, instance: Invitation) -> Invitation:
    """Withdraw a pending invitation; it stays listed with `revoked_at`."""
    if instance.accepted_at is not None:
        raise ValidationError({"detail": "This invitation was already accepted."})
    if instance.revoked_at is None:
        instance.revoked_at = timezone.now()
        instance.save(update_fields=["revoked_at"])
    audit.record("invitation.revoke", instance, email=instance.email)
    return instance


@transaction.atomic
def invitation_accept(
    *, tenant, token: str, password: str, full_name: str = "", ip: str | None = None
) -> Membership:
    """Turn a pending invitation into a membership with the invitation's role; once only.

    A new person becomes a user with `password`; someone who already has an account proves it
    is theirs with their current password. The invitation row is locked, so two accepts of one
    token cannot both succeed.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .filter(tenant=tenant, token_hash=api_token_hash(token.strip()))
        .first()
    )
    if invitation is None:
        raise ValidationError({"token": UNKNOWN_INVITATION})
    if invitation.state != "pending":
        raise ValidationError({"token": INVITATION_UNUSABLE[invitation.state]})
    audit = AuditContext(tenant=tenant, ip=ip)
    user_id = dangerously_user_id_for_email(audit=audit, email=invitation.email)
    if user_id is None:
        user = _invited_user_create(email=invitation.email, password=password, full_name=full_name)
        membership = Membership.objects.create(tenant=tenant, user=user, role=invitation.role)
    else:
        if membership_exists(tenant=tenant, user_id=user_id):
            raise ValidationError({"token": "You are already a member of this organisation."})
        # The user row is hidden by RLS until they are a member: join first, then check the
        # password; a wrong one raises and rolls the membership back with everything else.
        membership = Membership.objects.create(tenant=tenant, user_id=user_id, role=invitation.role)
        user = membership.user
        if user_needs_password(user):
            raise ValidationError(
                {"password": "Your account has no password yet; set one with the password reset"
                 " link first, then accept again."}
            )  # fmt: skip
        if not user.check_password(password):
            raise ValidationError({"password": "This is not the password of " + user.email + "."})
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    AuditContext(tenant=tenant, actor=user, ip=ip).record(
        "invitation.accept", invitation, role=invitation.role, new_user=user_id is None
    )
    return membership


def _invited_user_create(*, email: str, password: str, full_name: str) -> User:
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    return User.objects.create_user(email, password, full_name=full_name)


INVALID_RESET_LINK = "This password link is invalid or has expired; ask for a new one."


@transaction.atomic
def user_password_reset(*, uidb64: str, token: str, new_password: str, tenant, ip=None) -> User:
    """Set a password from a set-password/reset link (Django's token generator); audited.

    The link dies once used: the token hashes the current password. On a tenant host only
    that tenant's members can be found (RLS), so a link works on their organisations' hosts
    and on the base domain.
    """
    try:
        user = User.objects.filter(pk=force_str(urlsafe_base64_decode(uidb64))).first()
    except (ValueError, TypeError, OverflowError, ValidationError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise ValidationError({"token": INVALID_RESET_LINK})
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if tenant is not None:
        AuditContext(tenant=tenant, actor=user, ip=ip).record("user.password_reset", user)
    return user
