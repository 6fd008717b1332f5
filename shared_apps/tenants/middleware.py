"""Route each request to the public site or a tenant schema from its Host header."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.urls import set_urlconf

from shared_apps.tenants.models import Domain, Tenant

# How each non-active lifecycle state answers, so clients can tell "wait" from "gone".
STATUS_RESPONSES = {
    Tenant.Status.PROVISIONING: (503, "This organisation is being set up; retry shortly."),
    Tenant.Status.FAILED: (503, "This organisation could not be set up; an operator must retry."),
    Tenant.Status.SUSPENDED: (403, "This organisation is suspended."),
    Tenant.Status.DELETING: (410, "This organisation is being deleted."),
}
RETRY_AFTER_SECONDS = "5"


def json_error(status: int, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def is_public_host(hostname: str) -> bool:
    return hostname == settings.TENANT_BASE_DOMAIN or hostname in settings.PUBLIC_HOSTS


def tenant_for_host(hostname: str) -> Tenant | None:
    """Return the tenant whose domain is `hostname`, or None.

    A tenant that is not set up yet has no Domain row (provisioning adds it); its future
    host `<slug>.<base domain>` still finds it, so it can answer 503 instead of 404.
    """
    try:  # domain is unique: get() needs no ORDER BY, unlike first()
        return Domain.objects.select_related("tenant").get(domain=hostname).tenant
    except Domain.DoesNotExist:
        pass
    slug, _, base = hostname.partition(".")
    if base != settings.TENANT_BASE_DOMAIN:
        return None
    return Tenant.objects.filter(slug=slug).exclude(status=Tenant.Status.ACTIVE).first()


class TenantRoutingMiddleware:
    """Select the schema and URLconf for the request's host; refuse tenants that are not ready.

    Replaces django-tenants' TenantMainMiddleware so unknown hosts and non-active tenants get
    JSON errors instead of HTML 404s, and so the base domain needs no public Tenant row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection.set_schema_to_public()
        hostname = request.get_host().split(":")[0].lower()
        if is_public_host(hostname):
            request.tenant = None
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return self.get_response(request)

        tenant = tenant_for_host(hostname)
        if tenant is None:
            return json_error(404, f"No organisation is served at {hostname}.")
        if tenant.status != Tenant.Status.ACTIVE:
            status, detail = STATUS_RESPONSES[tenant.status]
            response = json_error(status, detail, status_code=tenant.status)
            if status == 503 and tenant.status == Tenant.Status.PROVISIONING:
                response["Retry-After"] = RETRY_AFTER_SECONDS
            return response

        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        try:
            return self.get_response(request)
        finally:
            # Never let the next request on this thread start inside this tenant's schema.
            connection.set_schema_to_public()
