from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.citus import CitusError
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.placement import TRANSFER_MODES, tenant_move


class Command(BaseCommand):
    help = (
        "Move a tenant's schema to another Citus worker online (citus_schema_move); its API "
        "keeps answering. Prints progress and records the new node on the tenant."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="The tenant to move.")
        parser.add_argument("--to-node", required=True, help="The target worker, HOST:PORT.")
        parser.add_argument(
            "--mode",
            default="auto",
            choices=TRANSFER_MODES,
            help="Citus shard transfer mode: auto/force_logical copy online (needs "
            "wal_level=logical); block_writes pauses the tenant's writes during the copy.",
        )

    def handle(self, *args, slug, to_node, mode, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{slug}'.")
        try:
            tenant = tenant_move(tenant=tenant, to_node=to_node, mode=mode, progress=self.progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except CitusError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Tenant {slug} lives on {tenant.node}."))

    def progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
