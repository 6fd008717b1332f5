"""The README, followed as a new user: `make run`'s stack, a second shell, the operator's path.

The stack starts the way `make run` starts it (`python -m config.devstack run`: migrations, demo
tenants, the application role, both Celery workers and the web process serving as that role),
on a free port, with its own database on the configured server (reused between runs, like
`.devdata/`) and its own embedded Redis. Every step is a command or request from the README.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import psycopg
import pytest

from config.devstack import BASE_DIR, free_port

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "devcontext-demo"  # noqa: S105 - the README's demo password
TOKEN_LINE = "OPERATOR_TOKEN="


class Stack:
    """The running `config.devstack run` process, its output, and HTTP on its port."""

    def __init__(self, env: dict[str, str], devdata, port: int):
        self.port, self.devdata, self.lines = port, devdata, []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "config.devstack", "run", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, marker: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if marker in line:
                    return line
            assert self.process.poll() is None, f"the stack exited:\n{self.output()}"
            time.sleep(0.2)
        raise AssertionError(f"no {marker!r} in time:\n{self.output()}")

    def request(self, method: str, path: str, host: str, token=None, body=None):
        headers = {"Host": f"{host}:{self.port}", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C in the terminal
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def e2e_database_url() -> str:
    """The configured server, a database of its own (named after the suite's, so unique)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("needs DATABASE_URL (a PostgreSQL server the suite may create databases on)")
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "devcontext"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}_e2e"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    devdata = tmp_path_factory.mktemp("devdata")
    database_url = e2e_database_url()
    role = urllib.parse.urlsplit(database_url).path.lstrip("/")[:55] + "_app"
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DB_ROLE", "SECRET_KEY"}
    }
    env.update(
        DATABASE_URL=database_url,  # no REDIS_URL: an embedded Redis, as on a fresh machine
        DEVDATA_DIR=str(devdata),
        APP_DB_ROLE=role,  # roles are cluster-wide: one of its own
        APP_DB_PASSWORD="e2e-" + uuid.uuid4().hex,
        BACKUP_DIR=str(devdata / "backups"),
        TENANT_BASE_DOMAIN="localhost",
    )
    running = Stack(env, devdata, free_port())
    yield running, database_url
    running.stop()


def second_shell(devdata, *args: str) -> subprocess.CompletedProcess:
    """Run `.venv/bin/python manage.py …` from a new shell: nothing set but where .devdata is."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "DJANGO_", "REDIS_", "APP_DB_", "CELERY_"))
        and name not in {"DEBUG", "SECRET_KEY", "TENANT_BASE_DOMAIN", "BACKUP_DIR"}
    }
    env["DEVDATA_DIR"] = str(devdata)  # the README's shell finds it at ./.devdata
    env["BACKUP_DIR"] = str(devdata / "backups")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def wait_for(check, timeout: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def test_the_readme_as_a_new_user(stack):
    running, database_url = stack
    # `make run` prints an operator token beside its URLs.
    line = running.wait_for_line(TOKEN_LINE)
    printed_token = line.split(TOKEN_LINE, 1)[1].strip()
    assert printed_token.startswith("dc_"), line
    running.wait_for_line("Ctrl-C stops everything")
    assert (running.devdata / "run.env").exists()

    # A second shell: manage.py reaches the same database as the owner, no variables set.
    made = second_shell(running.devdata, "create_api_token", "--operator", "admin@localhost")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    checked = second_shell(running.devdata, "rls_check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "is subject to it" in checked.stdout  # the web process's role is no superuser

    for key in (printed_token, token):
        status, body = running.request("GET", "/api/tenants/", "localhost", key)
        assert status == 200, body
        assert {"acme", "globex"} <= {tenant["slug"] for tenant in body["results"]}

    # Onboarding through the API, to active, with the demo owner as the new tenant's owner.
    slug = f"e2e{uuid.uuid4().hex[:8]}"
    body = {"slug": slug, "name": "Initech", "owner_email": "owner@acme.test", "plan": "team"}
    status, answer = running.request("POST", "/api/tenants/", "localhost", token, body)
    assert status == 202, answer
    assert answer["status"] == "provisioning"

    # Its host answers 503 until the operator worker has provisioned it, then it is active.
    def status_of_tenant():
        return running.request("GET", f"/api/tenants/{slug}/", "localhost", token)[1]["status"]

    assert wait_for(lambda: status_of_tenant() == "active"), status_of_tenant()
    try:
        tenant_journey(running, database_url, token, slug)
    finally:
        deleted = second_shell(running.devdata, "delete_tenant", "--slug", slug, "--noinput")
        assert deleted.returncode == 0, deleted.stdout + deleted.stderr

    assert running.stop() == 0, running.output()
    assert not (running.devdata / "run.env").exists(), "run.env outlived make run"


def tenant_journey(running: Stack, database_url: str, token: str, slug: str) -> None:
    host = f"{slug}.localhost"
    # The owner's token on the new host, then a project and a task through the API.
    credentials = {"email": "owner@acme.test", "password": DEMO_PASSWORD}
    status, issued = running.request("POST", "/api/auth/token/", host, body=credentials)
    assert status == 201, issued
    owner_key = issued["key"]
    status, me = running.request("GET", "/api/me/", host, owner_key)
    assert (status, me["role"], me["tenant"]["slug"]) == (200, "owner", slug)
    status, project = running.request(
        "POST", "/api/projects/", host, owner_key, {"name": "Launch", "key": "LAUNCH"}
    )
    assert status == 201, project
    status, task = running.request(
        "POST", "/api/tasks/", host, owner_key, {"project": project["id"], "title": "Try the API"}
    )
    assert status == 201, task
    status, tasks = running.request("GET", "/api/tasks/?page_size=5", host, owner_key)
    assert status == 200 and [row["title"] for row in tasks["results"]] == ["Try the API"]

    # A fleet run in which this tenant fails: every tenant back to tracker 0003, this one's
    # data made incompatible with 0004's check constraint, then the README's migrate_schemas.
    back = second_shell(running.devdata, "migrate_schemas", "tracker", "0003")
    assert back.returncode == 0, back.stdout + back.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'UPDATE "t_{slug}".tracker_task SET priority = 9')
    forward = second_shell(running.devdata, "migrate_schemas")
    assert forward.returncode != 0
    assert f"t_{slug}" in forward.stdout + forward.stderr
    assert "--resume" in forward.stdout + forward.stderr

    status, runs = running.request("GET", "/api/migrations/runs/", "localhost", token)
    assert status == 200, runs
    last = runs["results"][0]
    assert last["status"] == "failed" and last["failed_count"] == 1
    status, detail = running.request(
        "GET", f"/api/migrations/runs/{last['id']}/", "localhost", token
    )
    assert status == 200, detail
    assert [row["schema_name"] for row in detail["failed"]] == [f"t_{slug}"]
    assert "task_priority_range" in detail["failed"][0]["error"]
    status, fleet = running.request("GET", "/api/migrations/status/", "localhost", token)
    assert status == 200, fleet
    assert [row["schema"] for row in fleet["failed_in_last_run"]] == [f"t_{slug}"]
