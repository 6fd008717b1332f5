"""check_schemas names each column, index or constraint that differs from the template."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from shared_apps.tenants.services import tenant_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenants():
    return [
        tenant_create(slug=slug, name=slug.title(), owner_email=f"o@{slug}.test")
        for slug in ("driftless", "drifty")
    ]


def check(*schemas: str, as_json: bool = False) -> str:
    out = io.StringIO()
    call_command("check_schemas", schema=list(schemas), json=as_json, stdout=out)
    return out.getvalue()


def test_passes_when_every_schema_matches_the_template(two_tenants):
    assert "All 2 tenant schema(s) match template" in check("t_driftless", "t_drifty")


def test_finds_a_column_and_an_index_added_by_hand_to_one_tenant(two_tenants):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE t_drifty.projects_project ADD COLUMN hotfix text")
        cursor.execute("DROP INDEX t_drifty.task_due_date_idx")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 tenant schema"):
        call_command("check_schemas", schema=["t_driftless", "t_drifty"], stdout=out)
    text = out.getvalue()
    assert "t_drifty: 2 difference(s)" in text
    assert "column projects_project.hotfix is not in the template (tenant: text NULL)" in text
    assert "index task_due_date_idx is missing" in text
    assert "t_driftless" not in text

    with pytest.raises(CommandError):
        call_command("check_schemas", schema=["t_drifty"], json=True, stdout=(out := io.StringIO()))
    report = json.loads(out.getvalue())
    assert {d["name"] for d in report["drift"]["t_drifty"]} == {
        "projects_project.hotfix",
        "task_due_date_idx",
    }


def test_a_changed_default_is_drift(two_tenants):
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE t_drifty.tracker_taskstatus ALTER COLUMN color SET DEFAULT '#000000'"
        )
    with pytest.raises(CommandError):
        check("t_drifty")
