"""The designer (issue 3), driven in Chromium: build, inspect, break, save, share."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

LENET_SHAPES = {
    "layers.0": "6x28x28",
    "layers.1": "6x28x28",
    "layers.2": "6x14x14",
    "layers.3": "16x10x10",
    "layers.5": "16x5x5",
    "layers.6": "400",
    "layers.7": "120",
    "layers.9": "84",
    "layers.11": "10",
}


def open_designer(page: Page, base: str, rest: str = "") -> None:
    page.goto(f"{base}/#design{'/' + rest if rest else ''}")
    expect(page.locator("[data-add=conv2d]")).to_be_visible()


def row(page: Page, path: str):
    return page.locator(f'li[data-path="{path}"]')


def shape_of(page: Page, path: str):
    return row(page, path).locator(":scope > .row-main [data-testid=shape]")


def add(page: Page, kind: str, **fields: object) -> None:
    """Click a palette item, then type each setting into the form (the new layer is selected)."""
    page.click(f"[data-add={kind}]")
    for key, value in fields.items():
        page.fill(f"#f-{key}", str(value))


def start_from(page: Page, value: str) -> None:
    page.select_option("[data-testid=start]", value)


def test_build_lenet5_from_blank_shows_every_shape_and_61706_params(
    page: Page, live_server: str
) -> None:
    open_designer(page, live_server)
    expect(page.get_by_test_id("total-params")).to_have_text("0")
    shot(page, "design-blank")
    page.fill("[data-testid=input-channels]", "1")
    page.fill("[data-testid=input-height]", "32")
    page.fill("[data-testid=input-width]", "32")
    add(page, "conv2d", out_channels=6, kernel_size=5)
    add(page, "relu")
    add(page, "maxpool2d", kernel_size=2)
    add(page, "conv2d", out_channels=16, kernel_size=5)
    add(page, "relu")
    add(page, "maxpool2d", kernel_size=2)
    add(page, "flatten")
    add(page, "linear", out_features=120)
    add(page, "relu")
    add(page, "linear", out_features=84)
    add(page, "relu")
    add(page, "linear", out_features=10)
    expect(page.get_by_test_id("total-params")).to_have_text("61,706")
    for path, text in LENET_SHAPES.items():
        expect(shape_of(page, path)).to_have_text(text)
    expect(page.get_by_test_id("output-shape")).to_have_text("10")
    # the selected layer's formula, worked with its numbers by the server
    page.click('li[data-path="layers.3"] > .row-main')
    expect(page.get_by_test_id("formula")).to_have_text(re.compile(r"14.*5.*= 10"))
    # the diagram draws one box per layer plus the input
    expect(page.locator("[data-testid=diagram] g.dia-box")).to_have_count(13)
    shot(page, "design-lenet")


def test_resnet18_from_the_zoo_has_11689512_params(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:resnet18")
    expect(page.get_by_test_id("total-params")).to_have_text("11,689,512")
    expect(page.get_by_test_id("output-shape")).to_have_text("1000")
    # blocks are listed with their children; the diagram folds the eight residual blocks
    # as the list does, and draws a block's merge once it is opened
    expect(page.locator("li[data-type=residual]").first).to_be_visible()
    folded = page.locator("[data-testid=diagram] g.dia-box.folded")
    expect(folded).to_have_count(8)
    folded.first.click()
    expect(folded).to_have_count(7)
    expect(page.locator("[data-testid=diagram] circle")).to_have_count(1)


def test_resnet50_screenshot(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:resnet50")
    expect(page.get_by_test_id("total-params")).to_have_text("25,557,032")
    shot(page, "design-resnet50")


def test_impossible_layer_is_marked_where_it_is(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(shape_of(page, "layers.3")).to_have_text("16x14x14")
    page.click('li[data-path="layers.3"] > .row-main')
    page.fill("#f-kernel_size", "20")
    err = row(page, "layers.3").get_by_test_id("layer-error")
    expect(err).to_contain_text("layers.3")
    expect(row(page, "layers.3")).to_have_class(re.compile("has-error"))
    expect(page.get_by_test_id("status")).to_have_text("error at layers.3")
    # the layers before it keep their shapes; the ones after have none
    expect(shape_of(page, "layers.0")).to_have_text("8x28x28")
    expect(shape_of(page, "layers.2")).to_have_text("8x14x14")
    expect(shape_of(page, "layers.7")).to_have_text("–")
    shot(page, "design-error")
    # fixing it clears the error
    page.fill("#f-kernel_size", "3")
    expect(page.get_by_test_id("layer-error")).to_have_count(0)
    expect(shape_of(page, "layers.3")).to_have_text("16x14x14")


def test_a_bad_field_is_refused_in_the_form_not_sent(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    page.click('li[data-path="layers.0"] > .row-main')
    page.fill("#f-out_channels", "0")
    expect(page.locator("#f-out_channels")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error").first).to_contain_text("between 1 and")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")


def test_move_by_keyboard_undo_and_redo(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")  # rows settled
    expect(row(page, "layers.1")).to_have_attribute("data-type", "relu")
    row(page, "layers.1").locator(":scope > .row-main").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(row(page, "layers.0")).to_have_attribute("data-type", "relu")
    expect(row(page, "layers.0")).to_have_attribute("data-selected", "true")
    page.keyboard.press("Control+z")
    expect(row(page, "layers.0")).to_have_attribute("data-type", "conv2d")
    page.keyboard.press("Control+Shift+z")
    expect(row(page, "layers.0")).to_have_attribute("data-type", "relu")
    page.click("[data-testid=undo]")
    expect(row(page, "layers.0")).to_have_attribute("data-type", "conv2d")
    # move buttons, duplicate, remove
    row(page, "layers.7").locator("button[title=Duplicate]").click()
    expect(page.locator("li[data-type=linear]")).to_have_count(2)
    row(page, "layers.8").locator("button[aria-label=Remove]").click()
    expect(page.locator("li[data-type=linear]")).to_have_count(1)
    row(page, "layers.1").locator("button[aria-label='Move down']").click()
    expect(row(page, "layers.2")).to_have_attribute("data-type", "relu")


def test_add_inside_a_block(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:residual_demo")
    expect(page.get_by_test_id("total-params")).to_have_text("2,970")
    page.click('[data-target="layers.1.shortcut"]')
    add(page, "conv2d", out_channels=16, kernel_size=1)
    expect(row(page, "layers.1.shortcut.0")).to_have_attribute("data-type", "conv2d")
    expect(shape_of(page, "layers.1.shortcut.0")).to_have_text("16x32x32")
    expect(page.get_by_test_id("total-params")).to_have_text("3,242")


def test_save_reload_and_reopen(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    page.fill("[data-testid=net-name]", "Saved net 42")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    page.click("[data-testid=save]")
    expect(page.get_by_test_id("toolbar-status")).to_contain_text("Saved")
    page.goto(f"{live_server}/")
    page.reload()
    # the last design comes back after a reload (kept in localStorage) ...
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    page.evaluate("localStorage.clear()")
    page.goto("about:blank")
    page.goto(f"{live_server}/")
    # ... and without it the page opens blank, and the saved list reopens the design
    expect(page.get_by_test_id("total-params")).to_have_text("0")
    entry = page.locator(".saved-list li", has_text="Saved net 42")
    expect(entry).to_be_visible()
    entry.locator("button.open").click()
    expect(page.get_by_test_id("net-name")).to_have_value("Saved net 42")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    # saving a reopened design updates it in place
    page.fill("[data-testid=net-name]", "Saved net 43")
    page.click("[data-testid=save]")
    entry = page.locator(".saved-list li", has_text="Saved net 43")
    expect(entry).to_be_visible()
    expect(page.locator(".saved-list li", has_text="Saved net 42")).to_have_count(0)
    page.once("dialog", lambda d: d.accept())
    entry.get_by_role("button", name="Delete").click()
    expect(page.locator(".saved-list li", has_text="Saved net 43")).to_have_count(0)


def test_share_link_restores_the_design_in_a_fresh_page(
    page: Page, browser: Browser, live_server: str
) -> None:
    open_designer(page, live_server)
    start_from(page, "t:residual_demo")
    page.fill("[data-testid=net-name]", "Réseau ✓")
    expect(page.get_by_test_id("total-params")).to_have_text("2,970")
    page.click("[data-testid=share]")
    link = page.get_by_test_id("share-link").input_value()
    assert re.search(r"#design/[A-Za-z0-9_-]+$", link)
    fresh = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = fresh.new_page()
        other.goto(link)
        expect(other.get_by_test_id("total-params")).to_have_text("2,970")
        expect(other.get_by_test_id("net-name")).to_have_value("Réseau ✓")
        expect(other.locator("li[data-path]")).to_have_count(page.locator("li[data-path]").count())
    finally:
        fresh.close()


def test_exports_and_diagram_downloads(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    with page.expect_download() as dl:
        page.click("[data-testid=dl-svg]")
    assert dl.value.suggested_filename == "Small_CNN.svg"
    assert b"<svg" in Path(dl.value.path()).read_bytes()
    with page.expect_download() as dl:
        page.click("[data-testid=dl-png]")
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as dl:
        page.click("[data-testid=export-py]")
    assert dl.value.suggested_filename == "Small_CNN.py"
    assert "nn." in Path(dl.value.path()).read_text(encoding="utf-8")


def test_formula_lab_asks_the_server(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    lab = page.get_by_test_id("lab-formula")
    expect(lab).to_contain_text("= 5")  # n=7, f=3, p=0, s=1
    page.fill("[data-knob=p]", "1")
    expect(lab).to_contain_text("2*1")
    expect(lab).to_contain_text("= 7")


def test_phone_width_stacks_panels(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_designer(page, live_server)
    start_from(page, "zoo:lenet5")
    expect(page.get_by_test_id("total-params")).to_have_text("61,706")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page is {overflow}px wide at phone width"
    shot(page, "design-phone")


def test_pure_modules_in_the_page(page: Page, live_server: str) -> None:
    """lib/: hash round trip (UTF-8), moves across stacks, undo coalescing."""
    open_designer(page, live_server)
    result = page.evaluate(
        """async () => {
        const codec = await import('/js/lib/hash_codec.js');
        const E = await import('/js/lib/spec_edit.js');
        const { History } = await import('/js/lib/history.js');
        const spec = {name: 'ünï ✓', input: {channels: 1, height: 8, width: 8},
          layers: [{type: 'relu'}, {type: 'residual', body: [{type: 'tanh'}], shortcut: []}]};
        const back = codec.decodeSpec(codec.encodeSpec(spec));
        const [moved, to] = E.moveTo(spec, 'layers.0', 'layers.1.body', 1);
        const [self] = E.moveTo(spec, 'layers.1', 'layers.1.body', 0);
        const hist = new History(1);
        hist.push(2, 'a'); hist.push(3, 'a'); hist.push(4, 'b');
        const u1 = hist.undo(); const u2 = hist.undo();
        return {back, to, moved, same: self === spec, u1, u2, bad: codec.decodeSpec('%%%')};
    }"""
    )
    assert result["back"]["name"] == "ünï ✓"
    assert result["to"] == "layers.0.body.1"
    assert [x["type"] for x in result["moved"]["layers"][0]["body"]] == ["tanh", "relu"]
    assert result["same"] is True
    assert (result["u1"], result["u2"]) == (3, 1)
    assert result["bad"] is None


def test_drag_and_drop_reorders_and_the_design_survives_a_tab_switch(
    page: Page, live_server: str
) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")  # rows settled
    src = row(page, "layers.2").locator(":scope > .row-main")
    dst = row(page, "layers.0").locator(":scope > .row-main")
    src.drag_to(dst, target_position={"x": 40, "y": 3})
    expect(row(page, "layers.0")).to_have_attribute("data-type", "maxpool2d")
    expect(shape_of(page, "layers.0")).to_have_text("1x14x14")
    # Two clicks in a row: Design is asked for again while Convolution's module is still
    # importing, and the router must not mount Convolution over it when that import ends.
    page.click(".tabs a[data-view=conv]")
    page.click(".tabs a[data-view=design]")
    expect(row(page, "layers.0")).to_have_attribute("data-type", "maxpool2d")
    expect(page.locator("#view")).to_have_attribute("data-view", "design")


def test_typing_is_debounced_and_only_the_last_answer_counts(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "t:small_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("9,098")
    page.click('li[data-path="layers.7"] > .row-main')
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/shapes") else None)
    field = page.locator("#f-out_features")
    field.fill("")
    field.press_sequentially("12345")  # 5 keystrokes, far closer together than 150 ms
    # 80 + 1,168 + 784 * 12,345 + 12,345
    expect(page.get_by_test_id("total-params")).to_have_text("9,692,073")
    assert 1 <= len(sent) <= 3, f"{len(sent)} shape requests for 5 keystrokes"


def lock(page: Page, path: str):
    return row(page, path).locator(":scope > .row-main [data-testid=lock]")


def test_locks_freeze_layers_and_the_train_view_uses_them(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:mnist_cnn")
    expect(page.get_by_test_id("total-params")).to_have_text("105,866")
    expect(page.get_by_test_id("frozen-params")).to_have_text("0")
    expect(lock(page, "layers.1")).to_have_count(0)  # a relu has nothing to freeze
    lock(page, "layers.0").click()  # conv 1 -> 16, 3x3: 16*9 + 16 = 160
    expect(page.get_by_test_id("frozen-params")).to_have_text("160")
    expect(page.get_by_test_id("trainable-params")).to_have_text("105,706")
    lock(page, "layers.3").click()  # conv 16 -> 32, 3x3: 32*16*9 + 32 = 4,640
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,800")
    expect(lock(page, "layers.3")).to_have_attribute("aria-pressed", "true")
    expect(row(page, "layers.3")).to_have_class(re.compile(r"\blocked\b"))
    expect(page.get_by_test_id("frozen-note")).to_contain_text("keep their weights")
    assert page.evaluate("location.hash").endswith("~layers.0,layers.3")
    shot(page, "design-locks")
    # Locks survive a reload (hash) and unlocking gives the parameters back.
    page.reload()
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,800")
    lock(page, "layers.0").click()
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,640")

    # The Train view's "fine-tune the later layers" uses the designer's locks and says so.
    page.goto(f"{live_server}/#train")
    section = page.get_by_test_id("transfer")
    # The shipped tiny ResNet is not this design: its default (first stage) is used.
    expect(section.get_by_test_id("pretrained")).to_have_value("tiny_resnet_digits04")
    expect(section.get_by_test_id("locks-from")).to_contain_text("The default")
    section.get_by_test_id("pretrained").select_option("mnist_cnn_digits04")
    section.locator(".mode", has_text="Fine-tune the later layers").click()
    expect(section.get_by_test_id("locks-from")).to_contain_text(
        "Your locks from the designer: layers.3"
    )
    expect(section.locator(".frozen-paths .chip")).to_have_text(["layers.3 conv2d"])
    expect(section.locator(".count.frozen .value")).to_have_text("4,640")
    section.get_by_test_id("locks-from").scroll_into_view_if_needed()
    shot(page, "transfer-designer-locks")


def test_a_locked_block_freezes_its_layers_and_batch_norms(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:tiny_resnet")
    expect(page.get_by_test_id("output-shape")).to_have_text("10")
    lock(page, "layers.3").click()  # the first residual block: 2 x (16*16*9 + bn 32) = 4,672
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,672")
    inner = lock(page, "layers.3.body.0")
    expect(inner).to_be_disabled()
    expect(inner).to_have_attribute("title", re.compile("Frozen with layers.3"))
    note = page.get_by_test_id("frozen-note")
    expect(note).to_contain_text("layers.3.body.1")
    expect(note).to_contain_text("running statistics")
    shot(page, "design-locks-block")
    # The lock follows its block when an earlier layer goes (layers.3 -> layers.2).
    row(page, "layers.2").locator(":scope > .row-main [aria-label=Remove]").click()
    expect(lock(page, "layers.2")).to_have_attribute("aria-pressed", "true")
    expect(row(page, "layers.2")).to_have_attribute("data-type", "residual")
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,672")
    assert page.evaluate("location.hash").endswith("~layers.2")


def test_saved_designs_keep_their_locks(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    start_from(page, "zoo:mnist_cnn")
    # the zoo network has come (it brings its own name, which would overwrite ours)
    expect(page.get_by_test_id("total-params")).to_have_text("105,866")
    page.fill("[data-testid=net-name]", "Locked CNN 7")
    lock(page, "layers.3").click()
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,640")
    page.click("[data-testid=save]")
    expect(page.get_by_test_id("toolbar-status")).to_contain_text("Saved")
    # A fresh page without the hash or localStorage: the saved list brings the locks back.
    page.evaluate("localStorage.clear()")
    page.goto("about:blank")
    page.goto(f"{live_server}/")
    expect(page.get_by_test_id("frozen-params")).to_have_text("0")
    entry = page.locator(".saved-list li", has_text="Locked CNN 7")
    entry.locator("button.open").click()
    expect(page.get_by_test_id("net-name")).to_have_value("Locked CNN 7")
    expect(page.get_by_test_id("frozen-params")).to_have_text("4,640")
    expect(lock(page, "layers.3")).to_have_attribute("aria-pressed", "true")
