from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.citus import CitusError
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.placement import TRANSFER_MODES, tenants_rebalance


class Command(BaseCommand):
    help = (
        "Spread tenant schemas evenly over the Citus workers (citus_rebalance_start), online, "
        "with progress; then record each tenant's node."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mode", default="auto", choices=TRANSFER_MODES)

    def handle(self, *args, mode, **options):
        try:
            moves = tenants_rebalance(mode=mode, progress=self.progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except CitusError as exc:
            raise CommandError(str(exc)) from exc
        counts: dict[str, int] = {}
        for node in Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list(
            "node", flat=True
        ):
            counts[node or "not distributed"] = counts.get(node or "not distributed", 0) + 1
        placement = ", ".join(f"{node}: {n}" for node, n in sorted(counts.items()))
        moved = f"{moves} schema(s) moved"
        self.stdout.write(self.style.SUCCESS(f"{moved}; active tenants per node: {placement}."))

    def progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
