"""Two admin sites: operators manage the public schema, tenant owners/admins their own schema."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin import AdminSite

import rls

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
    """The operators' admin: every tenant's memberships, tokens, audit and migration outcomes.

    Those tables are tenant-scoped by RLS, so each admin page a staff user opens runs inside
    `rls.all_tenants_scope()` (logged with the user and the page), rendering included.
    """

    site_header = "Dev Context — operators"
    site_title = "Dev Context operators"

    def admin_view(self, view, cacheable=False):
        checked = super().admin_view(view, cacheable)

        @wraps(view)
        def in_operator_scope(request, *args, **kwargs):
            if not self.has_permission(request):
                return checked(request, *args, **kwargs)  # redirects to the login page
            with rls.all_tenants_scope(actor=request.user, reason=f"admin {request.path}"):
                response = checked(request, *args, **kwargs)
                # Changelists are TemplateResponses that query while rendering: render here.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return in_operator_scope


class OperatorAuditedAdmin(admin.ModelAdmin):
    """An operator admin page for a tenant-scoped table: each change is audited in its tenant."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        action = "changed" if change else "created"
        self.audit(request, obj, action, fields=sorted(form.changed_data))

    def delete_model(self, request, obj) -> None:
        self.audit(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.audit(request, obj, "deleted")
        super().delete_queryset(request, queryset)

    def audit(self, request, obj, action: str, **payload) -> None:
        """Record the operator's change as an AuditEvent of the row's tenant (if it has one)."""
        from config.api.viewsets import client_ip
        from shared_apps.audit.services import audit_record

        if obj.tenant_id is None:
            return  # operator tokens: no tenant to record it in (the admin's LogEntry has it)
        audit_record(
            tenant=obj.tenant,
            actor=request.user,
            action=f"operator.{obj._meta.model_name}.{action}",
            target=obj,
            payload=payload,
            ip=client_ip(request),
        )


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
