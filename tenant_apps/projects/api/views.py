"""Projects, repositories and milestones of the tenant."""

import django_filters

from config.api.viewsets import Services, TenantModelViewSet
from tenant_apps.projects import selectors, services
from tenant_apps.projects.api.serializers import (
    MilestoneSerializer,
    ProjectSerializer,
    RepositorySerializer,
)
from tenant_apps.projects.models import Milestone, Repository


class RepositoryFilter(django_filters.FilterSet):
    class Meta:
        model = Repository
        fields = ["project", "provider"]


class MilestoneFilter(django_filters.FilterSet):
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields = ["project", "state"]


class ProjectViewSet(TenantModelViewSet):
    """The tenant's projects."""

    resource = "projects"
    serializer_class = ProjectSerializer
    selector = selectors.project_list
    services = Services(services.project_create, services.project_update, services.project_delete)
    filterset_fields = ["status", "key"]
    search_fields = ["name", "key", "description"]
    ordering_fields = ["name", "key", "created_at"]


class RepositoryViewSet(TenantModelViewSet):
    """Code repositories of the tenant's projects."""

    resource = "repositories"
    serializer_class = RepositorySerializer
    selector = selectors.repository_list
    services = Services(
        services.repository_create, services.repository_update, services.repository_delete
    )
    filterset_class = RepositoryFilter
    search_fields = ["url"]
    ordering_fields = ["url", "created_at"]


class MilestoneViewSet(TenantModelViewSet):
    """Milestones of the tenant's projects."""

    resource = "milestones"
    serializer_class = MilestoneSerializer
    selector = selectors.milestone_list
    services = Services(
        services.milestone_create, services.milestone_update, services.milestone_delete
    )
    filterset_class = MilestoneFilter
    search_fields = ["name"]
    ordering_fields = ["due_date", "name"]
