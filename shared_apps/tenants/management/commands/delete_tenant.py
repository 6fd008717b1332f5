from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_delete


class Command(BaseCommand):
    help = "Delete a tenant: back its schema up with pg_dump, then drop it and its rows."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument(
            "--no-backup",
            action="store_false",
            dest="backup",
            help="Skip the pg_dump backup (not recommended).",
        )

    def handle(self, *args, slug, interactive, backup, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{slug}'. See the Tenant list in the admin.")
        if interactive:
            answer = input(
                f"Delete tenant '{slug}' and drop schema {tenant.schema_name}? Type the slug: "
            )
            if answer.strip() != slug:
                raise CommandError("Deletion cancelled.")
        backup_path = tenant_delete(tenant=tenant, backup=backup)
        if backup_path:
            self.stdout.write(f"Backup written to {backup_path}")
        self.stdout.write(self.style.SUCCESS(f"Deleted tenant {slug}."))
