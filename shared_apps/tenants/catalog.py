"""Read tenant schemas' catalogs from pg_catalog and name how two of them differ.

A catalog is a dict of sections (tables, columns, indexes, constraints, sequences), each
mapping a name to a normalised definition with the schema qualifier removed, so schemas can be
compared by value. One query per section reads any number of schemas.
"""

import re

from django.db import connection

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
    catalogs: dict[str, Catalog] = {schema: {s: {} for s in SECTIONS} for schema in schemas}
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
            if want == got:
                continue
            change = "missing" if got is None else "extra" if want is None else "changed"
            diffs.append(
                {"section": section, "name": name, "change": change,
                 "template": want or "", "tenant": got or ""}
            )  # fmt: skip
    return diffs


def diff_line(diff: dict[str, str]) -> str:
    """Render one difference as a sentence a person can act on."""
    what = f"{SINGULAR[diff['section']]} {diff['name']}"
    if diff["change"] == "missing":
        return f"{what} is missing (template: {diff['template']})"
    if diff["change"] == "extra":
        return f"{what} is not in the template (tenant: {diff['tenant']})"
    return f"{what} differs: template {diff['template']!r}, tenant {diff['tenant']!r}"
