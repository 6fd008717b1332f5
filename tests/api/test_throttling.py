"""Login throttling: per account and per IP, counted in Redis, 429 with Retry-After."""

import pytest
from rest_framework.test import APIClient

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
