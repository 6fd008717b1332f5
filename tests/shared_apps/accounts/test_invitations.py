"""Invitations, end to end as people use them: created, emailed, accepted once, or refused."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.audit.models import AuditEvent
from tests.shared_apps.accounts.conftest import PASSWORD, email

# Committed rows (the application role's connection must see them); the flush after each test
# empties the public tables, the fixtures drop the tenant's schema.
pytestmark = pytest.mark.django_db(transaction=True)


def invite(people, address: str, role: str = "member") -> dict:
    owner = people.token_client(people.owner.email)
    response = owner.post("/api/invitations/", {"email": address, "role": role}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def accept(people, token: str, password: str = PASSWORD, **extra):
    body = {"token": token, "password": password, **extra}
    return people.client().post("/api/invitations/accept/", body, format="json")


def test_a_new_person_accepts_by_email_link_and_signs_in(people):
    address = email("newcomer")
    mail.outbox = []
    invitation = invite(people, address)

    [message] = mail.outbox
    assert message.to == [address]
    assert people.tenant.name in message.subject
    link = re.search(r"http://\S+/invitations/accept/\?token=(\S+)", message.body)
    assert link and link.group(1) == invitation["token"]
    assert f"http://{people.host}/" in message.body

    response = accept(people, invitation["token"], full_name="Nia Newcomer")
    assert response.status_code == 201, response.json()
    assert response.json()["email"] == address and response.json()["role"] == "member"

    me = people.token_client(address).get("/api/me/").json()
    assert (me["role"], me["full_name"]) == ("member", "Nia Newcomer")
    with people.scope():
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"invitation.create", "invitation.accept"} <= actions
        assert Invitation.objects.get(pk=invitation["id"]).accepted_at is not None


def test_an_invitation_works_once(people):
    invitation = invite(people, email("twice"))
    assert accept(people, invitation["token"]).status_code == 201
    again = accept(people, invitation["token"], password="Another-Pass-99")
    assert again.status_code == 400
    assert again.json()["token"] == ["This invitation has already been used."]


def test_an_existing_user_proves_it_with_their_password_and_gets_the_invited_role(
    people, make_user
):
    elsewhere = make_user("elsewhere")  # has an account, not a member here: RLS hides them
    invitation = invite(people, elsewhere.email, role="admin")

    wrong = accept(people, invitation["token"], password="not-their-password")
    assert wrong.status_code == 400
    assert "password" in wrong.json()
    with people.scope():
        assert not Membership.objects.filter(tenant=people.tenant, user=elsewhere).exists()

    right = accept(people, invitation["token"])
    assert right.status_code == 201, right.json()
    assert right.json()["role"] == "admin"
    assert people.token_client(elsewhere.email).get("/api/me/").json()["role"] == "admin"
    with people.scope():
        assert User.objects.filter(email=elsewhere.email).count() == 1  # no second account


def test_an_expired_invitation_is_refused(people):
    invitation = invite(people, email("late"))
    with people.scope():
        past = timezone.now() - datetime.timedelta(minutes=1)
        Invitation.objects.filter(pk=invitation["id"]).update(expires_at=past)
    response = accept(people, invitation["token"])
    assert response.status_code == 400
    assert response.json()["token"] == ["This invitation has expired; ask for a new one."]


def test_a_withdrawn_invitation_is_refused_and_stays_listed(people):
    invitation = invite(people, email("withdrawn"))
    owner = people.token_client(people.owner.email)
    assert owner.delete(f"/api/invitations/{invitation['id']}/").status_code == 204

    listed = owner.get(f"/api/invitations/{invitation['id']}/").json()
    assert listed["state"] == "revoked" and listed["revoked_at"]
    response = accept(people, invitation["token"])
    assert response.status_code == 400
    assert response.json()["token"] == ["This invitation was withdrawn."]
    with people.scope():
        assert AuditEvent.objects.filter(action="invitation.revoke").exists()


def test_unknown_tokens_and_weak_passwords_get_field_errors(people):
    assert accept(people, "inv_nope").json() == {
        "token": ["No invitation of this organisation has this token."]
    }
    address = email("weak")
    invitation = invite(people, address)
    weak = accept(people, invitation["token"], password="123")
    assert weak.status_code == 400 and weak.json()["password"]
    with people.scope():
        assert not Membership.objects.filter(user__email=address).exists()
    assert accept(people, invitation["token"]).status_code == 201  # still pending


@pytest.mark.parametrize("missing", ["token", "password"])
def test_missing_fields_are_named(people, missing):
    body = {"token": "inv_x", "password": PASSWORD}
    del body[missing]
    response = people.client().post("/api/invitations/accept/", body, format="json")
    assert response.status_code == 400 and missing in response.json()


def test_the_accept_page_turns_the_emailed_link_into_a_membership(people):
    address = email("pageuser")
    invitation = invite(people, address, role="viewer")
    browser = people.browser()
    page = browser.get(f"/invitations/accept/?token={invitation['token']}")
    assert page.status_code == 200
    assert invitation["token"] in page.content.decode()
    csrf = page.cookies["csrftoken"].value
    done = browser.post(
        "/invitations/accept/",
        {"token": invitation["token"], "password": PASSWORD, "csrfmiddlewaretoken": csrf},
    )
    assert done.status_code == 200
    assert "You are now viewer of" in done.content.decode()
    assert people.token_client(address).get("/api/me/").json()["role"] == "viewer"
