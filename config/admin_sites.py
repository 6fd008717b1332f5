"""Two admin sites: operators manage the public schema, tenant owners/admins their own schema."""

from django.contrib import admin
from django.contrib.admin import AdminSite

TENANT_ADMIN_ROLES = {"owner", "admin"}


def user_administers_tenant(request) -> bool:
    """Return whether the signed-in user may use the admin of the request's tenant."""
    user, tenant = request.user, getattr(request, "tenant", None)
    if not (user.is_active and user.is_authenticated and tenant is not None):
        return False
    if user.is_superuser:
        return True
    from shared_apps.accounts.selectors import membership_role_get

    return membership_role_get(user=user, tenant=tenant) in TENANT_ADMIN_ROLES


class PublicAdminSite(AdminSite):
    site_header = "Dev Context — operators"
    site_title = "Dev Context operators"


class TenantAdminSite(AdminSite):
    site_header = "Dev Context"
    site_title = "Dev Context"

    def has_permission(self, request) -> bool:
        return user_administers_tenant(request)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        context["site_header"] = f"Dev Context — {tenant.name}" if tenant else self.site_header
        return context


class TenantModelAdmin(admin.ModelAdmin):
    """Grants the tenant's owners and admins full rights on the tenant's own models."""

    def has_module_permission(self, request) -> bool:
        return user_administers_tenant(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_administers_tenant(request)

    def has_add_permission(self, request) -> bool:
        return user_administers_tenant(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return user_administers_tenant(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return user_administers_tenant(request)


public_admin = PublicAdminSite(name="public_admin")
tenant_admin = TenantAdminSite(name="tenant_admin")
