from django.contrib import admin

from config.admin_sites import OperatorAuditedAdmin, public_admin
from shared_apps.migrator.models import MigrationRun, TenantMigration


@admin.register(MigrationRun, site=public_admin)
class MigrationRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "operation",
        "status",
        "total_count",
        "done_count",
        "failed_count",
        "started_at",
        "finished_at",
    ]
    list_filter = ["operation", "status"]


@admin.register(TenantMigration, site=public_admin)
class TenantMigrationAdmin(OperatorAuditedAdmin):
    list_display = ["schema_name", "run", "status", "attempts", "duration_ms"]
    list_filter = ["status"]
    search_fields = ["schema_name"]
