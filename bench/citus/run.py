"""Fleet migration on one PostgreSQL server against a 3-node Citus cluster, and one tenant move.

    .venv/bin/python -m bench.citus.run [--tenants 200] [--tasks 10000] [--workers 2]

Both sides get the same fleet (`--tenants` tenants made by `create_tenant`'s service, rolled
back to tracker 0002), then `migrate_schemas --tenant` brings them forward (tracker 0003 adds a
column, an index and a backfill; 0004 and 0005 follow) and is timed, and so is the next run,
which finds every tenant current (the usual deploy). On the cluster, one tenant
with `--tasks` tasks is then moved to the other worker with `move_tenant` (timed). The cluster is
started with `config.citus_cluster` (building Citus if needed) in a scratch directory and stopped
at the end; the single server is BENCH_DATABASE_URL (default the local PostgreSQL).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from config import citus_cluster

BASE_DIR = Path(__file__).resolve().parents[2]
DB_NAME = "devcontext_bench_citus"

CREATE_TENANTS = """
from shared_apps.tenants.services import tenant_create
for n in range({count}):
    tenant_create(slug=f"bench-{{n:04d}}", name=f"Bench {{n}}")
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DB_ROLE": "owner",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }


def manage(url: str, *args: str) -> float:
    """Run a manage.py command against `url`; return its wall time in seconds."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env(url),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def fleet(url: str, tenants: int, workers: int) -> tuple[float, float]:
    """Make the fleet, roll it back to tracker 0002, time migrating it forward, then a no-op."""
    manage(url, "migrate_schemas", "--shared", "--noinput")
    log(f"creating {tenants} tenants on {url}")
    manage(url, "shell", "-c", CREATE_TENANTS.format(count=tenants))
    manage(url, "migrate_schemas", "tracker", "0002", "--tenant", "--workers", str(workers))
    log("timing migrate_schemas --tenant")
    forward = manage(url, "migrate_schemas", "--tenant", "--workers", str(workers))
    return forward, manage(url, "migrate_schemas", "--tenant", "--workers", str(workers))


def single_server(tenants: int, workers: int) -> tuple[float, float]:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        return fleet(server.rstrip("/") + "/" + DB_NAME, tenants, workers)
    finally:
        with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def move_one(cluster: citus_cluster.Cluster, tasks: int) -> tuple[float, str, str]:
    """Give bench-0000 `tasks` tasks, then time moving it to the other worker."""
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO t_bench_0000.projects_project (id, name, key, description, status, tags,"
            " created_at, updated_at) VALUES (gen_random_uuid(), 'Bench', 'BENCH', '', 'active',"
            " '[]', now(), now())"
        )
        conn.execute(
            "INSERT INTO t_bench_0000.tracker_task (id, project_id, status_id, title, description,"
            " priority, created_at, updated_at) SELECT gen_random_uuid(), p.id, s.id,"
            " 'task ' || g, '', 2, now(), now() FROM t_bench_0000.projects_project p,"
            " generate_series(1, %s) g, LATERAL (SELECT id FROM t_bench_0000.tracker_taskstatus"
            " LIMIT 1) s",
            [tasks],
        )
        node = conn.execute("SELECT node FROM tenants_tenant WHERE slug = 'bench-0000'").fetchone()[
            0
        ]
    workers = [f"127.0.0.1:{port}" for port in cluster.worker_ports]
    target = next(worker for worker in workers if worker != node)
    log(f"moving bench-0000 ({tasks} tasks) from {node} to {target}")
    return (
        manage(cluster.url, "move_tenant", "--slug", "bench-0000", "--to-node", target),
        node,
        target,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    one = single_server(args.tenants, args.workers)
    directory = Path(tempfile.mkdtemp(prefix="dc-bench-citus-"))
    directory.chmod(0o755)
    log("starting a Citus cluster (coordinator + 2 workers)")
    cluster = citus_cluster.cluster_start(directory / "nodes", workers=2)
    try:
        distributed = fleet(cluster.url, args.tenants, args.workers)
        moved, source, target = move_one(cluster, args.tasks)
        with psycopg.connect(cluster.url) as conn:
            spread = conn.execute(
                "SELECT node, count(*) FROM tenants_tenant GROUP BY node ORDER BY node"
            ).fetchall()
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print(f"fleet migrate of {args.tenants} tenants (--workers {args.workers})")
    print(f"  {'':<34}{'tracker 0003-0005':>18}{'no-op (all current)':>21}")
    print(f"  {'one PostgreSQL server':<34}{one[0]:16.1f} s{one[1]:19.1f} s")
    print(
        f"  {'Citus: coordinator + 2 workers':<34}{distributed[0]:16.1f} s{distributed[1]:19.1f} s"
    )
    print("  tenants per worker: " + ", ".join(f"{node}: {n}" for node, n in spread))
    print(f"move one tenant with {args.tasks} tasks ({source} -> {target})")
    print(f"  {'move_tenant (citus_schema_move)':<34}{moved:8.1f} s")


if __name__ == "__main__":
    main()
