"""Projects, their code repositories and milestones."""

from django.core.validators import RegexValidator
from django.db import models

from shared_apps.base import TimestampedModel, UUIDModel


class Project(TimestampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=200)
    key = models.CharField(
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,9}$", "2–10 upper-case letters/digits.")],
    )
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    tags = models.JSONField(default=list, blank=True)
    created_by = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Repository(TimestampedModel):
    class Provider(models.TextChoices):
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"
        BITBUCKET = "bitbucket", "Bitbucket"
        OTHER = "other", "Other"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="repositories")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.GITHUB)
    url = models.URLField(max_length=500)
    default_branch = models.CharField(max_length=200, default="main")

    class Meta:
        ordering = ["url"]
        verbose_name_plural = "repositories"
        constraints = [
            models.UniqueConstraint(fields=["project", "url"], name="repository_unique_url")
        ]

    def __str__(self) -> str:
        return self.url


class Milestone(UUIDModel):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)

    class Meta:
        ordering = ["due_date", "name"]

    def __str__(self) -> str:
        return self.name
