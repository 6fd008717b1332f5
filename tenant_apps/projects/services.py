"""Writes to projects, repositories and milestones; each is atomic and audited."""

from django.core.exceptions import ValidationError

from shared_apps.audit.services import AuditContext, audited_create, audited_delete, audited_update
from tenant_apps.projects.models import Milestone, Project, Repository


def project_create(*, audit: AuditContext, **fields) -> Project:
    return audited_create(
        audit=audit, model=Project, action="project.create", created_by=audit.actor_id, **fields
    )


def project_update(*, audit: AuditContext, instance: Project, **fields) -> Project:
    return audited_update(audit=audit, instance=instance, action="project.update", **fields)


def project_delete(*, audit: AuditContext, instance: Project, cascade: bool = False) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="project.delete",
        children=("repositories", "milestones", "tasks", "sessions", "documents", "decisions"),
        cascade=cascade,
    )


def repository_create(*, audit: AuditContext, **fields) -> Repository:
    return audited_create(audit=audit, model=Repository, action="repository.create", **fields)


def repository_update(*, audit: AuditContext, instance: Repository, **fields) -> Repository:
    if "project" in fields and fields["project"] != instance.project and instance.sessions.exists():
        raise ValidationError({"project": "Sessions use this repository; it cannot move."})
    return audited_update(audit=audit, instance=instance, action="repository.update", **fields)


def repository_delete(*, audit: AuditContext, instance: Repository) -> None:
    audited_delete(audit=audit, instance=instance, action="repository.delete")


def milestone_create(*, audit: AuditContext, **fields) -> Milestone:
    return audited_create(audit=audit, model=Milestone, action="milestone.create", **fields)


def milestone_update(*, audit: AuditContext, instance: Milestone, **fields) -> Milestone:
    return audited_update(audit=audit, instance=instance, action="milestone.update", **fields)


def milestone_delete(*, audit: AuditContext, instance: Milestone) -> None:
    audited_delete(audit=audit, instance=instance, action="milestone.delete")
