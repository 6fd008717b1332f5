"""URLs of a tenant host (<slug>.<TENANT_BASE_DOMAIN>): the tenant's admin and API."""

from django.urls import include, path

from config.admin_sites import tenant_admin

urlpatterns = [
    path("api/", include("config.api.urls_tenant")),
    path("admin/", tenant_admin.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
