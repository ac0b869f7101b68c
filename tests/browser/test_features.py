"""The feature-map view in Chromium: ResNet-18 on flower.jpg, a drawn 7, exact values."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from playwright.sync_api import Page, expect

import models
from server.config import Settings
from server.jobs.worker import save_weights
from server.net.core import features as F
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.core.shapes import infer
from server.net.data import mnist
from server.net.train.transfer import feature_extractor_paths, load_pretrained, under
from server.net.weights import library as lib
from server.store import Store, new_id
from tests.browser.conftest import fresh_settings, serve, shot

pytestmark = pytest.mark.browser


def _sample(name: str) -> Image.Image:
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image(name))


@pytest.mark.slow
def test_flower_upload_into_resnet18_shows_every_layer(page: Page, live_server: str, tmp_path):
    path = tmp_path / "flower.jpg"
    _sample("flower.jpg").save(path)
    page.goto(f"{live_server}/#features/net=zoo:resnet18&src=upload")
    page.set_input_files("#fm-file", str(path))
    expect(page.locator("#fm-status")).to_contain_text("layers", timeout=60_000)
    expect(page.locator("#fm-status")).not_to_contain_text("Running")
    paths = [row.path for row in infer(models.get("resnet18")).layers]
    listed = page.locator("#fm-layers a").evaluate_all("els => els.map(e => e.dataset.path)")
    # every layer, in the order it runs: a block's output after its children (issue 18)
    assert sorted(listed) == sorted(paths)
    for block in ("layers.0", "layers.1", "layers.1.layers.0"):
        inside = [i for i, p in enumerate(listed) if p.startswith(f"{block}.")]
        assert inside and listed.index(block) == max(inside) + 1, block
    stem = page.locator('.fm-layer[data-layer="layers.0"]')  # outside its folded block
    expect(stem.locator("canvas").first).to_be_visible(timeout=30_000)
    assert stem.locator(".fm-tile").count() == 64
    page.locator('#fm-layers a[data-path="layers.4.layers.1"]').click()
    grid = page.locator('.fm-layer[data-layer="layers.4.layers.1"] .fm-tile')
    expect(grid.first).to_be_visible(timeout=30_000)
    assert grid.count() == 64  # 512 channels, paged by 64
    expect(page.locator('.fm-layer[data-layer="layers.4.layers.1"] .fm-more')).to_be_visible()
    expect(page.locator("#fm-note")).to_contain_text("random weights")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "features-resnet18-flower")


def _draw_seven(page: Page) -> None:
    box = page.locator(".fm-pad").bounding_box()
    assert box is not None

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    for fx, fy in [(0.45, 0.2), (0.75, 0.2)]:
        page.mouse.move(*at(fx, fy), steps=8)
    for fx, fy in [(0.6, 0.5), (0.45, 0.85)]:
        page.mouse.move(*at(fx, fy), steps=10)
    page.mouse.up()


def test_drawn_seven_is_predicted_seven(page: Page, live_server: str):
    # Start from a preset 0, so a 7 can only come from the drawing.
    page.goto(f"{live_server}/#features/net=weights:mnist_cnn&img=mnist-0&src=draw")
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "0", timeout=30_000)
    with page.expect_response("**/api/images"):
        _draw_seven(page)
    expect(page.locator("#fm-status")).not_to_contain_text("Running", timeout=30_000)
    assert "img=mnist-0" not in page.url
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "7", timeout=30_000)
    expect(page.locator("#fm-preds li.top .fm-label")).to_have_text("7")
    expect(page.locator('.fm-layer[data-layer="layers.0"] .fm-tile').first).to_be_visible()
    shot(page, "features-draw-7")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "features-draw-7-phone")


def test_open_channel_reads_torch_value(page: Page, live_server: str):
    page.goto(f"{live_server}/#features/net=zoo:lenet5_mnist&img=mnist-3")
    tile = page.locator('.fm-layer[data-layer="layers.0"] .fm-tile[data-channel="2"]')
    expect(tile).to_be_visible(timeout=30_000)
    tile.click()
    big = page.locator(".fm-big")
    expect(big).to_be_visible()
    b = big.bounding_box()
    assert b is not None
    page.mouse.move(b["x"] + b["width"] * 0.55, b["y"] + b["height"] * 0.45)
    readout = page.locator("#fm-readout")
    expect(readout).to_contain_text("row")
    row, col = int(readout.get_attribute("data-row")), int(readout.get_attribute("data-col"))
    shown = float(readout.get_attribute("data-value"))
    # The same network (seed 0) and image through torch itself.
    spec = models.get("lenet5_mnist")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = build_module(spec).eval()
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[3]], mode="L")
    x = F.prepare(img, spec.input.shape, "mnist")
    with torch.no_grad():
        want = net.layers[0](x.unsqueeze(0))[0, 2, row, col].item()
    assert np.float32(shown) == np.float32(want)
    expect(page.locator(".fm-made-by")).to_contain_text("filter")
    shot(page, "features-channel-detail")


# --- the weights library in the picker (issues 5, 7) -----------------------------------------


@pytest.fixture(scope="module")
def library_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server of its own, so the test can put a run row in its store."""
    settings = fresh_settings(tmp_path_factory, "library")
    with serve(settings) as url:
        yield url, settings


def _fine_tuned_run(settings: Settings) -> str:
    """A run 'fine-tuned' from the shipped digits 0-4 weights with the feature extractor
    frozen: only the classifier moved (a little). Nothing is trained."""
    spec = with_head(models.get("mnist_cnn"), 5)
    frozen = feature_extractor_paths(spec)
    module = build_module(spec)
    load_pretrained(module, "mnist_cnn_digits04", new_head=False)
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if not under(name, frozen):
                p.mul_(1 + 0.05 * torch.randn_like(p))
    config = {"dataset": "mnist", "classes": [0, 1, 2, 3, 4], "epochs": 1}
    config |= {"init_from": "mnist_cnn_digits04", "frozen": frozen}
    store = Store(settings.db_path)
    run_id = new_id()
    store.create_run(run_id, spec.model_dump_json(), json.dumps(config))
    path = settings.data_dir / "runs" / f"{run_id}.safetensors"
    save_weights(module, path)
    store.set_run_status(run_id, "done", "", json.dumps({"accuracy": 0.987}), str(path))
    return f"run-{run_id}"


def test_pick_a_run_then_import_weights(page: Page, library_server, tmp_path: Path):
    url, settings = library_server
    wid = _fine_tuned_run(settings)
    page.goto(f"{url}/#features/net=zoo:lenet5_mnist&img=mnist-3")
    expect(page.locator("#fm-note")).to_contain_text("random weights")
    group = page.locator('#fm-net optgroup[data-kind="run"] option')
    expect(group).to_have_count(1)
    assert "98.7%" in group.inner_text()
    page.select_option("#fm-net", f"weights:{wid}")
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "3", timeout=30_000)
    assert f"net=weights%3A{wid}" in page.url or f"net=weights:{wid}" in page.url
    expect(page.locator("#fm-note")).not_to_contain_text("random")
    expect(page.locator("#fm-note")).to_contain_text("your run")
    expect(page.locator("#fm-ft-verdict")).to_contain_text("frozen")
    expect(page.locator('#fm-moved tr[data-path="layers.0"]')).to_have_attribute("data-change", "0")
    head = page.locator('#fm-moved tr[data-path="layers.10"]')
    assert float(head.get_attribute("data-change")) > 0
    expect(page.locator("#fm-download")).to_have_attribute("href", f"/api/weights/{wid}/file")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "features-run-finetuned")

    # Import: the shipped MNIST weights as a file of our own, for the picked spec.
    page.select_option("#fm-net", "weights:mnist_cnn")
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "3", timeout=30_000)
    mine = tmp_path / "my_mnist.safetensors"
    shutil.copy(lib.SHIPPED_DIR / "mnist_cnn.safetensors", mine)
    page.set_input_files("#fm-import-file", str(mine))
    imported = page.locator('#fm-net optgroup[data-kind="upload"] option')
    expect(imported).to_have_count(1, timeout=30_000)
    expect(page.locator("#fm-net")).to_have_value(re.compile(r"weights:upload-[0-9a-f]{32}"))
    expect(page.locator("#fm-note")).to_contain_text("imported weights: my_mnist")
    expect(page.locator("#fm-preds")).to_have_attribute("data-top", "3", timeout=30_000)
    href = page.locator("#fm-download").get_attribute("href")
    assert page.request.get(f"{url}{href}").body() == mine.read_bytes()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "features-imported")

    # A file for another network is refused, naming a key.
    lenet = tmp_path / "lenet.safetensors"
    save_weights(build_module(models.get("lenet5_mnist")), lenet)
    page.set_input_files("#fm-import-file", str(lenet))
    refused = page.locator("#fm-import-error")
    expect(refused).to_contain_text("Import refused (lenet.safetensors)", timeout=30_000)
    expect(refused.locator("li", has_text="layers.0.weight")).to_contain_text("shape [6, 1, 5, 5]")
    expect(imported).to_have_count(1)
    shot(page, "features-import-refused")

    page.click("#fm-delete-weights")
    expect(imported).to_have_count(0)
    expect(page.locator("#fm-net")).to_have_value("weights:mnist_cnn")
    assert page.request.get(f"{url}{href}").status == 404
