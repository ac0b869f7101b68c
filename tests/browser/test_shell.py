"""The page shell: it loads, every tab is reachable and routes by the hash."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_tabs_route_by_hash(live_server: str, page: Page) -> None:
    page.goto(live_server + "/")
    for view in ("design", "conv", "features"):
        page.click(f'.tabs a[data-view="{view}"]')
        expect(page.locator("#view")).to_have_attribute("data-view", view)
        expect(page.locator(f'.tabs a[data-view="{view}"]')).to_have_attribute(
            "aria-current", "page"
        )
