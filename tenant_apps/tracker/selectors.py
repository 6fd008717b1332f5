"""Reads of task statuses, tasks, comments and labels (inside the current tenant schema)."""

from django.db.models import Prefetch, QuerySet

from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus


def task_status_list() -> QuerySet[TaskStatus]:
    return TaskStatus.objects.all()


def task_list() -> QuerySet[Task]:
    """Tasks with their label ids prefetched: two queries per page whatever its size."""
    return Task.objects.prefetch_related(
        Prefetch("task_labels", queryset=TaskLabel.objects.only("id", "task_id", "label_id"))
    )


def task_get(*, pk) -> Task:
    return Task.objects.get(pk=pk)


def task_comment_list(*, task: Task) -> QuerySet[TaskComment]:
    return TaskComment.objects.filter(task=task)


def label_list() -> QuerySet[Label]:
    return Label.objects.all()


def task_label_list(*, task: Task) -> QuerySet[TaskLabel]:
    return TaskLabel.objects.filter(task=task).select_related("label").order_by("label__name")
