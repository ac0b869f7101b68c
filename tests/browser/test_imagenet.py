"""Real pretrained networks in the browser (issue 17): one click downloads "ImageNet weights"
(from a local HTTP server: a ResNet-18 checkpoint drawn from a seed under torchvision's key
names), a photo gets five ImageNet-labelled predictions; a torchvision checkpoint
fine-tuned to 5 classes imports as a 5-class network; Design marks what is downloadable."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PIL import Image
from playwright.sync_api import Page, expect

import models
from models.torchvision import key_map
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.data import imagenet
from server.net.weights import official
from tests.browser.conftest import SHOTS, fresh_settings, serve
from tests.net.data.test_stream import RangeServer
from tests.net.weights.test_pretrained import pth

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def shot(page: Page, name: str) -> None:
    """The screen as a person sees it (the viewport, not the whole long page)."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def torchvision_checkpoint(classes: int = 1000, seed: int = 0) -> dict[str, torch.Tensor]:
    """A ResNet-18 state_dict under torchvision's key names: cnnplay's module drawn from a
    seed, re-keyed by inverting the import's key map (the same rule the import uses)."""
    spec = with_head(models.get("resnet18"), classes)
    torch.manual_seed(seed)
    state = build_module(spec).state_dict()
    return {tv: state[key] for tv, key in key_map("resnet18", spec).items()}


@pytest.fixture(scope="module")
def web() -> Iterator[RangeServer]:
    with RangeServer() as server:
        yield server


@pytest.fixture(scope="module")
def imagenet_server(tmp_path_factory: pytest.TempPathFactory, web: RangeServer) -> Iterator[str]:
    """A server whose manifest line for resnet18 names the fake file (a made-up file cannot
    match the published sha256 prefix, so its own prefix goes in, as B's tests do); every
    other architecture keeps its real facts. Conversion is the real one."""
    data = pth(torchvision_checkpoint())
    prefix = hashlib.sha256(data).hexdigest()[:8]
    name = f"resnet18-{prefix}.pth"
    web.files[name] = data
    real = official.read_manifest()
    fake = dataclasses.replace(
        real["resnet18"], file_name=name, url=web.url + name, sha256_prefix=prefix, bytes=len(data)
    )
    settings = fresh_settings(tmp_path_factory, "imagenet")
    settings.pretrained_base_url = web.url
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            official, "read_manifest", lambda path=official.MANIFEST: {**real, "resnet18": fake}
        )
        with serve(settings) as url:
            yield url


def photo(path: Path) -> Path:
    """A 320x240 PNG: a yellow disc on green, roughly a flower."""
    img = Image.new("RGB", (320, 240), (40, 120, 40))
    for y in range(240):
        for x in range(320):
            if (x - 160) ** 2 + (y - 120) ** 2 < 70**2:
                img.putpixel((x, y), (240, 200, 30))
    img.save(path)
    return path


def test_one_click_imagenet_weights_then_labelled_predictions(
    page: Page, imagenet_server: str, web: RangeServer, tmp_path: Path
) -> None:
    page.goto(f"{imagenet_server}/#features/net=zoo:resnet18&img=flower")
    expect(page.locator("#fm-note")).to_contain_text("random weights")
    control = page.locator("#fm-imagenet")
    expect(page.locator("#fm-imagenet-zoo")).to_have_value("resnet18")
    expect(control).to_have_attribute("data-status", "absent")
    web.flowing.clear()  # the body waits: the bar is seen at its start
    page.get_by_role("button", name="ImageNet weights", exact=True).click()
    bar = page.get_by_role("progressbar", name="ImageNet weights download")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuetext", "0 KB of 46.8 MB")
    expect(page.locator("#fm-imagenet-cancel")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "imagenet-downloading")
    web.flowing.set()

    # Ready: the network switches to the converted weights, labelled with ImageNet's classes.
    expect(page.locator("#fm-net")).to_have_value("weights:imagenet-resnet18", timeout=120_000)
    expect(control).to_have_attribute("data-status", "ready")
    expect(page.locator('#fm-net optgroup[data-kind="imagenet"] option')).to_have_count(1)
    expect(page.locator("#fm-note")).to_contain_text("ImageNet")
    expect(page.locator("#fm-tv-prep")).to_contain_text("resize the shorter side to 256")
    expect(page.locator("#fm-tv-prep")).to_contain_text("centre crop 224×224")
    expect(page.locator("#fm-tv-prep")).to_contain_text(
        "mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]"
    )

    # Upload a photo: five predictions, each an ImageNet class name with its probability.
    page.click('.fm-seg button[data-src="upload"]')
    page.set_input_files("#fm-file", str(photo(tmp_path / "flower.png")))
    expect(page.locator("#fm-tv-prep")).to_contain_text("320×240 image", timeout=60_000)
    preds = page.locator("#fm-preds li")
    expect(preds).to_have_count(5)
    names = set(imagenet.class_names())
    texts = [preds.nth(i).get_attribute("aria-label") for i in range(5)]
    for text in texts:
        label, p = text.rsplit(" ", 1)
        assert label in names and 0 <= float(p) <= 1, text
    top = page.locator("#fm-preds").get_attribute("data-top")
    assert texts[0].startswith(top)
    # The last layer's strip names its classes.
    last = page.locator(".fm-layer").last
    last.scroll_into_view_if_needed()
    expect(last.locator(".fm-classes")).to_have_attribute("data-classes", "1000")
    expect(last.locator(".fm-classes")).to_contain_text("tench, goldfish")
    expect(last.locator(".fm-classes")).to_contain_text(top)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "imagenet-predictions")
    page.set_viewport_size(PHONE)
    shot(page, "imagenet-predictions-phone")

    # The library groups the download and shows its disk use.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.click("#fm-more-weights summary")
    expect(page.locator("#fm-usage")).to_contain_text("1 file")


def test_fine_tuned_torchvision_checkpoint_imports_as_five_classes(
    page: Page, imagenet_server: str, tmp_path: Path
) -> None:
    page.goto(f"{imagenet_server}/#features/net=zoo:resnet18&img=flower")
    expect(page.locator("#fm-note")).to_contain_text("random weights")
    page.click("#fm-more-weights summary")
    expect(page.locator("#fm-import-for")).to_have_value("zoo:resnet18")

    # A broken checkpoint is refused, naming the key.
    broken = torchvision_checkpoint(classes=5)
    del broken["fc.bias"]
    bad = tmp_path / "broken.pth"
    torch.save(broken, bad)
    page.set_input_files("#fm-import-file", str(bad))
    refused = page.locator("#fm-import-error")
    expect(refused).to_contain_text("Import refused (broken.pth)", timeout=60_000)
    expect(refused.locator("li", has_text="fc.bias")).to_contain_text("missing from the file")
    shot(page, "imagenet-import-refused")

    mine = tmp_path / "flowers5.pth"
    torch.save(torchvision_checkpoint(classes=5, seed=1), mine)
    page.set_input_files("#fm-import-file", str(mine))
    upload_id = re.compile(r"weights:upload-[0-9a-f]{32}")
    expect(page.locator("#fm-net")).to_have_value(upload_id, timeout=60_000)
    expect(page.locator("#fm-note")).to_contain_text("imported weights: flowers5")
    preds = page.locator("#fm-preds li")
    expect(preds).to_have_count(5, timeout=60_000)
    labels = sorted(preds.nth(i).locator(".fm-label").inner_text() for i in range(5))
    assert labels == ["0", "1", "2", "3", "4"]
    last = page.locator(".fm-layer").last
    last.scroll_into_view_if_needed()
    expect(last.locator(".fm-classes")).to_have_attribute("data-classes", "5")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "imagenet-imported-5-classes")


def test_design_marks_imagenet_weights_and_imports(page: Page, imagenet_server: str) -> None:
    item = f"{imagenet_server}/api/pretrained/imagenet-resnet18"
    assert page.request.post(f"{item}/download").status in (200, 202)
    end = time.monotonic() + 120
    while page.request.get(item).json()["status"] != "ready":
        assert time.monotonic() < end, page.request.get(item).json()
        time.sleep(0.2)
    page.goto(f"{imagenet_server}/#design")
    option = page.locator('[data-testid=start] option[value="zoo:resnet18"]')
    expect(option).to_contain_text("ImageNet weights ready")
    expect(page.locator('[data-testid=start] option[value="zoo:alexnet"]')).to_contain_text(
        "downloadable"
    )
    page.select_option("[data-testid=start]", "zoo:resnet18")
    expect(page.get_by_test_id("total-params")).to_have_text("11,689,512")
    panel = page.locator("#d-pretrained")
    expect(panel).to_contain_text("ImageNet weights ready")
    link = panel.get_by_role("link", name="Open in Feature maps")
    expect(link).to_have_attribute("href", "#features/net=weights:imagenet-resnet18")
    expect(panel.locator("#d-import-for")).to_have_value("zoo:resnet18")
    shot(page, "imagenet-design")
    page.set_viewport_size(PHONE)
    panel.scroll_into_view_if_needed()
    shot(page, "imagenet-design-phone")
    link.click()
    expect(page.locator("#fm-net")).to_have_value("weights:imagenet-resnet18")
