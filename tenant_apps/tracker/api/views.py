"""Task statuses, tasks with their comments and labels, and the tenant's labels."""

import django_filters

from config.api.viewsets import Services, TenantModelViewSet
from tenant_apps.tracker import selectors, services
from tenant_apps.tracker.api.serializers import (
    LabelSerializer,
    TaskCommentSerializer,
    TaskLabelSerializer,
    TaskSerializer,
    TaskStatusSerializer,
)
from tenant_apps.tracker.models import Task


class TaskFilter(django_filters.FilterSet):
    assignee = django_filters.UUIDFilter(field_name="assigned_to")
    status_slug = django_filters.CharFilter(field_name="status__slug")
    label = django_filters.UUIDFilter(field_name="task_labels__label", distinct=True)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Task
        fields = ["project", "status", "milestone", "priority"]


class TaskStatusViewSet(TenantModelViewSet):
    """The workflow states tasks move through; a status in use cannot be deleted (409)."""

    resource = "task-statuses"
    serializer_class = TaskStatusSerializer
    selector = selectors.task_status_list
    services = Services(
        services.task_status_create, services.task_status_update, services.task_status_delete
    )
    filterset_fields = ["is_completed", "slug"]


class TaskViewSet(TenantModelViewSet):
    """Tasks. Without `status`, a new task starts in the first status (To Do).

    Filter by `status`, `status_slug`, `assignee`, `project`, `milestone`, `label`, `priority`
    and the due-date range `due_after`/`due_before`; search `title`/`description`.
    """

    resource = "tasks"
    serializer_class = TaskSerializer
    selector = selectors.task_list
    services = Services(services.task_create, services.task_update, services.task_delete)
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "updated_at", "due_date", "priority", "title"]


class TaskCommentViewSet(TenantModelViewSet):
    """Comments on one task, oldest first."""

    resource = "task-comments"
    serializer_class = TaskCommentSerializer
    selector = selectors.task_comment_list
    parent_kwarg = "task"
    parent_selector = selectors.task_get
    services = Services(
        services.task_comment_create, services.task_comment_update, services.task_comment_delete
    )


class TaskLabelViewSet(TenantModelViewSet):
    """Labels attached to one task: POST `{label}` attaches, DELETE detaches."""

    resource = "task-labels"
    serializer_class = TaskLabelSerializer
    selector = selectors.task_label_list
    parent_kwarg = "task"
    parent_selector = selectors.task_get
    services = Services(
        services.task_label_add, services.task_label_update, services.task_label_remove
    )


class LabelViewSet(TenantModelViewSet):
    """Labels that can be attached to tasks."""

    resource = "labels"
    serializer_class = LabelSerializer
    selector = selectors.label_list
    search_fields = ["name"]
    services = Services(services.label_create, services.label_update, services.label_delete)
