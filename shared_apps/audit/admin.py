from django.contrib import admin

from config.admin_sites import public_admin
from shared_apps.audit.models import AuditEvent


@admin.register(AuditEvent, site=public_admin)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "tenant", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
    date_hierarchy = "at"
