"""Who is asking: `Authorization: Bearer <key>` API tokens bound to one host, and sessions.

Users are global, while RLS shows only a tenant's members inside that tenant: once a token or a
session has named a user who is not visible there, the user row is read with no tenant
(`rls.tenant_scope(None)`), so a signed-in non-member is told 403 (not a member) instead of
looking anonymous (401).
"""

from datetime import timedelta

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from rest_framework import authentication, exceptions

import rls
from shared_apps.accounts.models import ApiToken, User
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
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            return self.authenticate_operator_key(key)
        return self.authenticate_key(key, tenant=tenant)

    def authenticate_operator_key(self, key: str):
        """Authenticate an operator token: the one place that enters `rls.operator_scope()`.

        Operator tokens (tenant NULL) are invisible to every other context; the scope covers
        only this lookup and the last-used stamp, and a tenant's token never matches here.
        Only staff users get past `IsOperator` afterwards.
        """
        with rls.operator_scope():
            return self.authenticate_key(key, tenant=None)

    def authenticate_key(self, key: str, *, tenant):
        tokens = ApiToken.objects.filter(key_hash=api_token_hash(key), tenant=tenant)
        # Usually the token's user is a member, visible here: token and user in one query.
        token = tokens.select_related("user").first()
        if token is None:  # a bad key, or a user this tenant no longer shows
            token = tokens.first()
        now = timezone.now()
        if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if ApiToken.user.is_cached(token):
            user = token.user
        else:
            with rls.tenant_scope(None):
                user = User.objects.get(pk=token.user_id)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.user = user
        return user, token

    def authenticate_header(self, request):
        return self.keyword


class UserBackend(ModelBackend):
    """Django's email/password backend; a session's user is found in any tenant's host."""

    def get_user(self, user_id):
        with rls.tenant_scope(None):
            return super().get_user(user_id)
