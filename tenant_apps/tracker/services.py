"""Writes to task statuses, tasks, comments and labels; each is atomic and audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.selectors import membership_exists
from shared_apps.audit.services import AuditContext, audited_create, audited_delete, audited_update
from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus


def task_status_create(*, audit: AuditContext, **fields) -> TaskStatus:
    return audited_create(audit=audit, model=TaskStatus, action="task_status.create", **fields)


def task_status_update(*, audit: AuditContext, instance: TaskStatus, **fields) -> TaskStatus:
    return audited_update(audit=audit, instance=instance, action="task_status.update", **fields)


def task_status_delete(*, audit: AuditContext, instance: TaskStatus) -> None:
    audited_delete(audit=audit, instance=instance, action="task_status.delete")


def task_status_default() -> TaskStatus:
    """The status new tasks start in: the first by sort order."""
    status = TaskStatus.objects.order_by("sort_order", "name").first()
    if status is None:
        raise ValidationError({"status": "The organisation has no task statuses."})
    return status


def _check_task_fields(*, audit: AuditContext, project, milestone, assigned_to) -> None:
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError({"milestone": "The milestone belongs to another project."})
    if assigned_to is not None and not membership_exists(tenant=audit.tenant, user_id=assigned_to):
        raise ValidationError({"assigned_to": "This user is not a member of the organisation."})


def task_closed_at(*, status: TaskStatus, closed_at):
    """Return when a task in `status` was closed: kept while completed, cleared when reopened."""
    if not status.is_completed:
        return None
    return closed_at or timezone.now()


@transaction.atomic
def task_create(*, audit: AuditContext, project, status=None, **fields) -> Task:
    _check_task_fields(
        audit=audit,
        project=project,
        milestone=fields.get("milestone"),
        assigned_to=fields.get("assigned_to"),
    )
    status = status or task_status_default()
    return audited_create(
        audit=audit,
        model=Task,
        action="task.create",
        project=project,
        status=status,
        closed_at=task_closed_at(status=status, closed_at=None),
        created_by=audit.actor_id,
        **fields,
    )


@transaction.atomic
def task_update(*, audit: AuditContext, instance: Task, **fields) -> Task:
    _check_task_fields(
        audit=audit,
        project=fields.get("project", instance.project),
        milestone=fields.get("milestone", instance.milestone),
        assigned_to=fields.get("assigned_to"),  # only a new assignee is checked
    )
    status = fields.get("status", instance.status)
    fields["closed_at"] = task_closed_at(status=status, closed_at=instance.closed_at)
    return audited_update(audit=audit, instance=instance, action="task.update", **fields)


def task_delete(*, audit: AuditContext, instance: Task, cascade: bool = False) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="task.delete",
        children=("comments", "task_labels"),
        cascade=cascade,
    )


def task_comment_create(*, audit: AuditContext, task: Task, body: str) -> TaskComment:
    return audited_create(
        audit=audit,
        model=TaskComment,
        action="task_comment.create",
        task=task,
        author_id=audit.actor_id,
        body=body,
    )


def task_comment_update(*, audit: AuditContext, instance: TaskComment, **fields) -> TaskComment:
    return audited_update(audit=audit, instance=instance, action="task_comment.update", **fields)


def task_comment_delete(*, audit: AuditContext, instance: TaskComment) -> None:
    audited_delete(audit=audit, instance=instance, action="task_comment.delete")


def label_create(*, audit: AuditContext, **fields) -> Label:
    return audited_create(audit=audit, model=Label, action="label.create", **fields)


def label_update(*, audit: AuditContext, instance: Label, **fields) -> Label:
    return audited_update(audit=audit, instance=instance, action="label.update", **fields)


def label_delete(*, audit: AuditContext, instance: Label, cascade: bool = False) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="label.delete",
        children=("task_labels",),
        cascade=cascade,
    )


def task_label_add(*, audit: AuditContext, task: Task, label: Label) -> TaskLabel:
    if TaskLabel.objects.filter(task=task, label=label).exists():
        raise ValidationError({"label": "The task already has this label."})
    return audited_create(
        audit=audit, model=TaskLabel, action="task_label.add", task=task, label=label
    )


def task_label_update(*, audit: AuditContext, instance: TaskLabel, label: Label) -> TaskLabel:
    if (
        TaskLabel.objects.filter(task=instance.task_id, label=label)
        .exclude(pk=instance.pk)
        .exists()
    ):
        raise ValidationError({"label": "The task already has this label."})
    return audited_update(audit=audit, instance=instance, action="task_label.update", label=label)


def task_label_remove(*, audit: AuditContext, instance: TaskLabel) -> None:
    audited_delete(audit=audit, instance=instance, action="task_label.remove")
