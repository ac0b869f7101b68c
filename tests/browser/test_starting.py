"""The top bar's starting notice (frontend/js/views/starting.js): while the server is
still loading torch and the rest (server/loading.py) the page says so, and the notice goes
once it is ready; a failed load stays on screen with its reason."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = [pytest.mark.browser]


def test_the_page_says_the_server_is_starting_until_it_is_ready(
    page: Page, tmp_path_factory: pytest.TempPathFactory, held: threading.Event
) -> None:
    with serve(fresh_settings(tmp_path_factory, "starting"), loaded=False) as url:
        page.goto(f"{url}/#design")
        notice = page.get_by_test_id("starting")
        expect(notice).to_be_visible()
        expect(notice).to_have_attribute("role", "status")
        expect(notice).to_contain_text("still loading PyTorch")
        shot(page, "starting")
        held.set()
        expect(notice).to_have_count(0, timeout=60_000)
        expect(page.locator("[data-add=conv2d]")).to_be_visible(timeout=60_000)  # the view


def test_a_failed_start_stays_on_screen_with_its_reason(
    page: Page, tmp_path_factory: pytest.TempPathFactory, broken_load: str
) -> None:
    with serve(fresh_settings(tmp_path_factory, "broken"), loaded=False) as url:
        page.goto(f"{url}/#design")
        notice = page.get_by_test_id("starting")
        expect(notice).to_contain_text("failed to start")
        expect(notice).to_contain_text(broken_load)
        expect(notice).to_have_attribute("role", "alert")
        shot(page, "starting_failed")
