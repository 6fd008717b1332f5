"""Webhooks that receive the tenant's events."""

from config.api.viewsets import Services, TenantModelViewSet
from tenant_apps.integrations import selectors, services
from tenant_apps.integrations.api.serializers import WebhookSerializer


class WebhookViewSet(TenantModelViewSet):
    """Webhooks. The signing secret is returned once, in the creation response."""

    resource = "webhooks"
    serializer_class = WebhookSerializer
    selector = selectors.webhook_list
    services = Services(services.webhook_create, services.webhook_update, services.webhook_delete)
    filterset_fields = ["is_active"]
    ordering_fields = ["url", "created_at"]
