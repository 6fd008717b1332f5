from django.conf import settings
from django.core.management.base import BaseCommand

from shared_apps.tenants.demo import DEMO_PASSWORD, OPERATOR_EMAIL, demo_setup


class Command(BaseCommand):
    help = "Create the demo tenants (acme, globex) with owners and a little data; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        base = settings.TENANT_BASE_DOMAIN
        for tenant in demo_setup():
            self.stdout.write(
                f"{tenant.slug}: http://{tenant.slug}.{base}:{port}/admin/ "
                f"(owner@{tenant.slug}.test / {DEMO_PASSWORD})"
            )
        self.stdout.write(
            f"operators: http://{base}:{port}/admin/ ({OPERATOR_EMAIL} / {DEMO_PASSWORD})"
        )
        self.stdout.write(self.style.SUCCESS("Demo tenants ready."))
