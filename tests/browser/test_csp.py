"""The Content-Security-Policy (issue 13) blocks nothing the app or the docs use: every
view and both docs pages load without a single CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
VIEWS = ["design", "conv", "features", "train", "learn"]


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def note(message) -> None:  # type: ignore[no-untyped-def]
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            found.append(text)

    page.on("console", note)
    return found


def test_every_view_runs_under_the_policy(live_server: str, page: Page) -> None:
    found = _violations(page)
    response = page.goto(f"{live_server}/#design")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for view in VIEWS:
        page.goto(f"{live_server}/#{view}")
        expect(page.locator("main#view > *").first).to_be_visible()  # the view rendered
        page.wait_for_load_state("networkidle")
        shot(page, f"csp_{view}")
    page.goto(f"{live_server}/#conv/in=textbook")  # style attributes: the grid's --cols
    expect(page.locator("[data-formula]")).to_contain_text("= 3")
    shot(page, "csp_conv_textbook")
    assert not found, found


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_run_under_the_policy(live_server: str, page: Page, path: str) -> None:
    found = _violations(page)
    page.goto(f"{live_server}{path}")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("/api/shapes").first).to_be_visible(timeout=30_000)
    shot(page, f"csp{path.replace('/', '_')}")
    assert not found, found
