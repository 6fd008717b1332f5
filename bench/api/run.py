"""Benchmark GET /api/tasks/?page_size=50: full tenant (+RLS) stack vs a fixed-schema baseline.

    createdb devcontext_bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/devcontext_bench \
        .venv/bin/python manage.py migrate_schemas --shared && APP_DB_ROLE=bench_app \
        APP_DB_PASSWORD=bench DATABASE_URL=… .venv/bin/python manage.py setup_db_roles
    DATABASE_OWNER_URL=postgres://postgres@127.0.0.1:5432/devcontext_bench \
    DATABASE_URL=postgres://bench_app:bench@127.0.0.1:5432/devcontext_bench \
        .venv/bin/python -m bench.api.run

Builds (once) a tenant `bench` with 10,000 tasks, collects static files, then for each stack
starts gunicorn (2 workers, loopback) and runs `wrk` for BENCH_SECONDS (default 30) with a
bearer token of the tenant's owner. Prints req/s, p50/p99 latency, non-2xx and the overhead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SLUG, TASKS = "bench", 10_000
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
PATH = "/api/tasks/?page_size=50"
# (label, settings module, database role). The full stack serves as the application role, so
# RLS policies are really evaluated; the baseline has no tenant context, under which RLS would
# (rightly) hide every token, so it serves as the owner (DATABASE_OWNER_URL, bypasses RLS).
STACKS = [
    ("tenant routing + RLS", "config.settings", "app"),
    ("fixed schema", "bench.api.settings_baseline", "owner"),
]


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("wrk")


def prepare() -> str:
    """Migrate, build the bench tenant with its tasks, collect static; return an owner key."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DB_ROLE"] = "owner"
    from config.devstack import ensure_database

    ensure_database(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/devcontext"))
    import django

    django.setup()
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from shared_apps.accounts.models import User
    from shared_apps.accounts.services import api_token_create
    from shared_apps.tenants.models import Tenant
    from shared_apps.tenants.services import tenant_create
    from tenant_apps.projects.models import Project
    from tenant_apps.tracker.models import Task, TaskStatus

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        slug=SLUG, name="Bench", owner_email="owner@bench.test"
    )
    with tenant_context(tenant):
        missing = TASKS - Task.objects.count()
        if missing > 0:
            project = Project.objects.get_or_create(key="BENCH", defaults={"name": "Bench"})[0]
            statuses = list(TaskStatus.objects.all())
            Task.objects.bulk_create(
                [
                    Task(
                        project=project,
                        status=statuses[i % len(statuses)],
                        title=f"Task {i}",
                        priority=1 + i % 4,
                    )
                    for i in range(missing)
                ],
                batch_size=2000,
            )
    call_command("collectstatic", interactive=False, verbosity=0)
    owner = User.objects.get(email="owner@bench.test")
    return api_token_create(user=owner, tenant=tenant, name="bench")[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(settings_module: str, port: int, role: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DB_ROLE": role,
        "DEBUG": "0",
        "CONN_MAX_AGE": "60",
    }
    env.setdefault("SECRET_KEY", "bench-only-secret")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def measure(wrk: str, port: int, key: str) -> dict:
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "-H",
            f"Host: {SLUG}.localhost",
            "-H",
            f"Authorization: Bearer {key}",
            f"http://127.0.0.1:{port}{PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"50%\s+(\S+)", out).group(1)),
        "p99": to_ms(re.search(r"99%\s+(\S+)", out).group(1)),
        "non2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "total": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def main() -> None:
    wrk = ensure_wrk()
    key = prepare()
    results = {}
    for label, settings_module, role in STACKS:
        port = free_port()
        server = serve(settings_module, port, role)
        try:
            headers = {"Host": f"{SLUG}.localhost", "Authorization": f"Bearer {key}"}
            check = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", headers=headers)
            with urllib.request.urlopen(check, timeout=10) as response:  # noqa: S310
                assert response.status == 200
            results[label] = measure(wrk, port, key)
        finally:
            server.terminate()
            server.wait(timeout=30)
    full, base = results[STACKS[0][0]], results[STACKS[1][0]]
    print(f"GET {PATH} — {TASKS} tasks, gunicorn 2 workers, wrk -c{CONNECTIONS} {SECONDS}s")
    print(f"{'stack':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'non-2xx':>9}")
    for label, r in results.items():
        print(
            f"{label:<24}{r['rps']:>10.1f}{r['p50']:>10.2f}{r['p99']:>10.2f}"
            f"{r['total']:>10}{r['non2xx']:>9}"
        )
    overhead = (base["rps"] - full["rps"]) / base["rps"] * 100
    print(f"overhead of tenant routing + RLS: {overhead:+.1f} % throughput (target ≤ 10 %)")


if __name__ == "__main__":
    main()
