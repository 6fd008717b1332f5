"""migration_status: the multi-tenant showmigrations."""

import json as json_module

from django.core.management.base import BaseCommand

from shared_apps.migrator.selectors import fleet_status


class Command(BaseCommand):
    help = "Show, per tenant-app migration, how many tenants have it and which lag or failed."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, json: bool = False, **options):  # noqa: A002 - the flag's name
        status = fleet_status()
        if json:
            self.stdout.write(json_module.dumps(status, indent=2, default=str))
            return
        total = status["tenants"]
        self.stdout.write(
            f"{total} active tenant(s), {status['current']} current, "
            f"{status['not_active']} not active."
        )
        for migration in status["migrations"]:
            mark = "[X]" if migration["lagging_count"] == 0 else "[ ]"
            line = f" {mark} {migration['app']}.{migration['name']}: {migration['applied']}/{total}"
            if migration["lagging_count"]:
                shown = ", ".join(migration["lagging"][:5])
                more = " …" if migration["lagging_count"] > 5 else ""
                line += f"  lagging: {shown}{more}"
            self.stdout.write(line)
        run = status["last_run"]
        if run:
            self.stdout.write(
                f"Last run {run['id']}: {run['operation']} {run['status']} "
                f"({run['done']} done, {run['failed']} failed)."
            )
            if run["status"] in {"interrupted", "failed"}:
                self.stdout.write(
                    f"  Finish it with: manage.py migrate_schemas --resume {run['id']}"
                )
        for failure in status["failed_in_last_run"]:
            self.stdout.write(self.style.ERROR(f"  {failure['schema']}: {failure['error']}"))
