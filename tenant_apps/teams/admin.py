from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.teams.models import Role, Team, TeamMember

tenant_admin.register(Role, TenantModelAdmin)
tenant_admin.register(Team, TenantModelAdmin)
tenant_admin.register(TeamMember, TenantModelAdmin)
