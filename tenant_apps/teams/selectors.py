"""Reads of teams, their members and roles (inside the current tenant schema)."""

from django.db.models import Count, QuerySet

from tenant_apps.teams.models import Role, Team, TeamMember


def team_list() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("members")).order_by("name")


def team_get(*, pk) -> Team:
    return Team.objects.get(pk=pk)


def team_member_list(*, team: Team) -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(team=team).select_related("role").order_by("joined_at")


def role_list() -> QuerySet[Role]:
    return Role.objects.all()
