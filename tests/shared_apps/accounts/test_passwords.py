"""Passwords: a new owner's set-password link, and resets on tenant hosts and the base domain."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from tests.shared_apps.accounts.conftest import PASSWORD, email, link_in

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Brand-New-Secret-7"  # noqa: S105 - test database only


def sign_in(onboarded, address: str, password: str) -> int:
    body = {"email": address, "password": password}
    return onboarded.client().post("/api/auth/token/", body, format="json").status_code


def uid_and_token(link: str) -> dict:
    uid, token = re.search(r"/accounts/reset/([^/]+)/([^/]+)/$", link).groups()
    return {"uid": uid, "token": token}


def test_a_new_owner_gets_a_set_password_link_printed_and_emailed(onboarded, app_db):
    printed = link_in(onboarded.output)
    [welcome] = onboarded.welcome
    assert welcome.to == [onboarded.owner.email]
    emailed = link_in(welcome.body)
    assert urlsplit(printed).hostname == urlsplit(emailed).hostname == onboarded.host
    assert (
        sign_in(onboarded, onboarded.owner.email, "guess-1234") == 401
    )  # no password until chosen

    done = onboarded.client().post(
        "/api/auth/password-reset/confirm/",
        {**uid_and_token(emailed), "new_password": NEW_PASSWORD},
        format="json",
    )

    assert done.status_code == 200, done.json()
    assert sign_in(onboarded, onboarded.owner.email, NEW_PASSWORD) == 201
    again = onboarded.client().post(
        "/api/auth/password-reset/confirm/",
        {**uid_and_token(printed), "new_password": "Yet-Another-9"},
        format="json",
    )
    assert again.status_code == 400  # the password changed: every earlier link is dead
    assert "invalid or has expired" in again.json()["token"][0]


def test_the_set_password_page_works_from_the_printed_link(onboarded, app_db):
    browser = Client(HTTP_HOST=onboarded.host)
    form = browser.get(urlsplit(link_in(onboarded.output)).path, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/reset/done/"
    assert sign_in(onboarded, onboarded.owner.email, NEW_PASSWORD) == 201


def test_reset_on_a_tenant_host_reaches_its_members_only(people, make_user):
    outsider = make_user("outsider")
    mail.outbox = []
    for address in (people.owner.email, outsider.email, email("nobody")):
        response = people.client().post(
            "/api/auth/password-reset/", {"email": address}, format="json"
        )
        assert response.status_code == 202  # the same answer whoever asks
    [message] = mail.outbox
    assert message.to == [people.owner.email]
    link = link_in(message.body)
    assert urlsplit(link).hostname == people.host

    weak = people.client().post(
        "/api/auth/password-reset/confirm/",
        {**uid_and_token(link), "new_password": "123"},
        format="json",
    )
    assert weak.status_code == 400 and weak.json()["new_password"]
    ok = people.client().post(
        "/api/auth/password-reset/confirm/",
        {**uid_and_token(link), "new_password": NEW_PASSWORD},
        format="json",
    )
    assert ok.status_code == 200
    assert sign_in(people, people.owner.email, PASSWORD) == 401
    assert sign_in(people, people.owner.email, NEW_PASSWORD) == 201


def test_reset_pages_on_the_base_domain(people, make_user):
    outsider = make_user("base-user")  # in no tenant: only the base domain knows them
    browser = Client(HTTP_HOST="localhost")
    assert b"Forgotten your login credentials?" in browser.get("/admin/login/").content
    mail.outbox = []
    sent = browser.post("/accounts/password_reset/", {"email": outsider.email}, follow=True)
    assert sent.redirect_chain[-1][0] == "/accounts/password_reset/done/"
    [message] = mail.outbox
    link = link_in(message.body)
    assert urlsplit(link).hostname == "localhost"
    form = browser.get(urlsplit(link).path, follow=True)
    browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    api = APIClient(HTTP_HOST="localhost")
    bad = api.post(
        "/api/auth/password-reset/confirm/",
        {**uid_and_token(link), "new_password": "Other-Secret-8"},
        format="json",
    )
    assert bad.status_code == 400  # used once already
    assert browser.login(email=outsider.email, password=NEW_PASSWORD)
