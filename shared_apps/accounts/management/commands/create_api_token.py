from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shared_apps.accounts.models import User
from shared_apps.accounts.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an operator token for a staff user and print its key once, alone on stdout: "
        "OPERATOR_TOKEN=$(manage.py create_api_token --operator admin@example.com)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--operator",
            required=True,
            metavar="EMAIL",
            help="A staff user's email; the token works on the base domain's operator API.",
        )
        parser.add_argument("--name", default="command line", help="A label for the token.")

    def handle(self, *args, operator, name, **options):
        user = User.objects.filter(email=operator.strip().lower()).first()
        if user is None:
            raise CommandError(
                f"No user has the email {operator}; create a staff user first "
                "(manage.py createsuperuser, or the operators' admin)."
            )
        if not user.is_staff or not user.is_active:
            raise CommandError(
                f"{user.email} is not an active staff user; operator tokens are for staff only "
                "(tick 'Staff status' in the operators' admin)."
            )
        token, key = api_token_create(user=user, tenant=None, name=name)
        self.stdout.write(key)
        self.stderr.write(
            self.style.SUCCESS(
                f"Operator token {token.prefix}… for {user.email}; the key above is shown once. "
                f"Use it on http://{settings.TENANT_BASE_DOMAIN}/api/ as "
                "'Authorization: Bearer <key>'."
            )
        )
