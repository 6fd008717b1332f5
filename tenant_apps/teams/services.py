"""Writes to teams, their members and roles; each is atomic and audited."""

from django.core.exceptions import ValidationError

from shared_apps.accounts.selectors import membership_exists
from shared_apps.audit.services import AuditContext, audited_create, audited_delete, audited_update
from tenant_apps.teams.models import Role, Team, TeamMember


def team_create(*, audit: AuditContext, **fields) -> Team:
    return audited_create(audit=audit, model=Team, action="team.create", **fields)


def team_update(*, audit: AuditContext, instance: Team, **fields) -> Team:
    return audited_update(audit=audit, instance=instance, action="team.update", **fields)


def team_delete(*, audit: AuditContext, instance: Team, cascade: bool = False) -> None:
    audited_delete(
        audit=audit,
        instance=instance,
        action="team.delete",
        children=("members",),
        cascade=cascade,
    )


def _check_team_user(*, audit: AuditContext, team: Team, user_id, member_id=None) -> None:
    if not membership_exists(tenant=audit.tenant, user_id=user_id):
        raise ValidationError({"user_id": "This user is not a member of the organisation."})
    taken = TeamMember.objects.filter(team=team, user_id=user_id).exclude(pk=member_id)
    if taken.exists():
        raise ValidationError({"user_id": "This user is already in the team."})


def team_member_add(*, audit: AuditContext, team: Team, user_id, role: Role) -> TeamMember:
    _check_team_user(audit=audit, team=team, user_id=user_id)
    return audited_create(
        audit=audit,
        model=TeamMember,
        action="team_member.add",
        team=team,
        user_id=user_id,
        role=role,
    )


def team_member_update(*, audit: AuditContext, instance: TeamMember, **fields) -> TeamMember:
    if "user_id" in fields:
        _check_team_user(
            audit=audit, team=instance.team, user_id=fields["user_id"], member_id=instance.pk
        )
    return audited_update(audit=audit, instance=instance, action="team_member.update", **fields)


def team_member_remove(*, audit: AuditContext, instance: TeamMember) -> None:
    audited_delete(audit=audit, instance=instance, action="team_member.remove")


def role_create(*, audit: AuditContext, **fields) -> Role:
    return audited_create(audit=audit, model=Role, action="role.create", is_system=False, **fields)


def _refuse_system_role(role: Role, verb: str) -> None:
    if role.is_system:
        raise ValidationError({"detail": f"System roles cannot be {verb}."})


def role_update(*, audit: AuditContext, instance: Role, **fields) -> Role:
    _refuse_system_role(instance, "changed")
    return audited_update(audit=audit, instance=instance, action="role.update", **fields)


def role_delete(*, audit: AuditContext, instance: Role) -> None:
    _refuse_system_role(instance, "deleted")
    audited_delete(audit=audit, instance=instance, action="role.delete")
