"""Writes about users and their access: API tokens."""

import hashlib
import secrets
from datetime import datetime

from django.db import transaction

from shared_apps.accounts.models import ApiToken, User
from shared_apps.tenants.models import Tenant

TOKEN_PREFIX = "dc_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 10


def api_token_hash(key: str) -> str:
    """Return the stored form of a token key (SHA-256; keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, tenant: Tenant | None, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is never stored and never shown again.

    `tenant=None` makes an operator token, valid only on the base domain for staff users.
    """
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        tenant=tenant,
        name=name,
        key_hash=api_token_hash(key),
        prefix=key[:PREFIX_LENGTH],
        expires_at=expires_at,
    )
    return token, key
