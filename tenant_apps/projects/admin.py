from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.projects.models import Milestone, Project, Repository

tenant_admin.register(Project, TenantModelAdmin)
tenant_admin.register(Repository, TenantModelAdmin)
tenant_admin.register(Milestone, TenantModelAdmin)
