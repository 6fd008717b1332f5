"""Render a plan once: schema operations become SQL, the rest keep their precomputed states.

Rendering follows `sqlmigrate`: Django's schema editor in collect-SQL mode, on a connection whose
search_path points at a tenant of the group, so names come out unqualified and the router allows
the tenant apps. An operation that had to read the catalog while rendering (some AlterField
variants look up constraint names) is not trusted to be the same everywhere: it stays an
operation and runs live in each tenant.
"""

import copy
from dataclasses import dataclass, field

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.fields import FieldOperation
from django.db.migrations.operations.models import IndexOperation, ModelOperation
from django.db.migrations.operations.special import RunPython
from django.db.migrations.state import ProjectState

from shared_apps.migrator.engine.planner import FleetPlanner, PlanStep, tenant_app_labels
from shared_apps.migrator.engine.postmigrate import PostMigrate, QueryCount

SCHEMA_OPERATIONS = (FieldOperation, ModelOperation, IndexOperation)


@dataclass
class SqlStep:
    """Statements rendered once, replayed verbatim in every tenant."""

    statements: list[str]


@dataclass
class OperationStep:
    """An operation run live per tenant through Django, with states computed once."""

    app_label: str
    operation: Operation
    from_state: ProjectState
    to_state: ProjectState
    backwards: bool = False


Step = SqlStep | OperationStep


@dataclass
class CompiledMigration:
    """One migration ready to apply: its steps, or none when it only needs recording."""

    app_label: str
    name: str
    backwards: bool
    atomic: bool
    steps: list[Step] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kinds(self) -> str:
        """Summarise what runs: 'sql', 'python', 'sql+python' or 'record'."""
        kinds = {"sql" if isinstance(step, SqlStep) else "python" for step in self.steps}
        return "+".join(sorted(kinds)) or "record"


class CompiledPlan(list):
    """A group's compiled migrations, and the post_migrate to send after them."""

    post_migrate: PostMigrate | None = None


class PlanCompiler:
    """Compile plan steps, caching each migration's rendering for the whole run."""

    def __init__(self, planner: FleetPlanner, connection: BaseDatabaseWrapper) -> None:
        self.planner = planner
        self.connection = connection
        self.tenant_apps = tenant_app_labels()
        self.cache: dict[tuple[str, str, bool], CompiledMigration] = {}

    def compile(
        self, plan: list[PlanStep], sample_schema: str, loader: MigrationLoader | None = None
    ) -> list[CompiledMigration]:
        """Return the compiled migrations of `plan`, rendering against `sample_schema`.

        `loader` is the one that planned it (its graph holds the plan's nodes, e.g. the
        migrations a partly applied squash replaces).
        """
        compiled = []
        for migration, backwards in plan:
            key = (migration.app_label, migration.name, backwards)
            if key not in self.cache:
                self.cache[key] = self.compile_migration(
                    migration, backwards, sample_schema, loader or self.planner.loader
                )
            compiled.append(self.cache[key])
        return compiled

    def compile_groups(self, groups) -> dict[str, list[CompiledMigration]]:
        """Compile each group's plan once, against one of its tenants; return schema → plan."""
        plans: dict[str, list[CompiledMigration]] = {}
        for group in groups:
            loader = self.planner.loader_for(group.applied)
            compiled = CompiledPlan(self.compile(group.plan, group.schemas[0], loader))
            compiled += [self.squash_record(key) for key in group.squashes_to_record]
            after = self.planner.applied_after(group.applied, group.plan)
            after |= set(group.squashes_to_record)
            compiled.post_migrate = PostMigrate(loader, after, group.plan)
            # Rendered and probed once, before workers fork.
            compiled.post_migrate.probe(self.connection, group.schemas[0])
            plans.update(dict.fromkeys(group.schemas, compiled))
        return plans

    def squash_record(self, key: tuple[str, str]) -> CompiledMigration:
        """Return a step that only records a squash whose replaced migrations are all applied."""
        app_label, name = key
        return CompiledMigration(app_label=app_label, name=name, backwards=False, atomic=True)

    def compile_migration(
        self, migration: Migration, backwards: bool, sample_schema: str, loader: MigrationLoader
    ) -> CompiledMigration:
        """Render one migration (forwards or backwards) into steps."""
        compiled = CompiledMigration(
            app_label=migration.app_label,
            name=migration.name,
            backwards=backwards,
            atomic=migration.atomic,
            replaces=list(migration.replaces or []),
        )
        if migration.app_label not in self.tenant_apps:
            return compiled  # shared app: the router makes it a no-op here; only record it
        state = loader.project_state((migration.app_label, migration.name), at_end=False)
        transitions = self.operation_transitions(migration, state)
        if backwards:
            transitions = [(op, after, before) for op, before, after in reversed(transitions)]
        self.connection.set_schema(sample_schema)
        try:
            compiled.steps = self.render(migration.app_label, transitions, backwards)
        finally:
            self.connection.set_schema_to_public()
        return compiled

    @staticmethod
    def operation_transitions(migration: Migration, state: ProjectState):
        """Return (operation, state before it, state after it) for each operation, in order."""
        transitions = []
        for operation in migration.operations:
            before = state.clone()
            operation.state_forwards(migration.app_label, state)
            transitions.append((operation, before, state.clone()))
        return transitions

    def render(self, app_label: str, transitions, backwards: bool) -> list[Step]:
        """Turn (operation, from_state, to_state) transitions into SQL and operation steps."""
        steps: list[Step] = []
        counter = QueryCount()  # collect-SQL mode sends none: a count means it read
        with self.connection.execute_wrapper(counter):
            editor = self.connection.schema_editor(collect_sql=True, atomic=False)
            with editor:
                flushed = 0
                for operation, from_state, to_state in transitions:
                    if isinstance(operation, SCHEMA_OPERATIONS) and self.rendered(
                        operation, app_label, editor, from_state, to_state, backwards, counter
                    ):
                        continue
                    steps.extend(self.flush(editor, flushed))
                    flushed = len(editor.collected_sql)
                    if isinstance(operation, RunPython):
                        from_state.apps  # noqa: B018 - render models once, not once per tenant
                    steps.append(
                        OperationStep(app_label, operation, from_state, to_state, backwards)
                    )
            # Leaving the editor appended its deferred SQL (indexes, foreign keys).
            steps.extend(self.flush(editor, flushed))
        return steps

    def rendered(
        self, operation, app_label, editor, from_state, to_state, backwards, counter
    ) -> bool:
        """Render one schema operation into the editor; False when it must run live instead.

        It must when rendering read the catalog (the sample schema may differ from another
        tenant's) or failed (it looked for a table or constraint the sample does not have yet,
        e.g. one an earlier step of the plan creates). Then whatever it rendered is dropped,
        deferred statements included, so nothing runs twice.
        """
        before_count, before_len = counter.count, len(editor.collected_sql)
        # Deep: renaming operations rewrite queued statements in place (rename_*_references).
        deferred = copy.deepcopy(
            editor.deferred_sql, {id(editor): editor, id(self.connection): self.connection}
        )
        try:
            self.run_operation(operation, app_label, editor, from_state, to_state, backwards)
            if counter.count == before_count:
                return True
        except Exception:  # noqa: BLE001, S110 - the live run raises in a tenant if it is real
            pass
        del editor.collected_sql[before_len:]
        editor.deferred_sql = deferred
        return False

    @staticmethod
    def run_operation(operation, app_label, editor, from_state, to_state, backwards) -> None:
        if backwards:
            operation.database_backwards(app_label, editor, from_state, to_state)
        else:
            operation.database_forwards(app_label, editor, from_state, to_state)

    @staticmethod
    def flush(editor, start: int) -> list[Step]:
        statements = [sql for sql in editor.collected_sql[start:] if not sql.startswith("--")]
        return [SqlStep(statements)] if statements else []
