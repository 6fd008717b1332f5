"""DRF authentication by `Authorization: Bearer <key>` API tokens, bound to one host."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from rls import operator_scope
from shared_apps.accounts.models import ApiToken
from shared_apps.accounts.services import api_token_hash

# Recording every use would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Accept a tenant's token only on that tenant's host, an operator token only on the base."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        key = header[1].decode(errors="replace")
        return self.authenticate_key(key, tenant=getattr(request._request, "tenant", None))

    def authenticate_key(self, key: str, *, tenant):
        if tenant is None:
            # Operator tokens (tenant NULL) are visible to the application role only inside the
            # operator scope; the base domain's token check is the one place that enters it.
            with operator_scope():
                return self.authenticate_key_in_scope(key, tenant=None)
        return self.authenticate_key_in_scope(key, tenant=tenant)

    def authenticate_key_in_scope(self, key: str, *, tenant):
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=api_token_hash(key), tenant=tenant)
            .first()
        )
        now = timezone.now()
        if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
