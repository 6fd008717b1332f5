"""Adding existing users by email through the narrow lookup, and never losing the last owner."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shared_apps.accounts.models import Membership, Role, User
from shared_apps.audit.models import AuditEvent
from tests.shared_apps.accounts.conftest import email

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_adds_an_existing_user_that_rls_hides_from_them(people, make_user):
    admin = make_user("admin", tenant=people.tenant, role=Role.ADMIN)
    outsider = make_user("outsider")  # a user of Dev Context, not of this tenant
    client = people.token_client(admin.email)

    response = client.post(
        "/api/memberships/", {"email": outsider.email.upper(), "role": "member"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["email"], response.json()["role"]) == (outsider.email, "member")
    assert people.token_client(outsider.email).get("/api/me/").json()["role"] == "member"
    with people.scope():
        lookup = AuditEvent.objects.get(action="user.lookup_by_email")
        assert (lookup.actor_id, lookup.payload) == (
            admin.pk,
            {"email": outsider.email, "found": True},
        )
        assert AuditEvent.objects.filter(action="membership.add", actor=admin).exists()


def test_the_lookup_does_not_widen_what_the_serving_role_reads(people, make_user):
    outsider = make_user("still-hidden")
    admin = make_user("admin", tenant=people.tenant, role=Role.ADMIN)
    client = people.token_client(admin.email)
    unknown = client.post(
        "/api/memberships/", {"email": email("nobody"), "role": "member"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["email"] == ["No user has this email; send an invitation instead."]
    with people.scope():
        # Inside the tenant the application role still sees only members, and the function
        # answers one id for one exact address, nothing else.
        assert not User.objects.filter(email=outsider.email).exists()
        assert set(User.objects.values_list("email", flat=True)) == {
            people.owner.email,
            admin.email,
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.accounts_user_id_for_email(%s)", [outsider.email])
            assert cursor.fetchone()[0] == outsider.pk


def test_only_owners_add_owners_and_change_roles(people, make_user):
    admin = make_user("admin", tenant=people.tenant, role=Role.ADMIN)
    outsider = make_user("would-be-owner")
    client = people.token_client(admin.email)
    response = client.post(
        "/api/memberships/", {"email": outsider.email, "role": "owner"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["role"] == ["Only owners can add owners."]
    with people.scope():
        own = Membership.objects.get(user=admin)
    assert client.patch(f"/api/memberships/{own.pk}/", {"role": "owner"}).status_code == 403


def _demote_each_other(people, clients, memberships) -> list[int]:
    """Both owners PATCH the other's membership to admin at the same instant."""
    barrier = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def demote(index: int, client: APIClient, target: Membership) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.patch(f"/api/memberships/{target.pk}/", {"role": "admin"})
            statuses[index] = response.status_code
        finally:
            connection.close()  # each thread served its request on its own connection

    threads = [
        threading.Thread(target=demote, args=(i, client, memberships[1 - i]))
        for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_owners_demoting_each_other_at_once_leave_one_owner(people, make_user):
    second = make_user("co-owner", tenant=people.tenant, role=Role.OWNER)
    clients = [people.token_client(people.owner.email), people.token_client(second.email)]
    with people.scope():
        memberships = [
            Membership.objects.get(user=people.owner),
            Membership.objects.get(user=second),
        ]
    outcomes = []
    for _ in range(15):
        statuses = _demote_each_other(people, clients, memberships)
        with people.scope():
            owners = Membership.objects.filter(tenant=people.tenant, role=Role.OWNER).count()
            outcomes.append((sorted(statuses), owners))
            assert owners == 1, f"round {len(outcomes)}: {outcomes}"
            Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(role=Role.OWNER)
    # One demotion wins; the other is refused: 400 (the last owner) when it got past the
    # permission check first, 403 when its sender was already demoted by then.
    assert all(statuses in ([200, 400], [200, 403]) for statuses, _ in outcomes), outcomes
    assert any(statuses == [200, 400] for statuses, _ in outcomes), "never truly concurrent"
