"""Two admin sites: operators manage the public schema, tenant owners/admins their own schema.

The tenant admin (`<slug>.<base domain>/admin/`) signs people in by their membership, not
`is_staff`: owners and admins of that tenant, nobody else (RLS hides other users on a tenant
host, operators included). What each may do to a model follows the API's permission matrix
for its role (`config.api.permissions`).
"""

import uuid
from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.db import transaction

import rls

TENANT_ADMIN_ROLES = {"owner", "admin"}


def membership_administers(*, user, tenant) -> bool:
    """Return whether `user` is an owner or admin of `tenant`."""
    if tenant is None or not (user.is_authenticated and user.is_active):
        return False
    from shared_apps.accounts.selectors import membership_role_get

    return membership_role_get(user=user, tenant=tenant) in TENANT_ADMIN_ROLES


def admin_role(request) -> str | None:
    """Return the signed-in user's role in the request's tenant when it may use the admin."""
    from config.api.permissions import request_role

    if getattr(request, "tenant", None) is None or not request.user.is_active:
        return None
    role = request_role(request)
    return role if role in TENANT_ADMIN_ROLES else None


def user_administers_tenant(request) -> bool:
    """Return whether the signed-in user may use the admin of the request's tenant."""
    return admin_role(request) is not None


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shared_apps.accounts.forms import TenantAdminAuthenticationForm

        self.login_form = TenantAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        return user_administers_tenant(request)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        context["site_header"] = f"Dev Context — {tenant.name}" if tenant else self.site_header
        return context


def member_labels(request) -> dict[uuid.UUID, str]:
    """Map the tenant's members' ids to "Name <email>", read once per request."""
    if not hasattr(request, "member_labels"):
        from shared_apps.accounts.selectors import membership_list

        request.member_labels = {
            m.user_id: f"{m.user.full_name} <{m.user.email}>" if m.user.full_name else m.user.email
            for m in membership_list(tenant=request.tenant)
        }
    return request.member_labels


class TenantModelAdmin(admin.ModelAdmin):
    """A tenant model in the tenant admin: role-based rights, people shown by name.

    `resource` is the model's key in the permission matrix; `user_fields` are UUID columns
    that hold a user's id (references across schemas have no foreign key): forms offer the
    tenant's members by name and email, change lists show them instead of raw UUIDs.
    """

    resource: str = ""
    user_fields: tuple[str, ...] = ()

    def _may(self, request, write: bool) -> bool:
        from config.api.permissions import PERMISSION_MATRIX, role_at_least

        role = admin_role(request)
        access = PERMISSION_MATRIX[self.resource]
        return role is not None and role_at_least(role, access.write if write else access.read)

    def has_module_permission(self, request) -> bool:
        return self._may(request, write=False)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request, write=False)

    def has_add_permission(self, request) -> bool:
        return self._may(request, write=True)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request, write=True)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may(request, write=True)

    def save_model(self, request, obj, form, change):
        if not change and getattr(obj, "created_by", False) is None:
            obj.created_by = request.user.pk
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._audit(request, obj, "update" if change else "create")

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, obj, "delete")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "delete")
            super().delete_queryset(request, queryset)

    def _audit(self, request, obj, verb: str) -> None:
        # The API's services audit every write; changes made here are recorded the same way.
        from config.api.viewsets import audit_context

        audit_context(request).record(f"{self.model._meta.model_name}.{verb}", obj, via="admin")

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return shown + [self._user_column(name, request) for name in self.user_fields]

    def _user_column(self, name: str, request):
        def column(obj):
            value = getattr(obj, name)
            return member_labels(request).get(value, value) if value else "—"

        column.short_description = self.model._meta.get_field(name).verbose_name
        return column

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name not in self.user_fields:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        choices = sorted(member_labels(request).items(), key=lambda item: item[1].lower())
        return forms.TypedChoiceField(
            choices=[("", "—")] + [(str(pk), label) for pk, label in choices],
            coerce=uuid.UUID,
            empty_value=None,
            required=not db_field.blank,
            label=db_field.verbose_name.capitalize(),
        )


public_admin = PublicAdminSite(name="public_admin")
tenant_admin = TenantAdminSite(name="tenant_admin")
