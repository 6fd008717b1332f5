"""A fleet job: which tenants get which compiled plan, and how to run one of them."""

from dataclasses import dataclass, field

from django.db import connection

from shared_apps.migrator.engine import recorder
from shared_apps.migrator.engine.compiler import CompiledMigration
from shared_apps.migrator.engine.runner import Outcome, RunOptions, apply_to_tenant


@dataclass
class FleetJob:
    """Everything a worker needs to migrate its share of tenants."""

    run_id: str | None
    options: RunOptions
    plans: dict[str, list[CompiledMigration]] = field(default_factory=dict)  # schema → plan
    records: dict[str, str] = field(default_factory=dict)  # schema → TenantMigration id
    tenant_ids: dict[str, str] = field(default_factory=dict)  # schema → Tenant id

    def run_one(self, schema: str) -> Outcome:
        """Migrate one tenant and record its outcome; never raises."""
        outcome = self.apply(schema)
        if outcome.status == "lost":
            # The session died under the tenant (terminated backend, dropped network): its
            # transaction rolled back, so run it once more on a new connection.
            connection.close()
            attempts = outcome.attempts
            outcome = self.apply(schema)
            outcome.attempts += attempts
            if outcome.status == "lost":
                outcome.status = "failed"
            elif outcome.status == "done" and self.records.get(schema):
                recorder.attempts_add(self.records[schema], attempts)
        if self.run_id:
            recorder.outcome_record(self.run_id, outcome)
        return outcome

    def apply(self, schema: str) -> Outcome:
        """Apply this job's plan to one tenant, without recording a failure."""
        return apply_to_tenant(
            schema,
            self.plans[schema],
            self.options,
            self.records.get(schema),
            tenant_id=self.tenant_ids.get(schema),
        )
