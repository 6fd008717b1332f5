from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.integrations.models import Webhook

tenant_admin.register(Webhook, TenantModelAdmin, resource="webhooks")
