from config.admin_sites import TenantModelAdmin, tenant_admin
from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus

tenant_admin.register(TaskStatus, TenantModelAdmin, resource="task-statuses")
tenant_admin.register(
    Task,
    TenantModelAdmin,
    resource="tasks",
    list_display=["title", "project", "status"],
    user_fields=("assigned_to", "created_by"),
)
tenant_admin.register(
    TaskComment, TenantModelAdmin, resource="task-comments", user_fields=("author_id",)
)
tenant_admin.register(Label, TenantModelAdmin, resource="labels")
tenant_admin.register(TaskLabel, TenantModelAdmin, resource="task-labels")
