"""A class in the browser (issue 14): the teacher makes a class code, two students join
in browsers of their own, each designs and trains; neither sees the other's work, the
teacher sees both. Also the "paste your token" screen a 401 brings up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import TOKEN, anonymous, fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def class_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "classroom")) as url:
        yield url


def new_page(browser: Browser, viewport: dict[str, int], signed_in: bool = True) -> Page:
    context = browser.new_context(viewport=viewport)
    if not signed_in:
        anonymous(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def sign_in_screen(page: Page):
    return page.get_by_role("dialog", name="Sign in to cnnplay")


def test_a_401_asks_for_the_token_and_pasting_it_signs_in(
    class_server: str, browser: Browser
) -> None:
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(browser, viewport, signed_in=False)
        page.goto(f"{class_server}/#design")
        expect(sign_in_screen(page)).to_be_visible()
        shot(page, f"classroom-signin-{name}")
        assert axe_violations(page) == []
        page.fill("#signin-token", "not-the-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not a valid token")
        page.fill("#signin-token", TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(sign_in_screen(page)).to_have_count(0)
        expect(page.locator("[data-add=conv2d]")).to_be_visible()  # the view went on loading
        expect(page.locator(".who")).to_contain_text("Teacher (teacher)")
        expect(page.get_by_role("link", name="Class")).to_be_visible()
        page.context.close()


def join(page: Page, url: str, code: str, name: str, viewport: str) -> None:
    page.goto(f"{url}/join")
    page.fill("#join-code", code)
    page.fill("#join-name", name)
    if name == "Ada":
        shot(page, f"classroom-join-{viewport}")
        assert axe_violations(page) == []
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    expect(page.locator("#join-token")).not_to_be_empty()
    page.get_by_role("link", name="Start designing").click()
    expect(page.locator("[data-add=conv2d]")).to_be_visible()
    expect(page.locator(".who")).to_contain_text(name)
    expect(page.get_by_role("link", name="Class")).to_be_hidden()  # the teacher's only


def design_and_train(page: Page, url: str, name: str) -> None:
    page.select_option("[data-testid=start]", "t:small_cnn")
    page.fill("[data-testid=net-name]", f"{name}'s net")
    page.click("[data-testid=save]")
    expect(page.get_by_test_id("toolbar-status")).to_contain_text("Saved")
    page.goto(f"{url}/#train")
    page.select_option("select[name=network]", "zoo:mlp")
    page.select_option("select[name=dataset]", "digits")
    page.fill("input[name=epochs]", "1")
    page.get_by_test_id("start").click()


def test_two_students_work_apart_and_the_teacher_sees_both(
    class_server: str, browser: Browser
) -> None:
    teacher = new_page(browser, DESKTOP)
    teacher.goto(f"{class_server}/#class")
    teacher.get_by_role("button", name="Make a class code").click()
    code = teacher.locator("p.class-code").inner_text()
    assert len(code) == 8
    students = {"Ada": new_page(browser, DESKTOP, False), "Bo": new_page(browser, PHONE, False)}
    for name, page in students.items():
        join(page, class_server, code, name, "desktop" if name == "Ada" else "phone")
        design_and_train(page, class_server, name)
    for name, page in students.items():
        expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=90_000)
        expect(page.locator(".runs-table tbody tr")).to_have_count(1)  # only their own run
        page.goto(f"{class_server}/#design")
        other = "Bo" if name == "Ada" else "Ada"
        expect(page.locator(".saved-list li", has_text=f"{name}'s net")).to_be_visible()
        expect(page.locator(".saved-list li", has_text=f"{other}'s net")).to_have_count(0)
        names = [n["name"] for n in page.request.get(f"{class_server}/api/networks").json()]
        assert names == [f"{name}'s net"]
    teacher.reload()
    users = teacher.locator("#class-users tbody tr")
    expect(users).to_have_count(3)
    for name in ("Ada", "Bo"):
        cells = teacher.locator("#class-users tbody tr", has_text=name).locator("td")
        expect(cells.nth(0)).to_have_text("1")  # designs
        expect(cells.nth(1)).to_have_text("1")  # runs
    designs = teacher.locator("#class-networks tbody tr")
    expect(designs).to_have_count(2)
    expect(teacher.locator("#class-runs tbody tr")).to_have_count(2)
    shot(teacher, "classroom-class-desktop")
    assert axe_violations(teacher) == []
    # Sharing Ada's design shows it to Bo, read-only
    teacher.get_by_role("checkbox", name="Share Ada's net with the class").check()
    bo = students["Bo"]
    bo.reload()
    expect(bo.locator(".saved-list li", has_text="Ada's net")).to_be_visible()
    teacher.set_viewport_size(PHONE)
    shot(teacher, "classroom-class-phone")
    for page in (teacher, *students.values()):
        page.context.close()
