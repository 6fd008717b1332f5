"""The tenant API under /api/ on `<slug>.<TENANT_BASE_DOMAIN>`: one router, nested routes."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from config.api.viewsets import UUID_PATTERN
from shared_apps.accounts.api import views as accounts
from tenant_apps.context.api import views as context
from tenant_apps.integrations.api import views as integrations
from tenant_apps.projects.api import views as projects
from tenant_apps.teams.api import views as teams
from tenant_apps.tracker.api import views as tracker


def nested(parent: str, kwarg: str, child: str) -> str:
    return rf"{parent}/(?P<{kwarg}>{UUID_PATTERN})/{child}"


ROUTES = [
    ("teams", teams.TeamViewSet, "team"),
    (nested("teams", "team", "members"), teams.TeamMemberViewSet, "team-member"),
    ("roles", teams.RoleViewSet, "role"),
    ("projects", projects.ProjectViewSet, "project"),
    ("repositories", projects.RepositoryViewSet, "repository"),
    ("milestones", projects.MilestoneViewSet, "milestone"),
    ("task-statuses", tracker.TaskStatusViewSet, "task-status"),
    ("tasks", tracker.TaskViewSet, "task"),
    (nested("tasks", "task", "comments"), tracker.TaskCommentViewSet, "task-comment"),
    (nested("tasks", "task", "labels"), tracker.TaskLabelViewSet, "task-label"),
    ("labels", tracker.LabelViewSet, "label"),
    ("sessions", context.SessionViewSet, "session"),
    (nested("sessions", "session", "events"), context.SessionEventViewSet, "session-event"),
    ("documents", context.DocumentViewSet, "document"),
    ("snippets", context.SnippetViewSet, "snippet"),
    ("decisions", context.DecisionViewSet, "decision"),
    ("webhooks", integrations.WebhookViewSet, "webhook"),
    ("memberships", accounts.MembershipViewSet, "membership"),
    ("tokens", accounts.ApiTokenViewSet, "token"),
    ("invitations", accounts.InvitationViewSet, "invitation"),
]

router = SimpleRouter()
for prefix, viewset, basename in ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("me/", accounts.MeView.as_view(), name="me"),
    path("auth/token/", accounts.AuthTokenView.as_view(), name="auth-token"),
    path("auth/password-reset/", accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("invitations/accept/", accounts.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("schema/", SpectacularAPIView.as_view(urlconf="config.urls_tenant"), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]
