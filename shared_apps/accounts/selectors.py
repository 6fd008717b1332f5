"""Reads about users and their memberships."""

from django.db.models import QuerySet

from shared_apps.accounts.models import ApiToken, Invitation, Membership, User


def membership_role_get(*, user, tenant) -> str | None:
    """Return the user's role in the tenant, or None when they are not a member."""
    return (
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True).first()
    )


def membership_exists(*, tenant, user_id) -> bool:
    """Whether the user with id `user_id` is a member of `tenant`."""
    return Membership.objects.filter(tenant=tenant, user_id=user_id).exists()


def membership_list(*, tenant) -> QuerySet[Membership]:
    """The tenant's memberships with their users (one query for any page size)."""
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("created_at")


def api_token_list(*, tenant, user, include_everyones: bool) -> QuerySet[ApiToken]:
    """The tenant's tokens: all of them for owners (`include_everyones`), else the user's own."""
    tokens = ApiToken.objects.filter(tenant=tenant).select_related("user").order_by("-created_at")
    return tokens if include_everyones else tokens.filter(user=user)


def invitation_list(*, tenant) -> QuerySet[Invitation]:
    return Invitation.objects.filter(tenant=tenant).order_by("-created_at")


def user_needs_password(user: User) -> bool:
    """Whether the user has never chosen a password (unusable, or empty from older rows)."""
    return not user.password or not user.has_usable_password()
