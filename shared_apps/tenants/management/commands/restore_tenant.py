from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.management.commands.create_tenant import validation_message
from shared_apps.tenants.services import tenant_restore, tenant_url


class Command(BaseCommand):
    help = (
        "Restore a tenant from a delete_tenant backup (pg_dump custom format): the schema comes "
        "back under its original name, with an active Tenant row and its primary domain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, type=Path, help="The .dump file.")
        parser.add_argument("--slug", required=True, help="The tenant's slug (and subdomain).")
        parser.add_argument("--name", help="Display name (default: the slug).")
        parser.add_argument("--owner-email", help="Give this user the owner role.")

    def handle(self, *args, file: Path, slug, name, owner_email, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            tenant = tenant_restore(
                dump_path=file, slug=slug, name=name or slug, owner_email=owner_email
            )
        except ValidationError as exc:
            raise CommandError(f"Cannot restore '{slug}': {validation_message(exc)}") from exc
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        restored = f"Restored tenant {tenant.slug} (schema {tenant.schema_name})"
        self.stdout.write(self.style.SUCCESS(f"{restored} at {tenant_url(tenant)}"))
