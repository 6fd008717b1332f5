"""`make run`'s stack starts from nothing with the embedded PostgreSQL, serves, and stops."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from config.devstack import BASE_DIR, free_port


def get(url: str, host: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the stack exited before it was ready"
        try:
            if get(url, "localhost")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("the stack did not become ready in time")


@pytest.mark.slow
def test_run_with_embedded_postgres_serves_tenants_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DEVDATA_DIR"] = str(tmp_path / "devdata")
    process = subprocess.Popen(
        [sys.executable, "-m", "config.devstack", "run", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        status, body = get(f"http://127.0.0.1:{port}/admin/login/", "acme.localhost")
        assert status == 200 and b"Acme Inc." in body
        status, body = get(f"http://127.0.0.1:{port}/admin/", "nobody.localhost")
        assert status == 404 and b"No organisation" in body
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "stopping embedded PostgreSQL" in output
    assert "http://acme.localhost:" in output
    postgres_left = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "devdata")], capture_output=True, text=True
    )
    assert postgres_left.stdout.strip() == "", "embedded PostgreSQL still running"


@pytest.mark.parametrize("writer_alive", [True, False], ids=["running", "killed"])
def test_manage_py_uses_the_run_env_of_a_running_stack_only(tmp_path, monkeypatch, writer_alive):
    import manage

    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        if not writer_alive:
            alive.kill()
            alive.wait()
        (tmp_path / "run.env").write_text(
            f"DEVSTACK_PID={alive.pid}\nREDIS_URL=redis://127.0.0.1:1/0\nDEBUG=1\n"
        )
        monkeypatch.setenv("DEVDATA_DIR", str(tmp_path))
        monkeypatch.setenv("DEBUG", "0")  # what the shell sets always wins
        monkeypatch.delenv("REDIS_URL", raising=False)
        manage.read_run_env()
        assert os.environ.get("REDIS_URL") == ("redis://127.0.0.1:1/0" if writer_alive else None)
        assert os.environ["DEBUG"] == "0"
    finally:
        alive.kill()
        alive.wait()


def test_the_embedded_redis_keeps_its_port_while_it_is_free(tmp_path):
    import socket

    from config.devstack import stable_port

    recorded = tmp_path / "port"
    first = stable_port(recorded)
    assert stable_port(recorded) == first
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first))
        second = stable_port(recorded)
    assert second != first and recorded.read_text() == str(second)
