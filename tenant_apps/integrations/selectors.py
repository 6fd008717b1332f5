"""Reads of webhooks (current tenant schema)."""

from django.db.models import QuerySet

from tenant_apps.integrations.models import Webhook


def webhook_list() -> QuerySet[Webhook]:
    return Webhook.objects.all()
