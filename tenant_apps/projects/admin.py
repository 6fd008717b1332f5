from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.projects.models import Milestone, Project, Repository

tenant_admin.register(Project, TenantModelAdmin, resource="projects", user_fields=("created_by",))
tenant_admin.register(Repository, TenantModelAdmin, resource="repositories")
tenant_admin.register(Milestone, TenantModelAdmin, resource="milestones")
