"""Send `post_migrate` to a schema as Django's `migrate` does: with the final state's apps.

Handlers (contenttypes, permissions, sites, third-party apps) write rows; Django's `migrate`
sends the signal after every run, so a tenant made or migrated without it would lack them.
Rendering the final state's apps is the costly part, so it is done once per group and reused
for every tenant of the group; each tenant then only runs the handlers' own queries. When the
handlers send no query at all in a tenant of the group (e.g. contenttypes and auth are shared
apps, so the router turns their handlers away from tenant schemas), they would do nothing in any
other tenant of it either, and the per-tenant sending is skipped: a few milliseconds of Python
per tenant that a 1,000-tenant run would otherwise pay for nothing.
"""

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState, ProjectState, StateApps

from shared_apps.migrator.engine.state import MigrationKey


def post_migrate_apps(state: ProjectState) -> StateApps:
    """Return the apps registry `migrate` hands to post_migrate for a final `state`."""
    state.clear_delayed_apps_cache()
    state_apps = state.apps
    # As `migrate` does: re-render the models of apps without migrations, with relations.
    with state_apps.bulk_update():
        model_keys = []
        for model_state in state_apps.real_models:
            model_key = model_state.app_label, model_state.name_lower
            model_keys.append(model_key)
            state_apps.unregister_model(*model_key)
    state_apps.render_multiple(
        [ModelState.from_model(global_apps.get_model(*model)) for model in model_keys]
    )
    return state_apps


class PostMigrate:
    """post_migrate for a group of tenants: the final state rendered once, sent per tenant."""

    def __init__(self, loader: MigrationLoader, applied: set[MigrationKey], plan: list) -> None:
        graph = loader.graph
        present = {key for key in applied if key in graph.nodes}
        # The state after the plan is the state at the applied leaves (cheaper than all nodes).
        self.nodes = sorted(
            key
            for key in present
            if not any(child.key in present for child in graph.node_map[key].children)
        )
        self.loader, self.plan = loader, plan
        self._apps: StateApps | None = None
        self.needed = True  # until a probe shows the handlers do nothing in these tenants

    @property
    def apps(self) -> StateApps:
        """Render the final state's apps on first use (before forking: children inherit it)."""
        if self._apps is None:
            state = self.loader.project_state(self.nodes, at_end=True) if self.nodes else None
            self._apps = post_migrate_apps(state or ProjectState(real_apps=set()))
        return self._apps

    def probe(self, connection: BaseDatabaseWrapper, schema: str) -> None:
        """Send the signal once in `schema` with every statement refused; note if any was sent.

        Refused, not rolled back: a rolled-back INSERT would still advance sequences.
        """
        refuse = RefuseQueries()
        connection.set_schema(schema)
        try:
            with connection.execute_wrapper(refuse):
                post_migrate_send(connection=connection, state_apps=self.apps, plan=self.plan)
        except Exception:  # noqa: BLE001 - the refusal itself, or a handler's own failure
            refuse.queried = True
        finally:
            connection.set_schema_to_public()
        self.needed = refuse.queried

    def send(self, connection: BaseDatabaseWrapper) -> None:
        """Send post_migrate on `connection`, whose schema is the tenant's (when it matters)."""
        if self.needed:
            post_migrate_send(connection=connection, state_apps=self.apps, plan=self.plan)


class RefuseQueries:
    """An execute wrapper that sends nothing: it notes the attempt and raises."""

    def __init__(self) -> None:
        self.queried = False

    def __call__(self, execute, sql, params, many, context):
        self.queried = True
        raise RuntimeError("post_migrate probe: handlers query this schema")


class QueryCount:
    """An execute wrapper that counts the statements sent."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def post_migrate_send(*, connection: BaseDatabaseWrapper, state_apps: StateApps, plan) -> None:
    """Emit post_migrate for every app on `connection`'s current schema."""
    clear_content_type_cache()
    try:
        emit_post_migrate_signal(0, False, connection.alias, apps=state_apps, plan=plan)
    finally:
        # ContentType caches ids per database alias, not per schema: never let one
        # schema's ids answer for another's.
        clear_content_type_cache()


def clear_content_type_cache() -> None:
    if global_apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
