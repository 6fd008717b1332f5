"""Read tenant schemas' catalogs from pg_catalog and name how two of them differ.

A catalog is a dict of sections (tables, columns, indexes, constraints, sequences), each
mapping a name to a normalised definition with the schema qualifier removed, so schemas can be
compared by value. One query per section reads any number of schemas.

Definitions are compared by meaning, not by text: PostgreSQL does not give back every
expression as the text it was created from (a partial index's `IN (...)` predicate is stored as
`= ANY (ARRAY[...])` with casts, and replaying that text yields yet another spelling). Index and
CHECK definitions whose text differs are therefore both re-created on an empty copy of their table
in a rolled-back transaction, and compared as the server prints them back.
"""

import functools
import re

from django.db import DatabaseError, connection, transaction

Catalog = dict[str, dict[str, str]]
SECTIONS = ("tables", "columns", "indexes", "constraints", "sequences")
SINGULAR = dict(zip(SECTIONS, ("table", "column", "index", "constraint", "sequence"), strict=True))

QUERIES = {
    "tables": """
        SELECT n.nspname, c.relname, c.relkind::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')""",
    "columns": """
        SELECT n.nspname, c.relname || '.' || a.attname,
               concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                         CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                         'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                         CASE a.attidentity WHEN 'a' THEN 'IDENTITY ALWAYS'
                                            WHEN 'd' THEN 'IDENTITY BY DEFAULT' END,
                         CASE WHEN a.attgenerated = 's' THEN 'GENERATED' END,
                         'COLLATE ' || nullif(a.attcollation, t.typcollation)::regcollation)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "indexes": """
        SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY(%s)""",
    "constraints": """
        SELECT n.nspname, c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s)""",
    "sequences": """
        SELECT schemaname, sequencename,
               concat_ws(' ', data_type::text, 'START', start_value, 'MIN', min_value,
                         'MAX', max_value, 'INCREMENT', increment_by,
                         CASE WHEN cycle THEN 'CYCLE' END, 'CACHE', cache_size)
        FROM pg_sequences WHERE schemaname = ANY(%s)""",
}


def unqualify(text: str, schema: str) -> str:
    """Remove `schema.` / `"schema".` qualifiers (pg_get_* qualify names off the search_path)."""
    pattern = rf'(?<![\w$"])(?:{re.escape(schema)}|"{re.escape(schema)}")\.'
    return re.sub(pattern, "", text)


def schema_catalogs(schemas: list[str]) -> dict[str, Catalog]:
    """Return the catalog of each schema (an absent schema gets empty sections)."""
    catalogs: dict[str, Catalog] = {
        schema: {"schema": {"name": schema}, **{s: {} for s in SECTIONS}} for schema in schemas
    }
    reprinted.cache_clear()  # tables may have changed since the last read
    with connection.cursor() as cursor:
        for section, query in QUERIES.items():
            cursor.execute(query, [list(schemas)])
            for schema, name, definition in cursor.fetchall():
                catalogs[schema][section][name] = unqualify(definition or "", schema)
    return catalogs


def catalog_diff(reference: Catalog, actual: Catalog) -> list[dict[str, str]]:
    """List every object that is missing, extra or defined differently in `actual`."""
    diffs = []
    for section in SECTIONS:
        expected, found = reference.get(section, {}), actual.get(section, {})
        for name in sorted(expected.keys() | found.keys()):
            want, got = expected.get(name), found.get(name)
            if want == got or same_meaning(section, name, want, got, reference, actual):
                continue
            change = "missing" if got is None else "extra" if want is None else "changed"
            diffs.append(
                {"section": section, "name": name, "change": change,
                 "template": want or "", "tenant": got or ""}
            )  # fmt: skip
    return diffs


def same_meaning(section, name, want, got, reference: Catalog, actual: Catalog) -> bool:
    """Return whether two spellings of an index or CHECK definition mean the same thing."""
    if want is None or got is None or section not in ("indexes", "constraints"):
        return False
    schema = reference.get("schema", {}).get("name")
    if section == "indexes":
        table, constraint = index_table(want), None
        if index_table(got) != table:
            return False
    elif want.startswith("CHECK") and got.startswith("CHECK"):
        table, constraint = name.split(".", 1)
    else:
        return False
    if schema is None or table is None:
        return False
    # Both on the reference's table: a column that differs is reported as such, and one
    # reprint per definition serves every tenant.
    expected = reprinted(schema, table, constraint, want)
    return expected is not None and expected == reprinted(schema, table, constraint, got)


INDEX_TABLE = re.compile(r" ON (?:ONLY )?((?:\w|\$)+|\"(?:[^\"]|\"\")+\") USING ")


def index_table(definition: str) -> str | None:
    match = INDEX_TABLE.search(definition)
    return match.group(1).strip('"').replace('""', '"') if match else None


class _Discard(Exception):
    pass


@functools.lru_cache(maxsize=1024)
def reprinted(schema: str, table: str, constraint: str | None, definition: str) -> str | None:
    """Create `definition` on an empty copy of `schema.table`; return how PostgreSQL prints it.

    Runs in a transaction (a savepoint inside one) that is always rolled back: nothing is left
    behind, and the copy is a temporary table, private to this session.
    """
    quote = connection.ops.quote_name
    printed: str | None = None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {quote(table)} (LIKE {quote(schema)}.{quote(table)})"
                " ON COMMIT DROP"
            )
            cursor.execute("SET LOCAL search_path TO pg_temp, public")
            if constraint is None:
                cursor.execute(definition)
                cursor.execute(
                    "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
                    " WHERE i.indrelid = %s::regclass",
                    [f"pg_temp.{quote(table)}"],
                )
            else:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} "
                               f"{definition}")  # fmt: skip
                cursor.execute(
                    "SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k"
                    " WHERE k.conrelid = %s::regclass AND k.conname = %s",
                    [f"pg_temp.{quote(table)}", constraint],
                )
            row = cursor.fetchone()
            printed = re.sub(r"\bpg_temp(_\d+)?\.", "", row[0]) if row else None
            raise _Discard
    except _Discard:
        pass
    except DatabaseError:
        return None  # it does not apply to a copy (e.g. it names a missing function): differs
    return printed


def diff_line(diff: dict[str, str]) -> str:
    """Render one difference as a sentence a person can act on."""
    what = f"{SINGULAR[diff['section']]} {diff['name']}"
    if diff["change"] == "missing":
        return f"{what} is missing (template: {diff['template']})"
    if diff["change"] == "extra":
        return f"{what} is not in the template (tenant: {diff['tenant']})"
    return f"{what} differs: template {diff['template']!r}, tenant {diff['tenant']!r}"
