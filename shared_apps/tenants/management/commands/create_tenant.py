from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared_apps.accounts.emails import password_set_link
from shared_apps.accounts.models import User
from shared_apps.accounts.selectors import user_needs_password
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_create, tenant_onboard, tenant_url


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Create a tenant: validate the slug, build its schema from the template, add its domain "
        "and owner membership. Synchronous by default; --async queues it on Celery."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Subdomain and schema key, e.g. acme.")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Inc.'.")
        parser.add_argument("--owner-email", help="Email of the tenant's owner (created if new).")
        parser.add_argument("--plan", default=Tenant.Plan.FREE, choices=Tenant.Plan.values)
        parser.add_argument(
            "--async",
            action="store_true",
            dest="queue",
            help="Register the tenant and queue its provisioning on the Celery operator queue.",
        )

    def handle(self, *args, slug, name, owner_email, plan, queue, **options):
        service = tenant_onboard if queue else tenant_create
        try:
            tenant = service(slug=slug, name=name, owner_email=owner_email, plan=plan)
        except ValidationError as exc:
            raise CommandError(f"Cannot create tenant '{slug}': {validation_message(exc)}") from exc
        if queue:
            queued = f"Queued provisioning of tenant {tenant.slug} ({tenant.status})."
            self.stdout.write(self.style.SUCCESS(queued))
            self.stdout.write(
                "Watch it: GET "
                f"http://{settings.TENANT_BASE_DOMAIN}/api/tenants/{tenant.slug}/ (operator token),"
                f" or the Tenants page of the operators' admin. It will serve {tenant_url(tenant)}"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Created tenant {tenant.slug} (schema {tenant.schema_name}).")
        )
        owner = User.objects.filter(email__iexact=(owner_email or "").strip()).first()
        if owner is not None and user_needs_password(owner):
            link = password_set_link(user=owner, base_url=tenant_url(tenant))
            self.stdout.write(
                f"The owner {owner.email} sets a password here (also emailed to them): {link}"
            )
