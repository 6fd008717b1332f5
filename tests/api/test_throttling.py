"""Login throttling: per account and per IP, counted in Redis, 429 with Retry-After.

The token login, accepting an invitation and password reset (request and confirm).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import throttles_reset
from tests.factories import tenant_data as f

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"  # noqa: S105 - test user


@pytest.fixture
def member(acme):
    membership = f.member_make(acme)
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user


def login(email: str, password: str, ip: str = "10.0.0.1"):
    client = APIClient(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip)
    return client.post("/api/auth/token/", {"email": email, "password": password}, format="json")


def test_sixty_wrong_passwords_then_the_right_one_is_429_with_retry_after(member):
    answers = [login(member.email, "wrong", ip=f"10.0.{i}.1").status_code for i in range(60)]
    assert answers[0] == 401
    assert 429 in answers, "the account is throttled whatever IP the attempts come from"
    response = login(member.email, PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_one_ip_trying_many_accounts_is_throttled(member):
    answers = [login(f"nobody-{i}@acme.test", "wrong").status_code for i in range(60)]
    assert answers[0] == 401 and answers[-1] == 429
    response = login(member.email, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert login(member.email, PASSWORD, ip="10.1.1.1").status_code == 201  # other IPs work


def test_the_counts_live_in_the_shared_redis_cache(member):
    from django.core.cache import cache

    login(member.email, "wrong")
    client = cache._cache.get_client()
    assert any(b"throttle_login-account" in key for key in client.scan_iter(match="*throttle_*"))


# Anonymous endpoints that check a secret share the limits: per account (here the invitation
# token or the reset link's user) from any IP, and one count per IP across all of them.


def post(path: str, body: dict, ip: str):
    client = APIClient(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip)
    return client.post(path, body, format="json")


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_guessing_the_password_behind_an_invitation_is_throttled_per_token(acme):
    from shared_apps.accounts.models import Invitation
    from shared_apps.accounts.services import api_token_hash

    invitee = f.user_make()  # an existing account elsewhere: accepting asks for its password
    key = "inv_throttle-test-token"
    Invitation.objects.create(
        tenant=acme,
        email=invitee.email,
        token_hash=api_token_hash(key),
        expires_at=timezone.now() + timedelta(days=1),
    )
    accept = "/api/invitations/accept/"
    answers = [
        post(accept, {"token": key, "password": "wrong"}, ip=f"10.0.{i}.1").status_code
        for i in range(60)
    ]
    assert answers[0] == 400 and 429 in answers, "the token is throttled from any IP"
    assert_throttled(post(accept, {"token": key, "password": "pw-Secret-1"}, ip="10.9.9.9"))

    throttles_reset()
    assert post(accept, {"token": key, "password": "pw-Secret-1"}, ip="10.9.9.9").status_code == 201


def test_password_reset_requests_are_throttled_per_email(acme, member, mailoutbox):
    reset = "/api/auth/password-reset/"
    answers = [
        post(reset, {"email": member.email}, ip=f"10.0.{i}.1").status_code for i in range(60)
    ]
    assert answers[0] == 202 and 429 in answers
    assert 0 < len(mailoutbox) < 60, "an inbox is not flooded with links"
    assert_throttled(post(reset, {"email": member.email}, ip="10.9.9.9"))
    assert post(reset, {"email": "someone-else@acme.test"}, ip="10.9.9.9").status_code == 202


def test_guessing_a_reset_links_token_is_throttled_per_user(member):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    confirm = "/api/auth/password-reset/confirm/"
    uid = urlsafe_base64_encode(force_bytes(member.pk))
    guess = {"uid": uid, "token": "guess", "new_password": "Brand-New-Secret-7"}
    answers = [post(confirm, guess, ip=f"10.0.{i}.1").status_code for i in range(60)]
    assert answers[0] == 400 and 429 in answers
    right = {**guess, "token": default_token_generator.make_token(member)}
    assert_throttled(post(confirm, right, ip="10.9.9.9"))

    throttles_reset()
    assert post(confirm, right, ip="10.9.9.9").status_code == 200


def test_one_ip_has_one_count_across_the_anonymous_endpoints(member):
    confirm = "/api/auth/password-reset/confirm/"
    answers = [
        post(confirm, {"uid": f"u{i}", "token": "t", "new_password": "x"}, ip="10.0.0.1")
        for i in range(30)
    ]
    assert all(a.status_code == 400 for a in answers)  # each under its own account limit
    assert_throttled(
        post("/api/invitations/accept/", {"token": "inv_x", "password": "x"}, "10.0.0.1")
    )
    assert_throttled(login(member.email, PASSWORD, ip="10.0.0.1"))
    assert login(member.email, PASSWORD, ip="10.1.1.1").status_code == 201
