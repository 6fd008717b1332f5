"""pg_dump the schemas a fleet run is about to change."""

import subprocess
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from shared_apps.tenants.pgtools import find_pg_tool, libpq_env


def dump_schemas(schemas: list[str], *, label: str) -> Path:
    """Write one custom-format dump holding every schema in `schemas`; return its path."""
    backup_dir = Path(settings.BACKUP_DIR)
    backup_dir.mkdir(parents=True, exist_ok=True)
    path = backup_dir / f"{label}-{len(schemas)}-schemas-{timezone.now():%Y%m%dT%H%M%S%f}.dump"
    command = [find_pg_tool("pg_dump"), "--format=custom", "--file", str(path)]
    for schema in schemas:
        command += ["--schema", schema]
    subprocess.run(command, env=libpq_env(), check=True, capture_output=True)
    return path
