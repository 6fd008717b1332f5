from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.teams.models import Role, Team, TeamMember

tenant_admin.register(Role, TenantModelAdmin, resource="roles")
tenant_admin.register(Team, TenantModelAdmin, resource="teams")
tenant_admin.register(
    TeamMember, TenantModelAdmin, resource="team-members", user_fields=("user_id",)
)
