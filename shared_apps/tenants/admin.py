from django.contrib import admin

from config.admin_sites import public_admin
from shared_apps.tenants.models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant, site=public_admin)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "schema_name", "plan", "status", "node", "created_at"]
    list_filter = ["status", "plan"]
    search_fields = ["slug", "name", "schema_name"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline]


@admin.register(Domain, site=public_admin)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]
