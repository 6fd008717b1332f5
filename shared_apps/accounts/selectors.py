"""Reads about users and their memberships."""

from shared_apps.accounts.models import Membership


def membership_role_get(*, user, tenant) -> str | None:
    """Return the user's role in the tenant, or None when they are not a member."""
    return (
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True).first()
    )
