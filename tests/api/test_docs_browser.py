"""A real browser (Debian's headless Chromium) opens Swagger UI on a tenant host."""

from urllib.parse import urlsplit

from tests.browser import chromium_launch, needs_chromium

pytestmark = needs_chromium


def test_swagger_ui_on_a_tenant_host_lists_the_operations(live_server, acme):
    from playwright.sync_api import sync_playwright

    port = urlsplit(live_server.url).port
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            page = browser.new_page()
            response = page.goto(f"http://acme.localhost:{port}/api/docs/")
            assert response.status == 200
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            paths = set(page.locator(".opblock-summary-path").all_inner_texts())
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()
    assert {"/api/tasks/", "/api/tasks/{task}/comments/", "/api/auth/token/"} <= paths
    assert "Dev Context API" in title
