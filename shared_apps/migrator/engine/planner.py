"""Plan migrations for tenants without touching the database: applied sets in, plans out."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.apps import AppConfig
from django.conf import settings
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration

from shared_apps.migrator.engine.state import AppliedSet, MigrationKey

PlanStep = tuple[Migration, bool]  # (migration, backwards)


def is_tenant_app(config: AppConfig) -> bool:
    """Return whether TENANT_APPS lists the app, by module or by AppConfig path.

    django-tenants' router accepts both spellings; so must everything that decides where an
    app's tables live.
    """
    config_path = f"{config.__module__}.{config.__class__.__name__}"
    return config.name in settings.TENANT_APPS or config_path in settings.TENANT_APPS


def tenant_app_labels() -> set[str]:
    """Return the labels of the apps whose tables live in every tenant schema."""
    from django.apps import apps

    return {config.label for config in apps.get_app_configs() if is_tenant_app(config)}


class ConflictingMigrations(ValueError):
    """An app has more than one leaf migration: merge them before migrating."""


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
    # Squashes whose replaced migrations are all applied by the end of the plan but that are not
    # recorded yet: Django's executor records them (check_replacements), and so do we.
    squashes_to_record: list[MigrationKey] = field(default_factory=list)


class AppliedSetLoader(MigrationLoader):
    """Django's loader with a given applied set instead of a connection's history.

    Which node stands for a squash depends on what a schema has applied, exactly as in
    `MigrationLoader.build_graph`: the squash when all or none of its replaced migrations are
    applied, the replaced migrations when only some are.
    """

    def __init__(self, applied: AppliedSet = frozenset()) -> None:
        self.preset = applied
        super().__init__(None, ignore_no_migrations=True)

    def build_graph(self) -> None:
        """Build the whole graph, then resolve squashes against the preset applied set."""
        self.replace_migrations = False  # every node and dependency, no replacement yet
        super().build_graph()
        self.replace_migrations = True
        self.applied_migrations = dict.fromkeys(self.preset)
        # As in MigrationLoader.build_graph, with the preset set standing in for the recorder.
        for key, migration in self.replacements.items():
            statuses = [target in self.applied_migrations for target in migration.replaces]
            if all(statuses):
                self.applied_migrations[key] = migration
            else:
                self.applied_migrations.pop(key, None)
            if all(statuses) or not any(statuses):
                self.graph.remove_replaced_nodes(key, migration.replaces)
            else:
                self.graph.remove_replacement_node(key, migration.replaces)
        self.graph.validate_consistency()


class FleetPlanner:
    """Build Django's migration graph once and answer 'what must run?' for any applied set."""

    def __init__(self) -> None:
        # No connection: the loader reads files only; applied sets come from `state`.
        self.loader = AppliedSetLoader()
        self.graph = self.loader.graph
        # One loader per set of partly applied squashes (rare): each has its own graph.
        self.loaders: dict[frozenset[MigrationKey], AppliedSetLoader] = {frozenset(): self.loader}

    def check_conflicts(self) -> None:
        """Refuse a graph with several leaves in one app, as Django's `migrate` does."""
        conflicts = self.loader.detect_conflicts()
        if conflicts:
            names = "; ".join(f"{', '.join(sorted(n))} in {app}" for app, n in conflicts.items())
            raise ConflictingMigrations(
                "Conflicting migrations detected; multiple leaf nodes in the migration graph: "
                f"({names}). To fix them run 'python manage.py makemigrations --merge'."
            )

    def loader_for(self, applied: AppliedSet) -> AppliedSetLoader:
        """Return a loader whose graph resolves squashes as Django would for `applied`."""
        partial = frozenset(
            key
            for key, migration in self.loader.replacements.items()
            if not set(migration.replaces) <= applied and set(migration.replaces) & applied
        )
        if partial not in self.loaders:
            self.loaders[partial] = AppliedSetLoader(applied)
        loader = self.loaders[partial]
        loader.applied_migrations = dict.fromkeys(applied)
        for key, migration in loader.replacements.items():
            if set(migration.replaces) <= applied:
                loader.applied_migrations[key] = migration
            else:
                loader.applied_migrations.pop(key, None)
        return loader

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
        loader = self.loader_for(applied)
        # Only migration_plan() is used, and it reads nothing but the loader: skip __init__,
        # which would build (and read from disk) a second loader.
        executor = MigrationExecutor.__new__(MigrationExecutor)
        executor.connection, executor.loader = None, loader
        targets = [
            key if key[1] is None or key in loader.graph.nodes else self.replacing(loader, key)
            for key in self.targets_for(target)
        ]
        return executor.migration_plan(targets)

    @staticmethod
    def replacing(loader: MigrationLoader, key: MigrationKey) -> MigrationKey:
        """Map a partly applied squash to its last replaced migration, as `migrate` does."""
        if key in loader.replacements:
            return loader.replacements[key].replaces[-1]
        return key

    @staticmethod
    def applied_after(applied: AppliedSet, plan: list[PlanStep]) -> set[MigrationKey]:
        """Return what a schema has applied once `plan` ran (a squash brings what it replaces)."""
        after = set(applied)
        for migration, backwards in plan:
            keys = {(migration.app_label, migration.name), *(migration.replaces or [])}
            after = after - keys if backwards else after | keys
        return after

    def squashes_to_record(self, applied: AppliedSet, plan: list[PlanStep]) -> list[MigrationKey]:
        """Return squashes all of whose replaced migrations are applied after `plan`, unrecorded."""
        after = self.applied_after(applied, plan)
        return sorted(
            key
            for key, migration in self.loader.replacements.items()
            if key not in after and set(migration.replaces) <= after
        )

    def group(self, states: Mapping[str, AppliedSet], target: Target) -> list[TenantGroup]:
        """Group schemas by applied set and plan each group once; current groups are dropped."""
        by_applied: dict[AppliedSet, list[str]] = defaultdict(list)
        for schema, applied in states.items():
            by_applied[applied].append(schema)
        groups = []
        for applied, schemas in by_applied.items():
            steps = self.plan(applied, target)
            squashes = self.squashes_to_record(applied, steps)
            if steps or squashes:
                groups.append(
                    TenantGroup(
                        applied=applied,
                        schemas=sorted(schemas),
                        plan=steps,
                        squashes_to_record=squashes,
                    )
                )
        return sorted(groups, key=lambda group: group.schemas[0])

    def node_keys(self) -> set[MigrationKey]:
        """Return every migration the code knows."""
        return set(self.graph.nodes)
