"""Teams, their members and the tenant's roles."""

from config.api.viewsets import Services, TenantModelViewSet
from tenant_apps.teams import selectors, services
from tenant_apps.teams.api.serializers import RoleSerializer, TeamMemberSerializer, TeamSerializer


class TeamViewSet(TenantModelViewSet):
    """Teams inside the organisation."""

    resource = "teams"
    serializer_class = TeamSerializer
    selector = selectors.team_list
    services = Services(services.team_create, services.team_update, services.team_delete)
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]


class TeamMemberViewSet(TenantModelViewSet):
    """Members of one team: organisation members (`user_id`) with a role (`role` slug)."""

    resource = "team-members"
    serializer_class = TeamMemberSerializer
    selector = selectors.team_member_list
    parent_kwarg = "team"
    parent_selector = selectors.team_get
    services = Services(
        services.team_member_add, services.team_member_update, services.team_member_remove
    )
    filterset_fields = ["user_id"]


class RoleViewSet(TenantModelViewSet):
    """Roles team members hold; the seeded system roles cannot be changed or deleted."""

    resource = "roles"
    serializer_class = RoleSerializer
    selector = selectors.role_list
    services = Services(services.role_create, services.role_update, services.role_delete)
    filterset_fields = ["is_system", "slug"]
