"""The audit trail: who did what to which object, per tenant."""

from django.conf import settings
from django.db import models

from shared_apps.base import UUIDModel


class AuditEvent(UUIDModel):
    """One recorded action inside a tenant. [RLS: tenant_id]"""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "at"], name="auditevent_tenant_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
