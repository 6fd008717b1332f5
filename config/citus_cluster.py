"""A local Citus cluster for the `citus` tests and `bench/citus`: build, start, stop.

    python -m config.citus_cluster start DIR [--workers 2]   # prints the database URL
    python -m config.citus_cluster stop DIR

It drives the machine's `shared/citus/install.sh` (build Citus into PostgreSQL 15, once) and
`cluster.sh` (a coordinator and N workers on 127.0.0.1), picks free ports in
`CITUS_PORT_RANGE` (default 9750-9799), turns on logical decoding so shards move online, and
creates one database on every node with the extension and the workers registered.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_CONFIG = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
DATABASE = "devcontext"


class ClusterError(RuntimeError):
    """The cluster cannot be built or started; the message says why."""


def scripts_dir() -> Path | None:
    """Return the directory holding install.sh and cluster.sh (CITUS_SCRIPTS or shared/citus)."""
    candidates = [os.environ.get("CITUS_SCRIPTS", "")]
    candidates += [str(parent / "shared" / "citus") for parent in BASE_DIR.parents]
    for candidate in candidates:
        if candidate and (Path(candidate) / "cluster.sh").is_file():
            return Path(candidate)
    return None


def citus_installed() -> bool:
    """Return whether citus.so is in the PostgreSQL 15 library directory."""
    try:
        libdir = subprocess.run(
            [PG_CONFIG, "--pkglibdir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    return (Path(libdir) / "citus.so").is_file()


def unavailable_reason() -> str | None:
    """Say why a cluster cannot be started here, or None when it can (building if needed)."""
    scripts = scripts_dir()
    if scripts is None:
        return "Citus scripts not found (set CITUS_SCRIPTS to the directory of cluster.sh)"
    if not Path(PG_CONFIG).exists():
        return f"PostgreSQL 15 is not installed ({PG_CONFIG} is missing)"
    if not citus_installed() and os.geteuid() != 0:
        return "Citus is not installed and building it needs root (run install.sh as root)"
    return None


def citus_install() -> None:
    """Build Citus once (install.sh returns at once when it is installed)."""
    if citus_installed():
        return
    scripts = scripts_dir()
    if scripts is None:
        raise ClusterError("Citus scripts not found; set CITUS_SCRIPTS.")
    result = subprocess.run(
        [str(scripts / "install.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise ClusterError(f"install.sh failed:\n{result.stdout}\n{result.stderr}")


def port_range() -> range:
    low, high = os.environ.get("CITUS_PORT_RANGE", "9750-9799").split("-")
    return range(int(low), int(high) + 1)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """Return the first port of `count` consecutive free ports (cluster.sh wants a block)."""
    ports = list(port_range())
    for index in range(len(ports) - count + 1):
        block = ports[index : index + count]
        if block[-1] - block[0] == count - 1 and all(port_free(p) for p in block):
            return block[0]
    raise ClusterError(f"No {count} consecutive free ports in CITUS_PORT_RANGE {ports[0]}-…")


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its data directory, coordinator port and worker ports."""

    directory: Path
    port: int
    workers: int
    database: str = DATABASE

    @property
    def worker_ports(self) -> list[int]:
        return [self.port + n for n in range(1, self.workers + 1)]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def node_url(self, port: int, database: str | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database or self.database}"

    def psql(self, port: int, *statements: str, database: str | None = None) -> str:
        argv = ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qAt"]
        argv += ["-v", "ON_ERROR_STOP=1", "-d", database or self.database]
        for statement in statements:
            argv += ["-c", statement]
        env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if result.returncode:
            raise ClusterError(f"psql on port {port} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def stop(self) -> None:
        cluster_sh("stop", str(self.directory))


def cluster_sh(*args: str) -> str:
    scripts = scripts_dir()
    if scripts is None:
        raise ClusterError("Citus scripts not found; set CITUS_SCRIPTS.")
    result = subprocess.run(
        [str(scripts / "cluster.sh"), *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise ClusterError(f"cluster.sh {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def cluster_start(directory: Path, *, workers: int = 2, database: str = DATABASE) -> Cluster:
    """Build Citus if needed, start a coordinator and `workers` workers, create `database`."""
    citus_install()
    port = free_ports(workers + 1)
    cluster = Cluster(Path(directory), port, workers, database)
    cluster_sh("start", str(directory), str(port), str(workers))
    ports = [port, *cluster.worker_ports]
    # Online moves copy a schema with logical replication, which needs wal_level=logical; the
    # setting takes effect at the next start.
    if any(cluster.psql(p, "SHOW wal_level", database="postgres") != "logical" for p in ports):
        for p in ports:
            cluster.psql(p, "ALTER SYSTEM SET wal_level = logical", database="postgres")
        cluster.stop()
        cluster_sh("start", str(directory), str(port), str(workers))
    database_create(cluster)
    return cluster


def database_create(cluster: Cluster) -> None:
    """Create the database on every node with the extension, then register the workers."""
    name = cluster.database
    for port in [cluster.port, *cluster.worker_ports]:
        exists = cluster.psql(
            port, f"SELECT 1 FROM pg_database WHERE datname = '{name}'", database="postgres"
        )
        if not exists:
            # Citus does not propagate CREATE DATABASE: every node gets its own.
            cluster.psql(port, f'CREATE DATABASE "{name}"', database="postgres")
        cluster.psql(port, "CREATE EXTENSION IF NOT EXISTS citus")
    statements = [f"SELECT citus_set_coordinator_host('127.0.0.1', {cluster.port})"]
    statements += [
        f"SELECT citus_add_node('127.0.0.1', {p}) WHERE NOT EXISTS"
        f" (SELECT 1 FROM pg_dist_node WHERE nodeport = {p})"
        for p in cluster.worker_ports
    ]
    cluster.psql(cluster.port, *statements)


def database_drop(cluster: Cluster, name: str) -> None:
    """Drop `name` on every node (workers first: the coordinator holds connections to them)."""
    for port in [*cluster.worker_ports, cluster.port]:
        cluster.psql(port, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


def wait_ready(cluster: Cluster, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            cluster.psql(cluster.port, "SELECT 1")
            return
        except ClusterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.citus_cluster")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    try:
        if args.action == "stop":
            cluster_sh("stop", str(args.directory))
            return 0
        cluster = cluster_start(args.directory, workers=args.workers, database=args.database)
    except ClusterError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(f"{cluster.url}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
