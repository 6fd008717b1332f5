from django.contrib import admin

from config.admin_sites import public_admin
from shared_apps.audit.models import AuditEvent


@admin.register(AuditEvent, site=public_admin)
class AuditEventAdmin(admin.ModelAdmin):
    """Every tenant's audit trail, read-only: an operator may read it, never rewrite it."""

    list_display = ["at", "tenant", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
