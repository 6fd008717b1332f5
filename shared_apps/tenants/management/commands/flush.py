"""flush: empties the public schema only, so it refuses while tenant schemas exist."""

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush

from shared_apps.tenants.models import Tenant

SHOWN = 5


class Command(DjangoFlush):
    help = (
        "Remove all data from the public schema. Refuses while tenants exist: their schemas "
        "would be left behind without tenants; delete the tenants first."
    )

    def handle(self, **options):
        # Django's test framework calls flush with its stealth options set (reset_sequences…)
        # between tests, on purpose keeping tenant schemas; a person running the command never
        # passes them, and is the one to protect from half-emptied databases.
        if "reset_sequences" not in options:
            self.refuse_when_tenants_exist()
        return super().handle(**options)

    def refuse_when_tenants_exist(self) -> None:
        slugs = list(
            Tenant.objects.exclude(schema_name="public")
            .order_by("slug")
            .values_list("slug", flat=True)
        )
        if not slugs:
            return
        commands = "; ".join(
            f"manage.py delete_tenant --slug {slug} --noinput" for slug in slugs[:SHOWN]
        )
        more = f" (and {len(slugs) - SHOWN} more)" if len(slugs) > SHOWN else ""
        raise CommandError(
            f"flush empties the public schema only: the schemas of {len(slugs)} tenant(s) would "
            f"be left behind without their tenants. Delete them first: {commands}{more}; then "
            "run flush again."
        )
