"""Teams inside a tenant and the roles their members hold."""

from django.db import models

from shared_apps.base import TimestampedModel, UUIDModel


class Role(UUIDModel):
    """A named set of permissions; the system roles are seeded by a data migration."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    permissions = models.JSONField(default=list, blank=True)
    is_system = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(TimestampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(UUIDModel):
    """A user (a public `User` id, no cross-schema foreign key) in a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user_id = models.UUIDField(db_index=True)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="team_members")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user_id"], name="teammember_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id}"
