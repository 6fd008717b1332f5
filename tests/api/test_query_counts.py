"""Every list endpoint answers in a number of queries that does not grow with the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Role
from tests.api.resources import RESOURCES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_list_query_count_is_constant_in_page_size(
    resource, acme, acme_data, client_for, django_assert_max_num_queries
):
    client = client_for(acme, Role.OWNER)
    path = f"{resource.path(acme_data)}?page_size=200"
    with tenant_context(acme):
        resource.make(acme_data, client.user)
    client.get(path)  # warm: last_used_at is written once per minute, not per request
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(path).status_code == 200

    with tenant_context(acme):
        for _ in range(15):
            resource.make(acme_data, client.user)
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(path)
    assert response.json()["count"] >= 16
