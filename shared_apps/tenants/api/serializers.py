"""Input and output shapes of the onboarding API."""

from rest_framework import serializers

from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_url


class TenantCreateSerializer(serializers.Serializer):
    """What an operator sends to onboard a tenant; the service checks slug and email again."""

    slug = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    owner_email = serializers.EmailField()
    plan = serializers.ChoiceField(choices=Tenant.Plan.choices, default=Tenant.Plan.FREE)


class TenantSerializer(serializers.ModelSerializer):
    """A tenant and where its provisioning stands."""

    url = serializers.SerializerMethodField(help_text="The tenant's host, once it is active.")

    class Meta:
        model = Tenant
        fields = [
            "id",
            "slug",
            "name",
            "plan",
            "status",
            "status_reason",
            "url",
            "schema_name",
            "node",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, tenant: Tenant) -> str:
        return tenant_url(tenant)
