"""A real 3-node Citus cluster (coordinator + 2 workers) and the product running against it.

The `citus` tests drive real processes, as production runs them: `manage.py` commands as the
owner, a gunicorn web server and a Celery worker as the application role, all with
`DATABASE_URL` at the coordinator. Assertions read the cluster with plain psycopg.

They run with `make test-citus` (CITUS_TESTS=1), which builds Citus when it is missing; `make
test` skips them, so the main suite stays fast on machines with or without Citus.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from config import citus_cluster

BASE_DIR = Path(__file__).resolve().parents[2]
APP_ROLE, APP_PASSWORD = "devcontext_app", "citus-test-password"
# Our processes share the machine's Redis with other suites: prefix every key of ours.
BROKER_OPTIONS = '{"global_keyprefix": "dc-citus-%s:"}'


@dataclass
class Product:
    """The product against one cluster: run commands, serve HTTP, read the database."""

    cluster: citus_cluster.Cluster
    env: dict[str, str]
    base_url: str = ""
    children: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check and result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code).stdout.strip()

    def sql(self, query: str, params=(), *, port: int | None = None, **auth) -> list[tuple]:
        conninfo = {"host": "127.0.0.1", "port": port or self.cluster.port, "user": "postgres"}
        with psycopg.connect(dbname=self.cluster.database, **{**conninfo, **auth}) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def serving_env(self) -> dict[str, str]:
        url = f"postgres://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:{self.cluster.port}/"
        return {**self.env, "DATABASE_URL": url + self.cluster.database, "DJANGO_DB_ROLE": "app"}

    def start(self, argv: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
        child = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.children.append(child)
        return child

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, 15)
        for child in self.children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)


def wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def citus_cluster_dir():
    if not os.environ.get("CITUS_TESTS"):
        pytest.skip("Citus cluster tests run with `make test-citus` (CITUS_TESTS=1)")
    reason = citus_cluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    # The nodes run as the postgres user, which must reach the data directory.
    directory = Path(tempfile.mkdtemp(prefix="dc-citus-"))
    directory.chmod(0o755)
    yield directory
    # The nodes' data goes; the processes' logs stay for a failed run to be read.
    shutil.rmtree(directory / "nodes", ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(citus_cluster_dir):
    """Build Citus if needed and start a coordinator and two workers on free ports."""
    running = citus_cluster.cluster_start(citus_cluster_dir / "nodes", workers=2)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def product(cluster, citus_cluster_dir):
    """Migrate the public schema, create the application role, start web and Celery worker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": cluster.url,
        "DATABASE_OWNER_URL": cluster.url,
        "DJANGO_DB_ROLE": "owner",
        "APP_DB_ROLE": APP_ROLE,
        "APP_DB_PASSWORD": APP_PASSWORD,
        "BACKUP_DIR": str(citus_cluster_dir / "backups"),
        "CELERY_BROKER_TRANSPORT_OPTIONS": BROKER_OPTIONS % cluster.port,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CITUS_TESTS", None)
    running = Product(cluster, env)
    running.manage("migrate_schemas", "--shared", "--noinput")
    running.manage("setup_db_roles")
    port = citus_cluster.free_ports(1)
    serving = running.serving_env()
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}"]
    gunicorn += ["-w", "2", "--threads", "4", "--timeout", "120"]
    gunicorn += ["--no-control-socket"]  # its default path is shared by every gunicorn
    running.start(gunicorn, env=serving, log=citus_cluster_dir / "web.log")
    # Onboarding and fleet chunks need DDL: the `operator` worker runs as the owner; tenant
    # tasks (`celery` queue) run as the application role, as in production.
    queues = {"operator": env, "celery": serving}
    for queue, queue_env in queues.items():
        running.start(celery_worker(queue), env=queue_env, log=citus_cluster_dir / f"{queue}.log")
    running.base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http(running, "GET", "/healthz", host="localhost")[0] == 200,
                 timeout=60, what="gunicorn")  # fmt: skip
        for queue in queues:
            log = citus_cluster_dir / f"{queue}.log"
            wait_for(lambda log=log: "ready." in log.read_text(), timeout=60, what=queue)
        yield running
    finally:
        running.stop()


def celery_worker(queue: str) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", queue]
    return argv + ["-n", f"{queue}@%h", "-c", "2", "--without-mingle", "--without-gossip",
                   "--loglevel", "INFO"]  # fmt: skip


def http(product: Product, method: str, path: str, *, host: str, token: str = "", body=None):
    """Send one request with a Host header; return (status, JSON or text)."""
    import json
    import urllib.error
    import urllib.request

    headers = {"Host": host, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback only
        product.base_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError:
        return 0, ""
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


TOKEN_CODE = """
from shared_apps.accounts.models import User
from shared_apps.accounts.services import api_token_create
from shared_apps.tenants.models import Tenant
slug = {slug!r}
tenant = Tenant.objects.get(slug=slug) if slug else None
email = f"owner@{{slug}}.test" if slug else "operator@citus.test"
user, _ = User.objects.get_or_create(email=email, defaults={{"is_staff": not slug}})
print(api_token_create(user=user, tenant=tenant, name="citus test")[1])
"""


def token_for(product: Product, slug: str | None) -> str:
    """Return an API key of the tenant's owner, or an operator key when `slug` is None."""
    # `shell` may print a banner first; the key is the last line.
    return product.shell(TOKEN_CODE.format(slug=slug or "")).splitlines()[-1]
