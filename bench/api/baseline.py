"""The unscoped baseline: one fixed tenant schema for every request, no Domain lookup, no RLS."""

from django.conf import settings
from django.db import connection

from shared_apps.tenants.models import Tenant


class FixedSchemaMiddleware:
    """Serve every request from the tenant `BENCH_FIXED_TENANT` loaded once at startup."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.tenant = Tenant.objects.get(slug=settings.BENCH_FIXED_TENANT)

    def __call__(self, request):
        request.tenant = self.tenant
        request.urlconf = settings.ROOT_URLCONF
        connection.set_tenant(self.tenant)
        return self.get_response(request)
