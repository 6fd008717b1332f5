from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_create


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create a tenant: validate the slug, build its schema, domain and owner membership."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Subdomain and schema key, e.g. acme.")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Inc.'.")
        parser.add_argument("--owner-email", help="Email of the tenant's owner (created if new).")
        parser.add_argument("--plan", default=Tenant.Plan.FREE, choices=Tenant.Plan.values)

    def handle(self, *args, slug, name, owner_email, plan, **options):
        try:
            tenant = tenant_create(slug=slug, name=name, owner_email=owner_email, plan=plan)
        except ValidationError as exc:
            raise CommandError(f"Cannot create tenant '{slug}': {validation_message(exc)}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created tenant {tenant.slug} (schema {tenant.schema_name}).")
        )
