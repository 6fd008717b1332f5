from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from config.admin_sites import OperatorAuditedAdmin, public_admin
from shared_apps.accounts.models import ApiToken, Invitation, Membership, User
from shared_apps.accounts.services import api_token_create


@admin.register(User, site=public_admin)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]


@admin.register(Membership, site=public_admin)
class MembershipAdmin(OperatorAuditedAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role"]


@admin.register(ApiToken, site=public_admin)
class ApiTokenAdmin(OperatorAuditedAdmin):
    """Tokens of every tenant; adding one makes a new key and shows it once."""

    list_display = ["prefix", "name", "user", "tenant", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "last_used_at"]

    def get_fields(self, request, obj=None):
        if obj is None:  # the key is generated, never typed in
            return ["user", "tenant", "name", "expires_at"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        token, key = api_token_create(
            user=obj.user, tenant=obj.tenant, name=obj.name, expires_at=obj.expires_at
        )
        obj.pk, obj.key_hash, obj.prefix = token.pk, token.key_hash, token.prefix
        obj._state.adding, obj._state.db = False, token._state.db
        self.audit(request, obj, "created", fields=sorted(form.changed_data))
        messages.warning(request, f"The key of {token}: {key} (shown once; copy it now).")


@admin.register(Invitation, site=public_admin)
class InvitationAdmin(OperatorAuditedAdmin):
    list_display = ["email", "tenant", "role", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["token_hash"]
