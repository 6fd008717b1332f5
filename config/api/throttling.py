"""Login throttling: DRF rate throttles on the shared (Redis) cache, per account and per IP.

Every web process counts in the same cache, so a limit holds across workers and pods. Over the
limit, DRF answers 429 with `Retry-After` (seconds until the window frees a slot).
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    """Limit token requests per client IP (`LOGIN_THROTTLE_IP_RATE`)."""

    scope = "login-ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Limit token requests per account, from any IP (`LOGIN_THROTTLE_ACCOUNT_RATE`)."""

    scope = "login-account"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None  # no account named: the serializer answers 400, the IP limit still counts
        # Hashed: the cache key names no address, and any length or character fits in it.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
