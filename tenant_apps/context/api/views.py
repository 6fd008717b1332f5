"""Coding sessions and their events, context documents, snippets and decisions."""

import django_filters

from config.api.viewsets import Services, TenantModelViewSet
from tenant_apps.context import selectors, services
from tenant_apps.context.api.serializers import (
    DecisionSerializer,
    DocumentSerializer,
    SessionEventSerializer,
    SessionSerializer,
    SnippetSerializer,
)
from tenant_apps.context.models import Session


class SessionFilter(django_filters.FilterSet):
    user = django_filters.UUIDFilter(field_name="user_id")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lte")

    class Meta:
        model = Session
        fields = ["project", "repository", "agent"]


class SessionViewSet(TenantModelViewSet):
    """Development or AI coding sessions; `user_id` is the caller, `started_at` defaults to now.

    Filter by `project`, `repository`, `agent`, `user` and `started_after`/`started_before`.
    """

    resource = "sessions"
    serializer_class = SessionSerializer
    selector = selectors.session_list
    services = Services(services.session_create, services.session_update, services.session_delete)
    filterset_class = SessionFilter
    search_fields = ["summary", "agent"]
    ordering_fields = ["started_at", "ended_at"]


class SessionEventViewSet(TenantModelViewSet):
    """Events of one session in order; `seq` is assigned on creation. Filter by `kind`."""

    resource = "session-events"
    serializer_class = SessionEventSerializer
    selector = selectors.session_event_list
    parent_kwarg = "session"
    parent_selector = selectors.session_get
    services = Services(
        services.session_event_append, services.session_event_update, services.session_event_delete
    )
    filterset_fields = ["kind"]
    ordering_fields = ["seq", "created_at"]


class DocumentViewSet(TenantModelViewSet):
    """Context documents (specs, ADRs, notes, runbooks); editing title or body bumps `version`."""

    resource = "documents"
    serializer_class = DocumentSerializer
    selector = selectors.document_list
    services = Services(
        services.document_create, services.document_update, services.document_delete
    )
    filterset_fields = ["project", "kind"]
    search_fields = ["title", "body"]
    ordering_fields = ["title", "created_at", "updated_at"]


class SnippetViewSet(TenantModelViewSet):
    """Code or text attached to a document or a session; `checksum` is the content's SHA-256."""

    resource = "snippets"
    serializer_class = SnippetSerializer
    selector = selectors.snippet_list
    services = Services(services.snippet_create, services.snippet_update, services.snippet_delete)
    filterset_fields = ["document", "session", "language"]
    search_fields = ["path", "content"]


class DecisionViewSet(TenantModelViewSet):
    """Decisions taken on a project, optionally during a session."""

    resource = "decisions"
    serializer_class = DecisionSerializer
    selector = selectors.decision_list
    services = Services(
        services.decision_create, services.decision_update, services.decision_delete
    )
    filterset_fields = ["project", "status", "session"]
    search_fields = ["title", "context", "decision"]
    ordering_fields = ["created_at", "title"]
