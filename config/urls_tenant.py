"""URLs of a tenant host (<slug>.<TENANT_BASE_DOMAIN>): the tenant's admin and API."""

from django.urls import include, path

from config.admin_sites import tenant_admin
from shared_apps.accounts.views import invitation_accept_page, password_urlpatterns

urlpatterns = [
    path("api/", include("config.api.urls_tenant")),
    # The browsable API's "Log in" link (DRF's session login: members of this tenant).
    path("api-auth/", include("rest_framework.urls")),
    path("invitations/accept/", invitation_accept_page, name="invitation_accept_page"),
    *password_urlpatterns,
    path("admin/", tenant_admin.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
