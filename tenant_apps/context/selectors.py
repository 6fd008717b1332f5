"""Reads of sessions, events, documents, snippets and decisions (current tenant schema)."""

from django.db.models import QuerySet

from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)


def session_list() -> QuerySet[Session]:
    return Session.objects.all()


def session_get(*, pk) -> Session:
    return Session.objects.get(pk=pk)


def session_event_list(*, session: Session) -> QuerySet[SessionEvent]:
    return SessionEvent.objects.filter(session=session)


def document_list() -> QuerySet[ContextDocument]:
    return ContextDocument.objects.all()


def snippet_list() -> QuerySet[ContextSnippet]:
    return ContextSnippet.objects.all()


def decision_list() -> QuerySet[Decision]:
    return Decision.objects.all()
