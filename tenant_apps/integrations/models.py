"""Outgoing integrations: webhooks that receive the tenant's events."""

from django.db import models

from shared_apps.base import TimestampedModel


class Webhook(TimestampedModel):
    """An HTTPS endpoint notified of events; only a hash of its signing secret is stored."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, blank=True)
    secret_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url
