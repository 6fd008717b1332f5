"""The tenant template: the schema of the current code, built once and replayed into new tenants.

The template schema `tenant_template` is migrated with Django's executor, exactly like a tenant
would be, and keeps its key (a hash of the migration files) in `COMMENT ON SCHEMA`, so every
process shares it and a changed key rebuilds it. Each process captures it once with `pg_dump`
(DDL, seed rows, `django_migrations` rows, sequence positions) as unqualified SQL that
`template_replay` runs inside a new schema with `SET LOCAL search_path`: one transaction, no
migration machinery, and the same names as migrations give (unlike a PL/pgSQL clone).
"""

import functools
import hashlib
import logging
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.dispatch import receiver

from shared_apps.migrator.engine.planner import is_tenant_app
from shared_apps.migrator.engine.postmigrate import post_migrate_apps, post_migrate_send
from shared_apps.tenants.pgtools import find_pg_tool, libpq_env

logger = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "tenant_template"
CHECK_SCHEMA = "tenant_template_check"
COMMENT_PREFIX = "devcontext tenant template "
# Bump when the capture or rendering changes, so existing templates are rebuilt.
FORMAT_VERSION = "1"
# pg_advisory_lock key: builders take it exclusively, capturers shared (any fixed bigint).
LOCK_KEY = 7_310_455_001
SCHEMA_PLACEHOLDER = "__devcontext_schema__"


class TemplateError(RuntimeError):
    """The template cannot be built or captured."""


@dataclass(frozen=True)
class TenantTemplate:
    """Unqualified SQL for one code version: DDL before data, seed rows, DDL after data."""

    key: str
    pre_data: str
    data: str
    post_data: str

    def sql_for(self, quoted_schema: str) -> str:
        """Return the whole replay batch for a schema (already quoted)."""
        body = "\n".join((self.pre_data, self.data, self.post_data))
        return body.replace(SCHEMA_PLACEHOLDER, quoted_schema)


_captured: dict[str, TenantTemplate] = {}


@functools.lru_cache(maxsize=1)
def template_key() -> str:
    """Hash every migration's name, and the tenant apps' migration files' contents."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    for app_config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        for path in migration_files(app_config.label):
            digest.update(f"{app_config.label}/{path.stem}\n".encode())
            if is_tenant_app(app_config):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def migration_files(app_label: str) -> list[Path]:
    """Return the migration modules of an app (honours MIGRATION_MODULES)."""
    module_name, _ = MigrationLoader.migrations_module(app_label)
    if module_name is None:
        return []
    try:
        module = import_module(module_name)
    except ImportError:
        return []
    paths = [Path(p) for p in getattr(module, "__path__", [])]
    return sorted(
        (f for p in paths for f in p.glob("*.py") if f.name != "__init__.py"),
        key=lambda f: f.name,
    )


@receiver(setting_changed)
def _forget_key_on_settings_change(*, setting, **kwargs):
    if setting in {"MIGRATION_MODULES", "INSTALLED_APPS", "TENANT_APPS"}:
        template_key.cache_clear()


def template_get() -> TenantTemplate:
    """Return the captured template of the current code, building the schema when stale."""
    key = template_key()
    if key in _captured:
        return _captured[key]
    with advisory_lock(shared=True):
        stored = stored_key()
    captured = template_build(key) if stored != key else None
    if captured is None:
        with advisory_lock(shared=True):
            if stored_key() != key:
                raise TemplateError("The template schema changed while capturing it; retry.")
            captured = template_capture(key)
    _captured.clear()
    _captured[key] = captured
    return captured


def stored_key() -> str | None:
    """Return the key recorded on the template schema, or None when it has none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            [TEMPLATE_SCHEMA],
        )
        row = cursor.fetchone()
    comment = row[0] if row else None
    if not comment or not comment.startswith(COMMENT_PREFIX):
        return None
    return comment.removeprefix(COMMENT_PREFIX)


@contextmanager
def advisory_lock(*, shared: bool):
    """Hold the template's session-level advisory lock (shared or exclusive) for a block."""
    kind = "_shared" if shared else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_lock{kind}(%s)", [LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_unlock{kind}(%s)", [LOCK_KEY])


def template_build(key: str) -> TenantTemplate | None:
    """Rebuild the template by running every migration, verify and stamp it; return its capture.

    Returns None when another process built this key meanwhile.
    """
    if connection.in_atomic_block:
        # pg_dump reads committed data only; a template built in a transaction is invisible.
        raise TemplateError("Build the tenant template outside a transaction.")
    from shared_apps.tenants.provisioning import create_schema_if_missing, schema_drop

    with advisory_lock(shared=False):
        if stored_key() == key:
            return None
        logger.info("Building the tenant template %s", key)
        schema_drop(schema_name=TEMPLATE_SCHEMA)
        create_schema_if_missing(TEMPLATE_SCHEMA)
        try:
            migrate_schema(TEMPLATE_SCHEMA)
        finally:
            connection.set_schema_to_public()
        captured = template_capture(key)
        template_verify(captured)
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON SCHEMA {TEMPLATE_SCHEMA} IS %s", [COMMENT_PREFIX + key])
        return captured


def migrate_schema(schema_name: str) -> None:
    """Apply every migration to `schema_name` with Django's executor (the router skips shared
    apps' operations but records them, as django-tenants does)."""
    connection.set_schema(schema_name, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema(schema_name)
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    state = executor.migrate(targets, plan=plan)
    # As `migrate` does after its plan: contenttypes, permissions, sites… rows in this schema.
    post_migrate_send(connection=connection, state_apps=post_migrate_apps(state), plan=plan)


def template_capture(key: str) -> TenantTemplate:
    """Dump the template schema's three sections and render them as unqualified SQL."""
    return TenantTemplate(
        key=key,
        pre_data=render_ddl(pg_dump_section("pre-data")),
        data=render_data(pg_dump_section("data")),
        post_data=render_ddl(pg_dump_section("post-data")),
    )


def pg_dump_section(section: str) -> str:
    argv = [find_pg_tool("pg_dump"), "--schema", TEMPLATE_SCHEMA, "--strict-names"]
    argv += ["--no-owner", "--section", section]
    if section == "data":
        argv.append("--column-inserts")
    result = subprocess.run(argv, env=libpq_env(), check=False, capture_output=True, text=True)
    if result.returncode:
        raise TemplateError(f"pg_dump of the template failed: {result.stderr.strip()}")
    return result.stdout


# pg_dump's session preamble and psql meta-commands: never part of the replay.
PREAMBLE = re.compile(
    r"^(SET \w+ = .*;|SELECT pg_catalog\.set_config\('search_path', '', false\);|\\\S+.*)$"
)
SCHEMA_STATEMENT = re.compile(rf"^(CREATE|ALTER|COMMENT ON) SCHEMA {TEMPLATE_SCHEMA}\b.*;$")
QUALIFIER = re.compile(rf"(?<![\w$\"]){TEMPLATE_SCHEMA}\.")
SCHEMA_NAME = re.compile(rf"(?<![\w$\"]){TEMPLATE_SCHEMA}(?![\w$])")


def render_ddl(dump: str) -> str:
    """Drop the preamble and schema statements, and make every name unqualified."""
    lines = []
    for line in dump.splitlines():
        if PREAMBLE.match(line) or SCHEMA_STATEMENT.match(line) or line.startswith("--"):
            continue
        line = QUALIFIER.sub("", line)
        # What still names the schema (GRANT ON SCHEMA, DEFAULT PRIVILEGES) targets the new one.
        lines.append(SCHEMA_NAME.sub(SCHEMA_PLACEHOLDER, line))
    return "\n".join(line for line in lines if line.strip())


DATA_QUALIFIER = re.compile(
    rf"^(INSERT INTO |SELECT pg_catalog\.setval\('){TEMPLATE_SCHEMA}\.", re.MULTILINE
)


def render_data(dump: str) -> str:
    """Unqualify the INSERT and setval statements only: values are left byte for byte."""
    body = "\n".join(line for line in dump.splitlines() if not PREAMBLE.match(line))
    return DATA_QUALIFIER.sub(r"\1", body)


def template_replay(template: TenantTemplate, schema_name: str) -> None:
    """Run the template's SQL inside `schema_name`, in the caller's transaction."""
    if not connection.in_atomic_block:
        raise TemplateError("Replay the template inside a transaction.")
    quoted = connection.ops.quote_name(schema_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        previous = cursor.fetchone()[0]
        # SET LOCAL ends with the transaction; the statements resolve to the new schema only.
        cursor.execute(f"SET LOCAL search_path TO {quoted};\n{template.sql_for(quoted)}")
        cursor.execute("SELECT set_config('search_path', %s, true)", [previous])


def template_verify(template: TenantTemplate) -> None:
    """Replay the template into a scratch schema and fail when its catalog differs."""
    from shared_apps.tenants.catalog import catalog_diff, schema_catalogs

    class Discard(Exception):
        pass

    diffs: list = []
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {CHECK_SCHEMA} CASCADE")
                cursor.execute(f"CREATE SCHEMA {CHECK_SCHEMA}")
            template_replay(template, CHECK_SCHEMA)
            catalogs = schema_catalogs([TEMPLATE_SCHEMA, CHECK_SCHEMA])
            diffs = catalog_diff(catalogs[TEMPLATE_SCHEMA], catalogs[CHECK_SCHEMA])
            raise Discard
    except Discard:
        pass
    if diffs:
        raise TemplateError(f"The captured template does not reproduce its schema: {diffs}")
