#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def read_run_env() -> None:
    """Use the services of a running `make run` (its .devdata/run.env) for unset variables."""
    devdata = Path(os.environ.get("DEVDATA_DIR", Path(__file__).resolve().parent / ".devdata"))
    try:
        lines = (devdata / "run.env").read_text().splitlines()
    except OSError:
        return
    values = dict(line.split("=", 1) for line in lines if "=" in line)
    try:  # a file left by a run that was killed names servers that are gone
        pid = int(values.pop("DEVSTACK_PID", ""))
        if pid <= 0:
            return
        os.kill(pid, 0)
    except (OSError, ValueError):
        return
    for name, value in values.items():
        os.environ.setdefault(name, value)


def main() -> None:
    read_run_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Operator commands (migrations, tenant lifecycle, role setup) run as the owner role.
    os.environ.setdefault("DJANGO_DB_ROLE", "owner")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
