"""The layers and networks of issue 16 in the designer: the palette's upsampling group,
the forms of conv_transpose2d / upsample / a depthwise conv, and the mobile networks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.test_design import add, open_designer, row, shape_of, start_from

pytestmark = pytest.mark.browser


def test_new_layers_from_the_palette_with_their_forms(page: Page, live_server: str) -> None:
    open_designer(page, live_server)
    group = page.locator(".pal-group", has=page.locator("h3", has_text="upsampling"))
    expect(group.locator("[data-add]")).to_have_count(2)
    for kind in ("groupnorm", "layernorm", "relu6", "silu", "hardswish", "hardsigmoid"):
        expect(page.locator(f"[data-add={kind}]")).to_be_visible()
    page.fill("[data-testid=input-channels]", "8")
    page.fill("[data-testid=input-height]", "14")
    page.fill("[data-testid=input-width]", "14")
    add(page, "conv_transpose2d", out_channels=8, kernel_size=3, stride=2, padding=1)
    expect(page.locator("#f-output_padding")).to_be_visible()
    page.fill("#f-output_padding", "1")
    expect(shape_of(page, "layers.0")).to_have_text("8x28x28")  # (14-1)*2 - 2 + 2 + 1 + 1
    add(page, "conv2d", out_channels=8, kernel_size=3, padding=1, groups="depthwise")
    expect(shape_of(page, "layers.1")).to_have_text("8x28x28")
    diagram = page.get_by_test_id("diagram")
    expect(diagram.locator("[data-path='layers.1'] text")).to_have_text("dw conv · 8x28x28")
    expect(page.get_by_test_id("total-params")).to_have_text(f"{8 * 8 * 9 + 8 + 8 * 9 + 8:,}")
    add(page, "upsample")
    page.select_option("#f-mode", "bilinear")
    expect(shape_of(page, "layers.2")).to_have_text("8x56x56")
    add(page, "groupnorm")
    page.fill("#f-num_groups", "3")  # 3 does not divide 8 channels: marked where it is
    expect(row(page, "layers.3")).to_contain_text("num_groups=3 must divide the channels (8)")
    page.fill("#f-num_groups", "4")
    expect(shape_of(page, "layers.3")).to_have_text("8x56x56")
    page.click("[data-add=hardswish]")
    row(page, "layers.0").locator(".row-main").click()
    shot(page, "design-new-layers")


@pytest.mark.parametrize(
    ("zoo", "params"),
    [("mobilenet_v2", "3,504,872"), ("mobilenet_v3_small", "2,542,856"),
     ("efficientnet_b0", "5,288,548")],
)  # fmt: skip
def test_mobile_networks_load_with_torchvisions_counts(
    page: Page, live_server: str, zoo: str, params: str
) -> None:
    open_designer(page, live_server)
    start_from(page, f"zoo:{zoo}")
    expect(page.get_by_test_id("total-params")).to_have_text(params)
    expect(page.get_by_test_id("output-shape")).to_have_text("1000")
    # a big network opens with its blocks folded (issue 18): open the diagram's first
    # folded boxes until a depthwise conv (and, but for MobileNetV2, an SE gate) shows
    diagram = page.get_by_test_id("diagram")

    def seen() -> bool:
        labels = diagram.locator("text").all_text_contents()
        dw = any(t.startswith("dw conv · ") for t in labels)
        return dw and (zoo == "mobilenet_v2" or "×" in labels)

    for _ in range(12):
        if seen():
            break
        diagram.locator("g.dia-box.folded").first.dispatch_event("click")
        page.wait_for_timeout(300)
    assert seen()
    shot(page, f"design-{zoo}")
