"""/docs and /redoc render offline: every request outside the server is blocked (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, Response, Route, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


@dataclass
class Traffic:
    blocked: list[str] = field(default_factory=list)  # requests that left the server
    failed: list[str] = field(default_factory=list)  # failed or answered >= 400
    console: list[str] = field(default_factory=list)  # console errors

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests outside the server: {self.blocked}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.console, f"console errors: {self.console}"


@pytest.fixture
def offline(live_server: str, page: Page) -> Iterator[Traffic]:
    """The page with every request not to the live server aborted, and all trouble noted."""
    traffic = Traffic()

    def gate(route: Route) -> None:
        url = route.request.url
        if url.startswith(live_server) or url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            traffic.blocked.append(url)
            route.abort()

    page.route("**/*", gate)
    page.on("requestfailed", lambda r: traffic.failed.append(f"{r.url} {r.failure}"))

    def on_response(response: Response) -> None:
        if response.status >= 400:
            traffic.failed.append(f"{response.url} {response.status}")

    page.on("response", on_response)
    page.on("console", lambda m: traffic.console.append(m.text) if m.type == "error" else None)
    yield traffic


def test_swagger_ui_renders_the_operations_offline(
    live_server: str, page: Page, offline: Traffic
) -> None:
    page.goto(live_server + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    health = page.locator(".opblock-get", has_text="/api/health")
    expect(health).to_be_visible()
    assert page.locator(".opblock").count() > 20  # every router's operations, not one
    health.locator(".opblock-summary").click()  # expand it: the responses section renders
    expect(health.locator(".responses-wrapper")).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "docs_swagger")
    offline.assert_clean()


def test_redoc_renders_the_operations_offline(
    live_server: str, page: Page, offline: Traffic
) -> None:
    page.goto(live_server + "/redoc")
    operations = page.locator('[data-section-id^="operation/"]')
    expect(operations.first).to_be_attached()
    assert operations.count() > 20
    expect(page.get_by_role("heading", name="cnnplay").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "docs_redoc")
    offline.assert_clean()


def test_the_app_icon_loads(live_server: str, page: Page, offline: Traffic) -> None:
    page.goto(live_server + "/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href == "favicon.svg"
    ok = page.evaluate(
        """async (href) => {
          const img = new Image();
          img.src = href;
          await img.decode();
          return [img.naturalWidth > 0, img.naturalHeight > 0];
        }""",
        href,
    )
    assert ok == [True, True]
    offline.assert_clean()
