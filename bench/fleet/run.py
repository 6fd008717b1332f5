"""Time one tenant migration across N schemas: django-tenants, ours, and the SQL floor."""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

BASE_DIR = Path(__file__).resolve().parents[2]
# The scratch database (dropped and re-created): give each concurrent bench its own.
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "devcontext_bench_fleet")
TEMPLATE_SLUG = "bench-template"
MIGRATION = ("tracker", "0003_task_closed_at")

# The SQL floor: what tracker.0003 does, rendered once, without any framework around it.
FLOOR_SQL = [
    'ALTER TABLE "tracker_task" ADD COLUMN "closed_at" timestamp with time zone NULL',
    'CREATE INDEX "task_closed_at_idx" ON "tracker_task" ("closed_at")',
    "UPDATE tracker_task SET closed_at = updated_at WHERE closed_at IS NULL AND status_id IN"
    " (SELECT id FROM tracker_taskstatus WHERE is_completed)",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('tracker', '0003_task_closed_at',"
    " now())",
]


def server_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")


def database_url() -> str:
    return server_url().rstrip("/") + "/" + DB_NAME


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DB_ROLE": "owner",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
    }


def manage(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env(),
        check=check,
        capture_output=True,
        text=True,
    )


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def setup(tenants: int, rows: int) -> None:
    """Build the scratch database with `tenants` schemas at tracker 0002 and ~rows tasks each."""
    with psycopg.connect(server_url() + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    manage("migrate_schemas", "--shared")
    manage("create_tenant", "--slug", TEMPLATE_SLUG, "--name", "Template")
    manage("migrate_schemas", "tracker", "0002", "--executor", "standard")
    with psycopg.connect(database_url(), autocommit=True) as conn:
        seed_template(conn, rows)
        clone_tenants(conn, tenants)
    log(f"{tenants} tenants ready")


def seed_template(conn: psycopg.Connection, rows: int) -> None:
    conn.execute('SET search_path TO "t_bench_template"')
    conn.execute(
        "INSERT INTO projects_project (id, name, key, description, status, tags, created_at,"
        " updated_at) VALUES (gen_random_uuid(), 'Bench', 'BENCH', '', 'active', '[]', now(),"
        " now())"
    )
    conn.execute(
        "INSERT INTO tracker_task (id, project_id, status_id, title, description, priority,"
        " created_at, updated_at) SELECT gen_random_uuid(), p.id, s.id, 'task ' || g, '', 2,"
        " now(), now() FROM projects_project p, generate_series(1, %s) g,"
        " LATERAL (SELECT id FROM tracker_taskstatus ORDER BY (g %% 3 = 0) <> is_completed,"
        " sort_order LIMIT 1) s",
        [rows],
    )


def clone_tenants(conn: psycopg.Connection, count: int) -> None:
    """Copy the template schema (DDL via pg_dump, rows via INSERT … SELECT) `count` times."""
    from shared_apps.tenants.pgtools import find_pg_tool

    ddl = subprocess.run(
        [
            find_pg_tool("pg_dump"),
            "--schema-only",
            "--no-owner",
            "--schema",
            "t_bench_template",
            database_url().replace("postgres://", "postgresql://"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # psql meta-commands (pg_dump 17.6+ brackets its output with \restrict) are not SQL,
    # and a newer pg_dump may SET parameters an older server does not know.
    ddl = "\n".join(
        line
        for line in ddl.splitlines()
        if not line.startswith("\\") and not line.startswith("SET transaction_timeout")
    )
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 't_bench_template'"
        )
    ]
    tenant_id, domain = "gen_random_uuid()", "bench-{n}.localhost"
    for n in range(count):
        schema = f"t_bench_{n:05d}"
        with conn.transaction():
            conn.execute(
                ddl.replace("t_bench_template", schema).replace(
                    "SELECT pg_catalog.set_config('search_path', '', false);", ""
                )
            )
            for table in tables:
                conn.execute(
                    f'INSERT INTO "{schema}".{table} SELECT * FROM "t_bench_template".{table}'
                )
            # Copied ids leave the identity sequence behind; move it past them.
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{schema}\".django_migrations',"
                f" 'id'), (SELECT max(id) FROM \"{schema}\".django_migrations))"
            )
            conn.execute(
                "WITH t AS (INSERT INTO public.tenants_tenant (id, schema_name, slug, name, plan,"
                f" status, status_reason, created_at, updated_at, settings, node) VALUES"
                f" ({tenant_id}, %s, %s, %s, 'free', 'active', '', now(), now(), '{{}}', '')"
                " RETURNING id)"
                " INSERT INTO public.tenants_domain (id, domain, tenant_id, is_primary)"
                " SELECT gen_random_uuid(), %s, id, true FROM t",
                [schema, f"bench-{n:05d}", f"Bench {n}", domain.format(n=f"{n:05d}")],
            )
    conn.execute("SET search_path TO public")  # the replayed dump emptied it
    conn.execute("TRUNCATE migrator_tenantmigration, migrator_migrationrun")  # setup's runs
    conn.execute("TRUNCATE audit_auditevent")  # the template's "provisioned" row
    # The template's schema stays as the clone source, but it is not part of the fleet.
    conn.execute(
        "DELETE FROM tenants_domain WHERE tenant_id IN"
        " (SELECT id FROM tenants_tenant WHERE slug = %s)",
        [TEMPLATE_SLUG],
    )
    conn.execute(
        "DELETE FROM accounts_membership WHERE tenant_id IN"
        " (SELECT id FROM tenants_tenant WHERE slug = %s)",
        [TEMPLATE_SLUG],
    )
    conn.execute("DELETE FROM tenants_tenant WHERE slug = %s", [TEMPLATE_SLUG])


def count_at_target(conn: psycopg.Connection) -> int:
    schemas = [
        row[0]
        for row in conn.execute("SELECT schema_name FROM tenants_tenant WHERE status = 'active'")
    ]
    union = " UNION ALL ".join(
        f"SELECT 1 FROM \"{s}\".django_migrations WHERE app = 'tracker' AND name = '{MIGRATION[1]}'"
        for s in schemas
    )
    return len(conn.execute(union).fetchall()) if schemas else 0


def rollback() -> None:
    manage("migrate_schemas", "tracker", "0002", "--executor", "parallel", "--workers", "2")


def timed(command: list[str], extra_pids=(), stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """Run `command`; return (seconds, peak RSS in MiB of its largest process)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    root = psutil.Process(process.pid)
    while process.poll() is None:
        peak = max(peak, largest_rss(root, extra_pids))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{command} failed: {process.stderr.read()[-2000:]}")
    return seconds, peak / 2**20


def largest_rss(root: psutil.Process, extra_pids) -> int:
    """Return the largest resident set among the process tree (forked workers share pages,
    so a sum would count the same memory several times)."""
    largest = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for pid in extra_pids:
        try:
            extra = psutil.Process(pid)
            processes += [extra, *extra.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for process in processes:
        try:
            largest = max(largest, process.memory_info().rss)
        except psutil.NoSuchProcess:
            pass
    return largest


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


TOOLS = {
    "dt-standard": lambda: python("-m", "bench.fleet.django_tenants_migrate", "standard"),
    "dt-multiprocessing": lambda: python(
        "-m", "bench.fleet.django_tenants_migrate", "multiprocessing"
    ),
    "ours-parallel": lambda: python(
        "manage.py",
        "migrate_schemas",
        *MIGRATION[:1],
        "0003",
        "--executor",
        "parallel",
        "--workers",
        "2",
    ),
    "ours-celery": lambda: python(
        "manage.py",
        "migrate_schemas",
        *MIGRATION[:1],
        "0003",
        "--executor",
        "celery",
        "--workers",
        "2",
    ),
    "sql-floor": lambda: python("-m", "bench.fleet.sql_floor"),
}


def start_celery_workers() -> subprocess.Popen:
    worker = subprocess.Popen(
        python(
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            "operator",
            "-c",
            "2",
            "--without-mingle",
            "--without-gossip",
            "-n",
            "bench@localhost",
            "--loglevel",
            "WARNING",
        ),
        cwd=BASE_DIR,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(4)
    return worker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tools", default=",".join(TOOLS))
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))
    os.environ.update({k: v for k, v in env().items() if k not in os.environ})
    import django

    django.setup()
    setup(args.tenants, args.rows)
    tools = args.tools.split(",")
    worker = start_celery_workers() if "ours-celery" in tools else None
    results: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
    try:
        with psycopg.connect(database_url(), autocommit=True) as conn:
            for round_number in range(args.rounds):
                order = tools[round_number % len(tools) :] + tools[: round_number % len(tools)]
                for tool in order:
                    rollback()
                    assert count_at_target(conn) == 0
                    extra = [worker.pid] if (tool == "ours-celery" and worker) else []
                    seconds, rss = timed(TOOLS[tool](), extra)
                    migrated = count_at_target(conn)
                    assert migrated == args.tenants, f"{tool}: {migrated}/{args.tenants}"
                    results[tool].append((seconds, rss))
                    log(f"round {round_number + 1}: {tool} {seconds:.2f}s, {rss:.0f} MiB")
            with open("/tmp/bench-noop.json", "w") as out:
                noop_seconds, noop_rss = timed(
                    python("manage.py", "migrate_schemas", "tracker", "0003", "--tenant", "--json"),
                    stdout=out,
                )
            noop_engine = json.loads(Path("/tmp/bench-noop.json").read_text())["seconds"]
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=20)
    report(results, args.tenants, noop_seconds, noop_rss, noop_engine)


def report(results, tenants: int, noop_seconds: float, noop_rss: float, noop_engine) -> None:
    floor = min(s for s, _ in results.get("sql-floor", [(float("nan"), 0)]))
    print(f"\nMigrating {tenants} tenants: tracker.0003 (AddField + AddIndex + RunPython backfill)")
    print(f"{'tool':<20} {'seconds':>9} {'tenants/s':>10} {'x floor':>8} {'peak RSS':>10}")
    for tool, runs in results.items():
        best = min(runs)
        seconds, rss = best[0], max(r for _, r in runs)
        print(
            f"{tool:<20} {seconds:>9.2f} {tenants / seconds:>10.1f} {seconds / floor:>8.2f}"
            f" {rss:>8.0f} MB"
        )
    print(
        f"{'no-op (all current)':<20} {noop_seconds:>9.2f} {'':>10} {'':>8} {noop_rss:>8.0f} MB"
        f"   (engine {noop_engine:.3f} s of it; the rest is Python + Django start-up)"
    )


if __name__ == "__main__":
    main()
