from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus

for model in (TaskStatus, Task, TaskComment, Label, TaskLabel):
    tenant_admin.register(model, TenantModelAdmin)
