"""Every tenant starts with the default statuses and roles; re-seeding adds nothing."""

import importlib

import pytest
from django.apps import apps as global_apps

from tenant_apps.teams.models import Role
from tenant_apps.tracker.models import TaskStatus

pytestmark = pytest.mark.django_db

EXPECTED_STATUSES = [
    ("To Do", "todo", "#6B7280", 1, False),
    ("In Progress", "in-progress", "#3B82F6", 2, False),
    ("Done", "done", "#10B981", 3, True),
]


def test_new_tenant_has_exactly_the_default_statuses(acme, in_tenant):
    with in_tenant(acme):
        rows = list(
            TaskStatus.objects.order_by("sort_order").values_list(
                "name", "slug", "color", "sort_order", "is_completed"
            )
        )
    assert rows == EXPECTED_STATUSES


def test_new_tenant_has_exactly_the_default_roles(globex, in_tenant):
    with in_tenant(globex):
        slugs = set(Role.objects.filter(is_system=True).values_list("slug", flat=True))
        total = Role.objects.count()
    assert slugs == {"owner", "admin", "member", "viewer"}
    assert total == 4


def test_running_the_seed_migrations_again_adds_nothing(acme, in_tenant):
    seed_statuses = importlib.import_module(
        "tenant_apps.tracker.migrations.0002_seed_task_statuses"
    )
    seed_roles = importlib.import_module("tenant_apps.teams.migrations.0002_seed_roles")
    with in_tenant(acme):
        seed_statuses.seed_task_statuses(global_apps, None)
        seed_roles.seed_roles(global_apps, None)
        assert TaskStatus.objects.count() == 3
        assert Role.objects.count() == 4
