from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)

for model in (Session, SessionEvent, ContextDocument, ContextSnippet, Decision):
    tenant_admin.register(model, TenantModelAdmin)
