"""The emails people receive about getting in: invitations and set-password links.

Sent through Django's email backend (EMAIL_URL: the console in development, the in-memory
outbox in tests) after the transaction that made them commits, so a rolled-back invitation
never reaches anyone; a mail server that fails is logged and never undoes the change.
"""

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shared_apps.accounts.models import Invitation, User

# The links point at pages of a tenant host (the base domain serves the reset page at the same
# path): reversed in that URLconf whatever the current request or command uses.
PAGES = "config.urls_tenant"


def password_set_link(*, user: User, base_url: str) -> str:
    """Return the page where `user` chooses a password (Django's token generator; one use)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse(
        "password_reset_confirm", kwargs={"uidb64": uidb64, "token": token}, urlconf=PAGES
    )
    return base_url.rstrip("/") + path


def invitation_accept_link(*, token: str, base_url: str) -> str:
    path = reverse("invitation_accept_page", urlconf=PAGES)
    return f"{base_url.rstrip('/')}{path}?token={token}"


def _send_on_commit(*, to: str, template: str, context: dict) -> None:
    subject, _, body = render_to_string(template, context).partition("\n")
    transaction.on_commit(
        lambda: send_mail(subject.strip(), body.lstrip(), None, [to]), robust=True
    )


def invitation_email_send(*, invitation: Invitation, token: str, base_url: str) -> None:
    """Email the invitee the link (and the API call) that accepts the invitation."""
    _send_on_commit(
        to=invitation.email,
        template="accounts/email/invitation.txt",
        context={
            "invitation": invitation,
            "tenant": invitation.tenant,
            "inviter": invitation.invited_by,
            "token": token,
            "base_url": base_url.rstrip("/"),
            "link": invitation_accept_link(token=token, base_url=base_url),
        },
    )


def owner_welcome_email_send(*, user: User, tenant, base_url: str) -> str:
    """Email a new owner the link that sets their password; return the link."""
    link = password_set_link(user=user, base_url=base_url)
    _send_on_commit(
        to=user.email,
        template="accounts/email/owner_welcome.txt",
        context={"tenant": tenant, "link": link, "base_url": base_url.rstrip("/")},
    )
    return link
