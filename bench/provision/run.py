"""Provisioning bench: ours vs django-tenants (migrations, clone) vs the SQL floor, interleaved.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/5 \
     .venv/bin/python bench/provision/run.py [--tenants 50] [--celery 200]
It drops and recreates the scratch database `devcontext_bench` (BENCH_DATABASE).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.provision.settings"
os.environ["DJANGO_DB_ROLE"] = "owner"
os.environ.setdefault("SECRET_KEY", "bench-only")
DB = os.environ.setdefault("BENCH_DATABASE", "devcontext_bench")


def recreate_database() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')


def setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    from shared_apps.tenants.provisioning import schema_build_by_migrations
    from shared_apps.tenants.template import template_get

    template_get()
    schema_build_by_migrations(schema_name="bench_base")
    return floor_sql()


def floor_sql() -> str:
    """pg_dump --schema-only of a migrated tenant schema, unqualified."""
    from shared_apps.tenants.pgtools import find_pg_tool, libpq_env

    dump = subprocess.run(
        [find_pg_tool("pg_dump"), "--schema-only", "--no-owner", "--schema", "bench_base"],
        env=libpq_env(), check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    keep = [
        line.replace("bench_base.", "")
        for line in dump.splitlines()
        if not line.startswith(("SET ", "SELECT pg_catalog.set_config", "\\", "--"))
        and "SCHEMA bench_base" not in line
    ]
    return "\n".join(keep)


def ours(i: int) -> None:
    from shared_apps.tenants.services import tenant_create

    tenant_create(slug=f"ours{i}", name=f"Ours {i}", owner_email=f"o@ours{i}.test")


def django_tenants_create(slug: str, **overrides) -> None:
    from django.test import override_settings

    from shared_apps.tenants.models import Domain, Tenant

    with override_settings(**overrides):
        tenant = Tenant(slug=slug, name=slug, schema_name=f"t_{slug}", status="active")
        tenant.auto_create_schema = True  # django-tenants builds the schema in save()
        tenant.save(verbosity=0)
        Domain.objects.create(domain=f"{slug}.localhost", tenant=tenant, is_primary=True)


def migrations(i: int) -> None:
    django_tenants_create(f"mig{i}", TENANT_CREATION_FAKES_MIGRATIONS=False)


def clone(i: int) -> None:
    django_tenants_create(
        f"clone{i}", TENANT_CREATION_FAKES_MIGRATIONS=True, TENANT_BASE_SCHEMA="bench_base"
    )


def make_floor(sql: str):
    from shared_apps.tenants.pgtools import libpq_env

    env = libpq_env()
    conn = psycopg.connect(
        host=env.get("PGHOST"), port=env.get("PGPORT"), user=env.get("PGUSER"),
        password=env.get("PGPASSWORD"), dbname=env["PGDATABASE"],
    )  # fmt: skip

    def floor(i: int) -> None:
        with conn.transaction():
            conn.execute(f"CREATE SCHEMA t_floor{i}; SET LOCAL search_path TO t_floor{i};\n{sql}")

    return floor


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_interleaved(variants: dict, count: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for i in range(count):
        order = names[i % len(names) :] + names[: i % len(names)]  # rotate who goes first
        for name in order:
            start = time.perf_counter()
            variants[name](i)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def celery_throughput(count: int, workers: int) -> float:
    from django.db import connection

    from config.celery_app import app
    from shared_apps.tenants.models import Tenant
    from shared_apps.tenants.services import tenant_onboard

    app.control.purge()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", "operator",
         "-c", str(workers), "-P", "prefork", "--without-mingle", "--without-gossip",
         "--loglevel", "WARNING", "-n", f"bench-{os.getpid()}@localhost"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5) and time.monotonic() < deadline:
            pass
        start = time.perf_counter()
        for i in range(count):
            tenant_onboard(slug=f"cel{i}", name=f"Cel {i}", owner_email=f"o@cel{i}.test")
        while Tenant.objects.filter(slug__startswith="cel", status="active").count() < count:
            if time.perf_counter() - start > 600:
                raise TimeoutError("Celery onboarding did not finish in 10 minutes")
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        connection.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--celery", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    recreate_database()
    sql = setup()
    variants = {
        "ours (template replay)": ours,
        "django-tenants auto_create_schema": migrations,
        "django-tenants clone (TENANT_BASE_SCHEMA)": clone,
        "SQL floor (pg_dump --schema-only replay)": make_floor(sql),
    }
    timings = run_interleaved(variants, args.tenants)
    floor_p50 = statistics.median(timings["SQL floor (pg_dump --schema-only replay)"])
    print(f"\n{args.tenants} tenants each, interleaved, database {DB}\n")
    print(f"| {'variant':<44} | p50 ms | p90 ms | p50 / floor |")
    print(f"|{'-' * 46}|--------|--------|-------------|")
    for name, values in timings.items():
        p50, p90 = statistics.median(values), percentile(values, 90)
        print(f"| {name:<44} | {p50:6.1f} | {p90:6.1f} | {p50 / floor_p50:10.2f}x |")
    if args.celery:
        rate = celery_throughput(args.celery, args.workers)
        print(
            f"\nCelery: {args.celery} tenants onboarded through the API service with "
            f"{args.workers} worker processes: {rate:.1f} tenants/s"
        )


if __name__ == "__main__":
    main()
