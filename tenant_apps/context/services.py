"""Writes to sessions and their events, documents, snippets and decisions; atomic and audited."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shared_apps.audit.services import AuditContext, audited_create, audited_delete, audited_update
from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)


def _check_session_fields(*, project, repository, started_at, ended_at) -> None:
    if repository is not None and repository.project_id != project.pk:
        raise ValidationError({"repository": "The repository belongs to another project."})
    if ended_at is not None and ended_at < started_at:
        raise ValidationError({"ended_at": "A session cannot end before it starts."})


def session_create(*, audit: AuditContext, project, started_at=None, **fields) -> Session:
    started_at = started_at or timezone.now()
    _check_session_fields(
        project=project,
        repository=fields.get("repository"),
        started_at=started_at,
        ended_at=fields.get("ended_at"),
    )
    return audited_create(
        audit=audit,
        model=Session,
        action="session.create",
        project=project,
        started_at=started_at,
        user_id=audit.actor_id,
        **fields,
    )


def session_update(*, audit: AuditContext, instance: Session, **fields) -> Session:
    merged = {
        name: fields.get(name, getattr(instance, name))
        for name in ("project", "repository", "started_at", "ended_at")
    }
    _check_session_fields(**merged)
    return audited_update(audit=audit, instance=instance, action="session.update", **fields)


def session_delete(*, audit: AuditContext, instance: Session, cascade: bool = False) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="session.delete",
        children=("events", "snippets"),
        cascade=cascade,
    )


@transaction.atomic
def session_event_append(*, audit: AuditContext, session: Session, **fields) -> SessionEvent:
    """Append an event with the next sequence number (the session row is locked to number it)."""
    Session.objects.select_for_update().filter(pk=session.pk).first()
    last = session.events.aggregate(last=Max("seq"))["last"] or 0
    return audited_create(
        audit=audit,
        model=SessionEvent,
        action="session_event.create",
        session=session,
        seq=last + 1,
        **fields,
    )


def session_event_update(*, audit: AuditContext, instance: SessionEvent, **fields) -> SessionEvent:
    return audited_update(audit=audit, instance=instance, action="session_event.update", **fields)


def session_event_delete(*, audit: AuditContext, instance: SessionEvent) -> None:
    audited_delete(audit=audit, instance=instance, action="session_event.delete")


def document_create(*, audit: AuditContext, **fields) -> ContextDocument:
    return audited_create(
        audit=audit,
        model=ContextDocument,
        action="document.create",
        created_by=audit.actor_id,
        **fields,
    )


@transaction.atomic
def document_update(*, audit: AuditContext, instance: ContextDocument, **fields) -> ContextDocument:
    """Update a document; a change of title or body makes a new version."""
    if any(
        name in fields and fields[name] != getattr(instance, name) for name in ("title", "body")
    ):
        fields["version"] = instance.version + 1
    return audited_update(audit=audit, instance=instance, action="document.update", **fields)


def document_delete(
    *, audit: AuditContext, instance: ContextDocument, cascade: bool = False
) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="document.delete",
        children=("snippets",),
        cascade=cascade,
    )


def _snippet_fields(fields: dict, *, document=None, session=None) -> dict:
    if document is None and session is None:
        raise ValidationError({"document": "Attach the snippet to a document or a session."})
    if "content" in fields:
        fields["checksum"] = hashlib.sha256(fields["content"].encode()).hexdigest()
    return fields


def snippet_create(*, audit: AuditContext, **fields) -> ContextSnippet:
    fields = _snippet_fields(fields, document=fields.get("document"), session=fields.get("session"))
    return audited_create(audit=audit, model=ContextSnippet, action="snippet.create", **fields)


def snippet_update(*, audit: AuditContext, instance: ContextSnippet, **fields) -> ContextSnippet:
    fields = _snippet_fields(
        fields,
        document=fields.get("document", instance.document),
        session=fields.get("session", instance.session),
    )
    return audited_update(audit=audit, instance=instance, action="snippet.update", **fields)


def snippet_delete(*, audit: AuditContext, instance: ContextSnippet) -> None:
    audited_delete(audit=audit, instance=instance, action="snippet.delete")


def _check_decision_session(*, project, session) -> None:
    if session is not None and session.project_id != project.pk:
        raise ValidationError({"session": "The session belongs to another project."})


def decision_create(*, audit: AuditContext, project, **fields) -> Decision:
    _check_decision_session(project=project, session=fields.get("session"))
    return audited_create(
        audit=audit, model=Decision, action="decision.create", project=project, **fields
    )


def decision_update(*, audit: AuditContext, instance: Decision, **fields) -> Decision:
    _check_decision_session(
        project=fields.get("project", instance.project),
        session=fields.get("session", instance.session),
    )
    return audited_update(audit=audit, instance=instance, action="decision.update", **fields)


def decision_delete(*, audit: AuditContext, instance: Decision) -> None:
    audited_delete(audit=audit, instance=instance, action="decision.delete")
