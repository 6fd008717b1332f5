from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)

tenant_admin.register(Session, TenantModelAdmin, resource="sessions", user_fields=("user_id",))
tenant_admin.register(SessionEvent, TenantModelAdmin, resource="session-events")
tenant_admin.register(
    ContextDocument, TenantModelAdmin, resource="documents", user_fields=("created_by",)
)
tenant_admin.register(ContextSnippet, TenantModelAdmin, resource="snippets")
tenant_admin.register(Decision, TenantModelAdmin, resource="decisions")
