"""Reads about users and their memberships."""

from django.db import connection
from django.db.models import QuerySet

from shared_apps.accounts.models import ApiToken, Invitation, Membership


def membership_role_get(*, user, tenant) -> str | None:
    """Return the user's role in the tenant, or None when they are not a member."""
    return (
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True).first()
    )


def user_id_get(*, email: str):
    """Return the id of the active user with this email in any tenant, or None.

    Inside a tenant RLS shows only its members' rows; this reads across that view through the
    owner's function of accounts 0007, which answers the one id and no other column or user.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT accounts_user_id_by_email(%s)", [email])
        return cursor.fetchone()[0]


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
