"""Prove RLS protects every tenant-scoped public table and the serving role cannot bypass it."""

from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError

from rls.checks import FIX_ROLE, role_findings, serving_cursor, table_findings, table_states
from rls.policies import EXEMPT


class Command(BaseCommand):
    help = (
        "Connect as the serving role (DATABASE_URL), list every public table with a tenant_id "
        "column and its RLS state, and exit non-zero when one lacks RLS enabled, forced and a "
        "policy, or when the serving role is a superuser, has BYPASSRLS or owns the tables, "
        "or when a grant is wider than rls/README.md allows: the serving role in a non-public "
        "schema, INHERIT, TEMP, set_config, plpgsql, tenants_domain writes; a role in another "
        "tenant's schema or role; a tenant without its role; no superuser guard "
        "(always an error here, also under DEBUG)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Check, report every table, and fail with the fix when anything is wrong."""
        try:
            with serving_cursor() as cursor:
                states = table_states(cursor)
                found = table_findings(states) + role_findings(cursor, strict=True)
                cursor.execute("SELECT current_user")
                role = (cursor.fetchone() or (None,))[0]
        except psycopg.OperationalError as exc:
            raise CommandError(f"Cannot connect as the serving role: {exc}\n{FIX_ROLE}") from exc
        for state in states:
            count = f"{state.policies} polic{'y' if state.policies == 1 else 'ies'}"
            status = ", ".join(state.problems) or f"enabled, forced, {count}"
            self.stdout.write(f"  {state.name:<32} {status}")
        for table, reason in EXEMPT.items():
            self.stdout.write(f"  {table:<32} exempt: {reason}")
        for finding in found:
            self.stderr.write(self.style.ERROR(f"{finding.id} {finding.message}"))
        if found:
            hints = "\n".join(sorted({finding.hint for finding in found}))
            raise CommandError(f"{len(found)} isolation problem(s).\n{hints}")
        self.stdout.write(
            self.style.SUCCESS(
                f"RLS protects {len(states)} tables; the serving role {role} is subject to it"
                " and reaches each tenant's schema only through that tenant's role."
            )
        )
