"""A real Celery worker process for tests about Celery, pointed at the test database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings

from config.celery_app import app

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url_for_tests() -> str:
    """Return a URL for the database pytest-django created (NAME is already test_…)."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = db.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{auth}@/{db['NAME']}?host={host}&port={db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    """Start, ping, kill and stop one `celery worker` child process."""

    def __init__(
        self,
        *,
        queues: str = "celery,operator",
        concurrency: int = 2,
        pool: str = "prefork",
        extra_env: dict[str, str] | None = None,
    ):
        self.node = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.queues, self.concurrency, self.pool = queues, concurrency, pool
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = Path(f"/tmp/celery-{self.node.split('@')[0]}.log")

    def env(self) -> dict[str, str]:
        url = database_url_for_tests()
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": url,
            "DATABASE_OWNER_URL": url,
            "DJANGO_DB_ROLE": "owner",
            "REDIS_URL": settings.CELERY_BROKER_URL,
            # New tenant schemas are granted to the role that serves them (tests' `app_role`).
            "APP_DB_ROLE": settings.APP_DB_ROLE,
            "APP_DB_PASSWORD": settings.APP_DB_PASSWORD,
            **self.extra_env,
        }

    def start(self, timeout: float = 60) -> "WorkerProcess":
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "-n",
                self.node,
                "-Q",
                self.queues,
                "-c",
                str(self.concurrency),
                "-P",
                self.pool,
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            if app.control.ping(destination=[self.node], timeout=0.5):
                return self
        self.stop()
        raise RuntimeError(f"worker did not answer pings:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children, as a crashed node would die."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
