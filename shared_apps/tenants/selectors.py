"""Reads about tenants."""

from django.db.models import QuerySet

from shared_apps.tenants.models import Tenant


def tenant_list(*, status: str | None = None) -> QuerySet[Tenant]:
    """Return tenants ordered by slug, optionally only those in `status`."""
    tenants = Tenant.objects.order_by("slug")
    return tenants.filter(status=status) if status else tenants


def tenant_get(*, slug: str) -> Tenant | None:
    """Return the tenant `slug`, or None."""
    return Tenant.objects.filter(slug=slug).first()
