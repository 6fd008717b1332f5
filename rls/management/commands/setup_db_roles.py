"""Create or update the application database role and exactly the grants it needs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django_tenants.utils import get_tenant_model

from rls.hardening import worker_hardening_changes
from rls.roles import app_role, role_changes
from shared_apps.tenants.citus import citus_active


class Command(BaseCommand):
    help = (
        "Create or update the application role (DATABASE_URL's user, or APP_DB_ROLE when "
        "DATABASE_URL names the owner): LOGIN, NOINHERIT, no superuser/BYPASSRLS/CREATEDB/"
        "CREATEROLE; CONNECT, DML on the public tables (tenants_domain read-only) and default "
        "privileges for what the owner creates there later; the tenant group and operator "
        "roles; every tenant's role with its schema; revokes TEMP, set_config, plpgsql, "
        "backend signalling and session advisory locks from PUBLIC (needs a superuser) and "
        "the application role's grants outside public. Idempotent. Run as the owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Add --plan."""
        parser.add_argument("--plan", action="store_true", help="Show the changes, make none.")

    def handle(self, *args: Any, plan: bool = False, **options: Any) -> None:
        """Compare the role with what it needs and apply (or show) the difference."""
        role = app_role()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles"
                " WHERE rolname = current_user"
            )
            owner, bypasses = cursor.fetchone()
        if role.name == owner:
            raise CommandError(
                f"The application role would be the owner {owner}: set DATABASE_URL to a "
                "different user (or APP_DB_ROLE when DATABASE_URL names the owner)."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            changes = role_changes(cursor, role, tenant_table=get_tenant_model()._meta.db_table)
            for change in changes:
                self.stdout.write(("would " if plan else "") + change.description)
                if not plan:
                    cursor.execute(change.sql)
        if citus_active():  # each statement commits on its own (see worker_hardening_changes)
            with connection.cursor() as cursor:
                workers = worker_hardening_changes(cursor, owner)
                for change in workers:
                    self.stdout.write(("would " if plan else "") + change.description)
                    if not plan:
                        cursor.execute(change.sql)
            changes += workers
        if not bypasses:
            self.stderr.write(
                self.style.WARNING(
                    f"The owner {owner} has neither SUPERUSER nor BYPASSRLS: with FORCE ROW LEVEL "
                    "SECURITY, fleet and operator jobs it runs will see no tenant rows."
                )
            )
        if not changes:
            self.stdout.write("No changes.")
        elif not plan:
            self.stdout.write(self.style.SUCCESS(f"Role {role.name}: {len(changes)} change(s)."))
