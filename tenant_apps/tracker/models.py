"""Task tracking: statuses (seeded per tenant), tasks, comments and labels."""

from django.core.validators import RegexValidator
from django.db import models

from shared_apps.base import TimestampedModel, UUIDModel

hex_color = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "A colour like #3B82F6.")


class TaskStatus(UUIDModel):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    color = models.CharField(max_length=7, validators=[hex_color], default="#6B7280")
    sort_order = models.PositiveIntegerField(default=0)
    is_completed = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "task statuses"

    def __str__(self) -> str:
        return self.name


class Task(TimestampedModel):
    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="tasks")
    status = models.ForeignKey(TaskStatus, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    assigned_to = models.UUIDField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    due_date = models.DateField(null=True, blank=True)
    milestone = models.ForeignKey(
        "projects.Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    created_by = models.UUIDField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the task entered a completed status."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "assigned_to"], name="task_status_assignee_idx"),
            models.Index(fields=["due_date"], name="task_due_date_idx"),
            models.Index(fields=["closed_at"], name="task_closed_at_idx"),
            # Lists are ordered newest first; without this every page sorts the whole table.
            models.Index(fields=["-created_at"], name="task_created_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="task_priority_range"
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskComment(TimestampedModel):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author_id = models.UUIDField(null=True, blank=True)
    body = models.TextField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"comment on {self.task_id}"


class Label(UUIDModel):
    name = models.CharField(max_length=50, unique=True)
    color = models.CharField(max_length=7, validators=[hex_color], default="#6B7280")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskLabel(UUIDModel):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="task_labels")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="task_labels")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "label"], name="tasklabel_unique_task_label")
        ]

    def __str__(self) -> str:
        return f"{self.label_id} on {self.task_id}"
