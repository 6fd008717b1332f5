"""Plan migrations for tenants without touching the database: applied sets in, plans out."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration

from shared_apps.migrator.engine.state import AppliedSet, MigrationKey

PlanStep = tuple[Migration, bool]  # (migration, backwards)


def tenant_app_labels() -> set[str]:
    """Return the labels of the apps whose tables live in every tenant schema."""
    from django.apps import apps

    return {
        config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS
    }


@dataclass(frozen=True)
class Target:
    """Where to take tenants: every app to its leaf, or one app to a migration (or zero)."""

    app_label: str | None = None
    migration_name: str | None = None

    def describe(self) -> dict[str, str]:
        if self.app_label is None:
            return {}
        return {self.app_label: self.migration_name or "latest"}


@dataclass
class TenantGroup:
    """Tenants that share an applied set, and so share one plan."""

    applied: AppliedSet
    schemas: list[str] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)


class FleetPlanner:
    """Build Django's migration graph once and answer 'what must run?' for any applied set."""

    def __init__(self) -> None:
        # No connection: the loader reads files only; applied sets come from `state`.
        self.loader = MigrationLoader(None, ignore_no_migrations=True)
        # Only migration_plan() is used, and it reads nothing but the loader: skip __init__,
        # which would build (and read from disk) a second loader.
        self.executor = MigrationExecutor.__new__(MigrationExecutor)
        self.executor.connection, self.executor.loader = None, self.loader
        self.graph = self.loader.graph

    def targets_for(self, target: Target) -> list[tuple[str, str | None]]:
        """Translate a Target into Django executor targets (as `migrate` does)."""
        if target.app_label is None:
            return self.graph.leaf_nodes()
        if target.app_label not in self.loader.migrated_apps:
            raise ValueError(f"App '{target.app_label}' has no migrations.")
        if target.migration_name in (None, "latest"):
            return [key for key in self.graph.leaf_nodes() if key[0] == target.app_label]
        if target.migration_name == "zero":
            return [(target.app_label, None)]
        migration = self.loader.get_migration_by_prefix(target.app_label, target.migration_name)
        return [(target.app_label, migration.name)]

    def plan(self, applied: AppliedSet, target: Target) -> list[PlanStep]:
        """Return the ordered (migration, backwards) steps that take `applied` to `target`."""
        self.loader.applied_migrations = dict.fromkeys(applied)
        return self.executor.migration_plan(self.targets_for(target))

    def group(self, states: Mapping[str, AppliedSet], target: Target) -> list[TenantGroup]:
        """Group schemas by applied set and plan each group once; current groups are dropped."""
        by_applied: dict[AppliedSet, list[str]] = defaultdict(list)
        for schema, applied in states.items():
            by_applied[applied].append(schema)
        groups = []
        for applied, schemas in by_applied.items():
            steps = self.plan(applied, target)
            if steps:
                groups.append(TenantGroup(applied=applied, schemas=sorted(schemas), plan=steps))
        return sorted(groups, key=lambda group: group.schemas[0])

    def node_keys(self) -> set[MigrationKey]:
        """Return every migration the code knows."""
        return set(self.graph.nodes)
