"""A design the teacher shared opens read-only for a student, who copies it to change it
(issue 14: POST /api/networks/{id}/copy)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import anonymous, fresh_settings, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SPEC = {
    "name": "Teacher's net",
    "input": {"channels": 1, "height": 28, "width": 28},
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "shared")) as url:
        yield url


def teacher_shares(page: Page, url: str) -> tuple[str, str]:
    """The teacher saves and shares a design and makes a student: (design id, token)."""
    page.goto(f"{url}/#class")
    return tuple(
        page.evaluate(
            """async (spec) => {
              const send = async (method, path, body) => {
                const headers = { "content-type": "application/json" };
                const r = await fetch(path, { method, headers, body: JSON.stringify(body) });
                if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
                return r.json();
              };
              const { id } = await send("POST", "/api/networks", spec);
              await send("PUT", `/api/networks/${id}/shared`, { shared: true });
              const { token } = await send("POST", "/api/users", { name: "Ada" });
              return [id, token];
            }""",
            SPEC,
        )
    )


def inert(page: Page, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "(el) => el.inert"))


def test_a_student_opens_a_shared_design_read_only_and_copies_it(
    shared_server: str, page: Page, browser: Browser
) -> None:
    net_id, token = teacher_shares(page, shared_server)
    context = anonymous(browser.new_context(viewport={"width": 1280, "height": 800}))
    student = context.new_page()
    student.goto(f"{shared_server}/?token={token}#design")
    row = student.locator(f'.saved-list li[data-network-id="{net_id}"]')
    expect(row).to_contain_text("Teacher's net")
    expect(row.locator(".badge.shared")).to_have_text("shared · read-only")
    expect(row.get_by_role("button", name="Delete Teacher's net")).to_have_count(0)

    row.locator("button.open").click()
    note = student.get_by_test_id("read-only")
    expect(note).to_be_visible()
    expect(note).to_contain_text("“Teacher's net” is shared with the class")
    expect(student.get_by_test_id("net-name")).to_have_value("Teacher's net")
    expect(student.get_by_test_id("save")).to_be_disabled()
    expect(student.get_by_test_id("undo")).to_be_disabled()
    for sel in ('[data-testid="net-name"]', ".palette", ".d-main", ".inspector"):
        assert inert(student, sel), sel
    assert axe_violations(student) == []
    shot(student, "design_shared_read_only")
    student.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(student) == []
    shot(student, "design_shared_read_only_phone")
    student.set_viewport_size({"width": 1280, "height": 800})

    student.get_by_test_id("copy-design").click()
    expect(note).to_be_hidden()
    expect(student.get_by_test_id("toolbar-status")).to_contain_text(
        "Copied “Teacher's net” to your designs"
    )
    expect(student.get_by_test_id("save")).to_be_enabled()
    assert not inert(student, ".palette")
    expect(student.locator(".saved-list li")).to_have_count(2)
    mine = student.locator(".saved-list li.current")
    expect(mine.get_by_role("button", name="Delete Teacher's net")).to_be_visible()
    copy_id = mine.get_attribute("data-network-id")
    assert copy_id and copy_id != net_id
    # The copy is the student's own: renamed and saved, the teacher's stays as it was.
    student.get_by_test_id("net-name").fill("Ada's copy")
    student.get_by_test_id("save").click()
    expect(student.get_by_test_id("toolbar-status")).to_contain_text("Saved “Ada's copy”")
    names = {
        n["id"]: n["name"] for n in student.request.get(f"{shared_server}/api/networks").json()
    }
    assert names == {copy_id: "Ada's copy", net_id: "Teacher's net"}
    context.close()
