"""Citus: tenant schemas as distributed schemas, where each one lives, and moving them.

With `DATABASE_URL` at a Citus coordinator (detected from the `citus` extension, or forced with
the `CITUS` setting), every tenant schema (and the template) is created as a *distributed
schema*: its tables live together on one worker node and are reached through the coordinator.
The public schema's tables stay plain tables on the coordinator (see docs/operations.md, "Scale
out with Citus", for why). Everything Citus-specific the product does is in this module.
"""

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psycopg.errors
from django.conf import settings
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_detected: dict[tuple, bool] = {}


class CitusError(RuntimeError):
    """Citus cannot do what was asked; the message says what to do instead."""


def citus_active(conn: BaseDatabaseWrapper | None = None) -> bool:
    """Return whether the database is a Citus coordinator (CITUS=on/off overrides detection)."""
    forced = getattr(settings, "CITUS", "auto")
    if forced in {"on", "off"}:
        return forced == "on"
    conn = conn or connection
    key = (
        conn.settings_dict.get("HOST"),
        conn.settings_dict.get("PORT"),
        conn.settings_dict["NAME"],
    )
    if key not in _detected:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            _detected[key] = cursor.fetchone() is not None
    return _detected[key]


def citus_refusal(exc: BaseException, migration: str) -> "CitusError | None":
    """Name the migration when Citus refused one of its statements."""
    cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    # Citus refuses unsupported forms with 0A000, and a foreign key out of a distributed schema
    # with a plain (XX000) "foreign keys from distributed schemas can only point to …".
    unsupported = isinstance(cause, psycopg.errors.FeatureNotSupported) or (
        isinstance(cause, psycopg.errors.InternalError_) and "distributed" in str(cause)
    )
    if not unsupported or not citus_active():
        return None
    return CitusError(
        f"Citus refused migration {migration.lstrip('+-')}: {' '.join(str(cause).split())}."
        " Rewrite it in a form Citus accepts (docs/operations.md, 'What changes for migrations')."
    )


def create_schema_sql(quoted_schema: str) -> str:
    """Return the statements that create a schema as a distributed schema.

    `citus.enable_schema_based_sharding` makes CREATE SCHEMA register the schema with Citus;
    tables created in it later become single-shard tables on the schema's node. Setting it
    around the one statement keeps the product independent of the database's default.
    """
    return (
        "SET citus.enable_schema_based_sharding TO on;"
        f" CREATE SCHEMA {quoted_schema};"
        " RESET citus.enable_schema_based_sharding"
    )


# pg_dump writes an identity column as a plain column plus a later
# `ALTER TABLE … ALTER COLUMN … ADD GENERATED … AS IDENTITY (…);`, a subcommand Citus refuses
# on a distributed table ("alter table command is currently unsupported"). The same identity
# declared inside CREATE TABLE is accepted and gives the same catalog.
ADD_IDENTITY = re.compile(
    r"^ALTER TABLE (?:ONLY )?(?P<table>\S+) ALTER COLUMN (?P<column>\S+) "
    r"ADD (?P<identity>GENERATED (?:ALWAYS|BY DEFAULT) AS IDENTITY \((?:[^()]|\n)*?\n?\));$",
    re.MULTILINE,
)
CREATE_TABLE = re.compile(
    r"^CREATE TABLE (?P<table>\S+) \(\n(?P<body>(?:.*\n)*?)\);$", re.MULTILINE
)
# Per-column storage options (`ALTER TABLE … ALTER COLUMN … SET (…)`) are refused on distributed
# tables too. This server stamps every new column with its own `pg_attver` option, which pg_dump
# copies; the replayed column gets a fresh stamp of its own, so the copy is dropped. Any other
# column option cannot be carried over and is reported.
COLUMN_OPTIONS = re.compile(
    r"^ALTER TABLE (?:ONLY )?\S+ ALTER COLUMN \S+ SET \((?P<options>[^()]*)\);$", re.MULTILINE
)
# Citus adds its own truncate trigger to every distributed table; pg_dump copies it, and a
# replayed copy would collide with the one Citus adds to the new table.
CITUS_TRIGGER = re.compile(r"^CREATE TRIGGER \S+ .*citus_truncate_trigger\(\);$", re.MULTILINE)


def ddl_for_citus(ddl: str) -> str:
    """Rewrite replayed pg_dump DDL into forms Citus accepts on a distributed schema."""
    identities: dict[tuple[str, str], str] = {}

    def take_identity(match: re.Match) -> str:
        identity = " ".join(match["identity"].split())
        identities[(match["table"], match["column"])] = identity
        return ""

    ddl = ADD_IDENTITY.sub(take_identity, ddl)

    def inline(match: re.Match) -> str:
        table, lines = match["table"], match["body"].split("\n")
        for index, line in enumerate(lines):
            column = line.strip().split(" ", 1)[0]
            identity = identities.pop((table, column), None)
            if identity:
                body, comma = (line[:-1], ",") if line.endswith(",") else (line, "")
                # A column constraint list: `id bigint NOT NULL GENERATED … AS IDENTITY (…)`.
                lines[index] = f"{body} {identity}{comma}"
        return f"CREATE TABLE {table} (\n" + "\n".join(lines) + ");"

    ddl = CREATE_TABLE.sub(inline, ddl)

    def server_stamp_only(match: re.Match) -> str:
        options = [option.strip().split("=")[0] for option in match["options"].split(",")]
        if set(options) == {"pg_attver"}:
            return ""
        raise CitusError(
            "Citus cannot set column options on a distributed table; remove them from the "
            f"migration that sets them: {match[0]}"
        )

    ddl = COLUMN_OPTIONS.sub(server_stamp_only, ddl)
    if identities:
        names = ", ".join(f"{table}.{column}" for table, column in identities)
        raise CitusError(f"Identity columns not found in their CREATE TABLE: {names}")
    return CITUS_TRIGGER.sub("", ddl)


def replay_batches(template, quoted_schema: str) -> list[str]:
    """Split a template's replay into what Citus can run: one DDL statement per query.

    Citus forwards a DDL statement's query text to the worker holding the schema, and a text of
    several statements is refused there ("cannot insert multiple commands into a prepared
    statement"). pg_dump ends every DDL statement at the end of a line; rows (INSERTs are
    planned by Citus, not forwarded) stay one batch.
    """
    from shared_apps.tenants.template import SCHEMA_PLACEHOLDER

    batches = []
    for section, split in (
        (template.pre_data, True),
        (template.data, False),
        (template.post_data, True),
    ):
        section = section.replace(SCHEMA_PLACEHOLDER, quoted_schema).strip()
        if not section:
            continue
        batches += [f"{part};" for part in section.rstrip(";").split(";\n")] if split else [section]
    return batches


# Every colocated shard of a distributed schema sits on one node: any shard tells where.
SCHEMA_NODES = """
SELECT s.schemaid::regnamespace::text, n.nodename, n.nodeport
FROM pg_dist_schema s
JOIN LATERAL (
    SELECT sh.shardid FROM pg_dist_partition p JOIN pg_dist_shard sh USING (logicalrelid)
    WHERE p.colocationid = s.colocationid LIMIT 1
) shard ON true
JOIN pg_dist_placement pl ON pl.shardid = shard.shardid
JOIN pg_dist_node n ON n.groupid = pl.groupid
WHERE s.schemaid::regnamespace::text = ANY(%s)
"""


def schema_nodes(schemas: Iterable[str]) -> dict[str, str]:
    """Return `HOST:PORT` of the node holding each distributed schema that has tables."""
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_NODES, [list(schemas)])
        return {schema: f"{host}:{port}" for schema, host, port in cursor.fetchall()}


def schema_distribute(schema: str) -> str:
    """Make an existing plain schema a distributed schema; return the node it was placed on."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT citus_schema_distribute(%s::regnamespace)", [schema])
    return schema_nodes([schema]).get(schema, "")


@dataclass(frozen=True)
class Node:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def node_parse(value: str) -> Node:
    """Parse `HOST:PORT` into a Node (ValueError with the expected form otherwise)."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"'{value}' is not HOST:PORT (e.g. 10.0.0.5:5432).")
    return Node(host, int(port))


def worker_nodes() -> list[Node]:
    """Return the active nodes that may hold tenant schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nodename, nodeport FROM pg_dist_node WHERE isactive AND shouldhaveshards"
            " AND noderole = 'primary' ORDER BY nodename, nodeport"
        )
        return [Node(host, port) for host, port in cursor.fetchall()]


Progress = Callable[[str], None]


def watch(work: Callable[[], None], report: Callable[[], str | None], progress: Progress) -> None:
    """Run `work` in a thread on its own connection; report progress every second meanwhile."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(timeout=1.0)
        if thread.is_alive():
            line = report()
            if line:
                progress(line)
    if failure:
        raise failure[0]


# Shards being copied right now, summed per schema (a schema's shards move together).
COPYING = """
SELECT c.relnamespace::regnamespace::text, sum(p.source_shard_size), sum(p.target_shard_size)
FROM get_rebalance_progress() p JOIN pg_class c ON c.oid = p.table_name
GROUP BY 1 ORDER BY 1
"""


def copy_progress(only: str | None = None) -> str | None:
    """Describe the schema copies in progress (`get_rebalance_progress()`), if any."""
    with connection.cursor() as cursor:
        cursor.execute(COPYING)
        rows = [row for row in cursor.fetchall() if only in (None, row[0])]
    parts = []
    for schema, source, target in rows:
        if source:
            percent = min(100, int(100 * (target or 0) / source))
            kilobytes = f"{(target or 0) // 1024} of {source // 1024} kB"
            parts.append(f"{schema} copied {percent}% ({kilobytes})")
    return "; ".join(parts) or None


def schema_move(*, schema: str, to_node: Node, mode: str, progress: Progress) -> None:
    """Move a distributed schema (all its shards) to `to_node` online with citus_schema_move."""

    def work() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT citus_schema_move(%s::regnamespace, %s, %s, %s::citus.shard_transfer_mode)",
                [schema, to_node.host, to_node.port, mode],
            )

    watch(work, lambda: copy_progress(schema), progress)


def rebalance_progress() -> str | None:
    """Describe the running rebalance: its moves by state, and the copies in progress."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT details->'task_state_counts' FROM citus_rebalance_status()"
            " ORDER BY started_at DESC NULLS LAST LIMIT 1"
        )
        row = cursor.fetchone()
    counts = (row[0] if row else None) or {}
    if isinstance(counts, str):
        counts = json.loads(counts)
    states = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
    copying = copy_progress()
    return (
        " — ".join(part for part in (f"moves: {states}" if states else "", copying) if part) or None
    )


def rebalance(*, mode: str, progress: Progress) -> int:
    """Spread distributed schemas evenly over the workers; return how many schemas moved."""
    with connection.cursor() as cursor:
        # The plan lists every shard; a distributed schema moves whole: count schemas.
        cursor.execute(
            "SELECT count(DISTINCT c.relnamespace) FROM get_rebalance_table_shards_plan() p"
            " JOIN pg_class c ON c.oid = p.table_name"
        )
        moves = cursor.fetchone()[0]
    if not moves:
        return 0

    def work() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT citus_rebalance_start(shard_transfer_mode => %s)", [mode])
            cursor.execute("SELECT citus_rebalance_wait()")

    watch(work, rebalance_progress, progress)
    return moves
