"""Records of fleet operations (migrate, rollback, onboard) and of each tenant inside one."""

from django.db import models

from shared_apps.base import UUIDModel


class MigrationRun(UUIDModel):
    """One fleet operation over many tenant schemas."""

    class Operation(models.TextChoices):
        MIGRATE = "migrate", "Migrate"
        ROLLBACK = "rollback", "Rollback"
        ONBOARD = "onboard", "Onboard"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    operation = models.CharField(max_length=20, choices=Operation.choices)
    target = models.JSONField(default=dict, blank=True, help_text="App label → migration name.")
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    executor = models.CharField(max_length=20, blank=True)
    total_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The fencing token of the command that owns the run now: a resume issues a new one, and a
    # stop or a takeover clears it, so a tenant transaction holding an old one changes nothing.
    lease = models.UUIDField(null=True, blank=True, editable=False)
    # Backend pid of the session holding the fleet advisory lock for this run: the run is live
    # only while that session holds the lock (see engine/lease.py).
    owner_pid = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.operation} {self.id} ({self.status})"


class TenantMigration(UUIDModel):
    """The outcome of one tenant inside a run. [RLS: tenant_id]"""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="tenants")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    schema_name = models.CharField(max_length=63)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    state_before = models.JSONField(default=list, blank=True)
    state_after = models.JSONField(default=list, blank=True)
    applied = models.JSONField(default=list, blank=True, help_text="Migrations applied/unapplied.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "tenant"], name="tenantmigration_unique_run")
        ]
        indexes = [models.Index(fields=["run", "status"], name="tenantmigration_run_status")]

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.status}"
