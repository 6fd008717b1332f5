"""migrate_schemas: django-tenants' command, with a fleet engine that plans once per group."""

import json
import signal
import sys
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.checks import Tags
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.migrator.engine.executors import EXECUTORS, NoWorkerError
from shared_apps.migrator.engine.fleet import FleetInterrupted, FleetRequest, fleet_migrate
from shared_apps.migrator.engine.lock import FleetLocked
from shared_apps.migrator.engine.planner import Target
from shared_apps.migrator.engine.runner import RunOptions
from shared_apps.migrator.progress import ProgressRenderer, summary


class Command(BaseCommand):
    help = (
        "Migrate the public schema (--shared) and every tenant schema. Tenants are read in one "
        "query, grouped by applied migrations, planned once per group and migrated in parallel; "
        "each tenant is all-or-nothing and recorded, and a failed run can be resumed."
    )
    # Migrating depends on the models, not on the URLs: importing every view for the URL
    # checks would be half of a no-op run. `manage.py check` still runs every check.
    requires_system_checks = [Tags.models, Tags.signals, Tags.caches]

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="?", help="Migrate (or roll back) only this app.")
        parser.add_argument("migration_name", nargs="?", help="Target migration, or 'zero'.")
        parser.add_argument("--shared", action="store_true", help="Only the public schema.")
        parser.add_argument("--tenant", action="store_true", help="Only tenant schemas.")
        parser.add_argument(
            "-s",
            "--schema",
            action="append",
            dest="schemas",
            help="Only this tenant schema (repeatable).",
        )
        parser.add_argument(
            "--fake",
            action="store_true",
            help="Record migrations as applied/unapplied without running them.",
        )
        parser.add_argument(
            "--executor",
            choices=sorted(EXECUTORS),
            default="parallel",
            help="standard: one process; parallel: a local process pool "
            "(default); celery: chunks of tenants as Celery tasks.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.MIGRATOR_WORKERS,
            help="Parallel workers (bounded by the connection budget).",
        )
        parser.add_argument(
            "--plan",
            action="store_true",
            help="Show what would run, per group of tenants; change nothing.",
        )
        parser.add_argument(
            "--canary",
            type=int,
            default=0,
            metavar="N",
            help="Migrate N tenants first and stop if any of them fails.",
        )
        parser.add_argument(
            "--resume",
            metavar="RUN_ID",
            help="Redo only what that run left undone, with its own target and options.",
        )
        parser.add_argument(
            "--backup",
            action="store_true",
            help="pg_dump the schemas about to change first (path printed).",
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON summary.")
        parser.add_argument("--lock-timeout", default=settings.MIGRATOR_LOCK_TIMEOUT)
        parser.add_argument("--statement-timeout", default=settings.MIGRATOR_STATEMENT_TIMEOUT)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, **options):
        if options["shared"] and options["tenant"]:
            raise CommandError("--shared and --tenant exclude each other.")
        schemas = options["schemas"] or []
        wants_public = options["shared"] or "public" in schemas
        if (wants_public or not (options["tenant"] or schemas)) and not options["resume"]:
            self.migrate_public(options)
        if options["shared"] or schemas == ["public"]:
            return
        self.migrate_tenants(options, [s for s in schemas if s != "public"] or None)

    def migrate_public(self, options):
        if options["plan"]:
            self.stdout.write("Public schema: see `manage.py showmigrations` (not planned here).")
            return
        call_command(
            MigrateSchemasCommand(),
            shared=True,
            interactive=False,
            fake=options["fake"],
            run_syncdb=options.get("run_syncdb", False),  # `migrate` passes it through
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def migrate_tenants(self, options, schemas):
        target = Target(options["app_label"], options["migration_name"])
        if target.migration_name and not target.app_label:
            raise CommandError("Give an app label with a migration name.")
        request = FleetRequest(
            target=target,
            schemas=schemas,
            executor=options["executor"],
            workers=connection_budget(options["workers"]),
            options=RunOptions(
                fake=options["fake"],
                lock_timeout=options["lock_timeout"],
                statement_timeout=options["statement_timeout"],
            ),
            canary=options["canary"],
            resume_run_id=options["resume"],
            plan_only=options["plan"],
            backup=options["backup"],
            requested_by=requested_by(),
        )
        renderer = ProgressRenderer(
            self.stdout, self.style, quiet=options["json"], verbosity=options["verbosity"]
        )
        started = time.monotonic()
        try:
            with sigterm_interrupts():
                result = fleet_migrate(request, renderer)
        except (FleetLocked, NoWorkerError, ValueError) as exc:  # ValueError: unknown target
            raise CommandError(str(exc)) from exc
        except FleetInterrupted as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            payload = summary(result, request, time.monotonic() - started)
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        if not result.ok:
            failed = ", ".join(f"{o.schema} ({o.error.splitlines()[0]})" for o in result.failed)
            hint = f" Fix them, then: manage.py migrate_schemas --resume {result.run.id}"
            if result.stopped_by_canary:
                raise CommandError(f"Canary failed, the rest were not touched: {failed}.{hint}")
            raise CommandError(f"{len(result.failed)} tenant(s) failed: {failed}.{hint}")


@contextmanager
def sigterm_interrupts():
    """Treat SIGTERM (a pod stopped, `kill`) like Ctrl-C: the run is stopped and recorded."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (call_command from a thread)
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def connection_budget(requested: int) -> int:
    """Bound workers by MIGRATOR_MAX_CONNECTIONS so a fleet run cannot starve the web tier."""
    return max(1, min(requested, settings.MIGRATOR_MAX_CONNECTIONS))


def requested_by() -> str:
    import getpass
    import socket

    try:
        return f"{getpass.getuser()}@{socket.gethostname()} ({' '.join(sys.argv[1:3])})"[:200]
    except Exception:  # noqa: BLE001 - purely informational
        return "unknown"
