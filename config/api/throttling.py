"""Login throttling: DRF rate throttles on the shared (Redis) cache, per account and per IP.

Every anonymous endpoint that checks a password or a secret uses both: the token login, accepting
an invitation, and password reset (request and confirm). Each client IP has one count across
them all; the account count is per email, invitation token or reset link's user. Every web
process counts in the same cache, so a limit holds across workers and pods. Over the limit, DRF
answers 429 with `Retry-After` (seconds until the window frees a slot).
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    """Limit sign-in attempts per client IP, all endpoints together (`LOGIN_THROTTLE_IP_RATE`)."""

    scope = "login-ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Limit attempts per account, from any IP (`LOGIN_THROTTLE_ACCOUNT_RATE`).

    The account is the request's `throttle_account_field` of the view (default `email`): the
    invitation token, or the `uid` of a reset link, where no email is sent.
    """

    scope = "login-account"

    def get_cache_key(self, request, view):
        field = getattr(view, "throttle_account_field", "email")
        value = request.data.get(field) if hasattr(request.data, "get") else None
        if not isinstance(value, str) or not value:
            return None  # no account named: the serializer answers 400, the IP limit still counts
        # Hashed: the cache key names no address or secret, and any length or character fits.
        ident = hashlib.sha256(f"{field}:{value.strip().lower()}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
