"""A real browser (headless Chromium): an owner signs in to the tenant admin, creates a task."""

from urllib.parse import urlsplit

import pytest
from django_tenants.utils import tenant_context

from shared_apps.audit.models import AuditEvent
from tenant_apps.tracker.models import Task
from tests.browser import chromium_launch, needs_chromium
from tests.factories import tenant_data as f
from tests.shared_apps.accounts.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


def test_an_owner_signs_in_to_the_tenant_admin_and_creates_a_task(live_server, people):
    from playwright.sync_api import sync_playwright

    with tenant_context(people.tenant):
        project = f.project_make(name="Browser project")
    base = f"http://{people.host}:{urlsplit(live_server.url).port}"
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/")
            page.fill("#id_username", people.owner.email)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name")
            assert people.tenant.name in page.inner_text("#site-name")

            page.goto(f"{base}/admin/tracker/task/add/")
            page.select_option("#id_project", label=str(project))
            page.select_option("#id_status", label="To Do")
            page.fill("#id_title", "Written in the admin")
            page.select_option("#id_assigned_to", label=people.owner.email)
            page.click("input[name=_save]")
            page.wait_for_selector(".messagelist .success")
            message = page.inner_text(".messagelist .success")
            listing = page.inner_text("#result_list")
        finally:
            browser.close()
    assert "was added successfully" in message
    assert "Written in the admin" in listing and people.owner.email in listing
    with tenant_context(people.tenant):
        task = Task.objects.get(title="Written in the admin")
        assert (task.assigned_to, task.created_by) == (people.owner.pk, people.owner.pk)
        assert AuditEvent.objects.filter(action="task.create", target_id=str(task.pk)).exists()
