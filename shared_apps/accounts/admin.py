from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from config.admin_sites import public_admin
from shared_apps.accounts.models import ApiToken, Invitation, Membership, User


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
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role"]


@admin.register(ApiToken, site=public_admin)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "tenant", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "last_used_at"]


@admin.register(Invitation, site=public_admin)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["token_hash"]
