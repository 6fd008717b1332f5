"""URLs of the base domain: operators' admin and the public API."""

from django.urls import include, path

from config.admin_sites import public_admin
from shared_apps.accounts.views import password_urlpatterns

urlpatterns = [
    path("api/tenants/", include("shared_apps.tenants.api.urls")),
    path("api/migrations/", include("shared_apps.migrator.urls")),
    path("api/", include("config.api.urls_public")),
    path("api-auth/", include("rest_framework.urls")),
    *password_urlpatterns,
    path("admin/", public_admin.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
