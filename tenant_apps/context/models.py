"""The context of development work: coding sessions and their events, documents, decisions."""

from django.db import models
from django.db.models import Q

from shared_apps.base import TimestampedModel, UUIDModel


class Session(UUIDModel):
    """A development or AI coding session on a project."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="sessions"
    )
    repository = models.ForeignKey(
        "projects.Repository",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    user_id = models.UUIDField(db_index=True)
    agent = models.CharField(max_length=100, blank=True, help_text="e.g. the AI assistant used.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"session {self.id}"


class SessionEvent(UUIDModel):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=50)
    content = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="sessionevent_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.kind}"


class ContextDocument(TimestampedModel):
    class Kind(models.TextChoices):
        SPEC = "spec", "Specification"
        ADR = "adr", "Architecture decision record"
        NOTE = "note", "Note"
        RUNBOOK = "runbook", "Runbook"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ContextSnippet(UUIDModel):
    """A piece of code or text attached to a document or a session (at least one)."""

    document = models.ForeignKey(
        ContextDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="snippets"
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="snippets"
    )
    path = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=50, blank=True)
    content = models.TextField()
    checksum = models.CharField(max_length=64, help_text="SHA-256 of content.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False) | Q(session__isnull=False),
                name="snippet_has_document_or_session",
            )
        ]

    def __str__(self) -> str:
        return self.path or str(self.id)


class Decision(TimestampedModel):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        SUPERSEDED = "superseded", "Superseded"
        REJECTED = "rejected", "Rejected"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="decisions"
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    context = models.TextField(blank=True)
    decision = models.TextField(blank=True)
    consequences = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
