from rest_framework import serializers

from tenant_apps.integrations.models import Webhook


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: returned once, on creation only."
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "is_active", "secret", "created_at", "updated_at"]
