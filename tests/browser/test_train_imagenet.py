"""The Train view fine-tunes ImageNet weights on a zip of the user's photos (issue 17):
download the weights from the transfer section (a small fake checkpoint served locally in
the place of torchvision's ResNet-18 file), pick the uploaded photos, run."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from server.api import pretrained
from tests.browser.conftest import fresh_settings, serve, shot
from tests.net.data.test_archive import png, zip_of
from tests.net.data.test_stream import RangeServer
from tests.net.weights.test_pretrained import convert, official, read

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def imagenet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose resnet18 manifest line points at a fake checkpoint (a small network,
    converted by the test's converter) on a local web server."""
    settings = fresh_settings(tmp_path_factory, "imagenet")
    real = pretrained.downloads_for
    with RangeServer() as web, pytest.MonkeyPatch.context() as mp:

        def fake(s):  # noqa: ANN001, ANN202 - pretrained.downloads_for's signature
            manager = real(s)
            manager.manifest["resnet18"] = official(web, "resnet18")
            manager.convert, manager.read, manager.base_url = convert, read, web.url
            return manager

        mp.setattr(pretrained, "downloads_for", fake)
        with serve(settings) as url:
            yield url


def test_download_then_fine_tune_on_uploaded_photos(imagenet_server: str, page: Page) -> None:
    photos = {
        f"{kind}/{i}.png": png(color, size=(260, 240))
        for kind, color in (("daisy", (240, 230, 40)), ("rose", (200, 20, 40)))
        for i in range(6)
    }
    upload = {"name": "flowers.zip", "mimeType": "application/zip", "buffer": zip_of(photos)}
    r = page.request.post(f"{imagenet_server}/api/datasets", multipart={"file": upload})
    assert r.status == 201, r.text()
    dataset = r.json()["name"]

    page.goto(f"{imagenet_server}/#train")
    section = page.get_by_test_id("transfer")
    section.get_by_test_id("pretrained").select_option("imagenet-resnet18")
    chosen = section.get_by_test_id("pretrained").locator("option:checked")
    expect(chosen).to_have_text("ResNet-18 · ImageNet-1k (not downloaded)")
    box = section.get_by_test_id("imagenet-download")
    expect(box).to_contain_text("Not downloaded yet")
    box.get_by_test_id("download-imagenet").click()
    expect(box).to_be_hidden(timeout=60_000)
    expect(chosen).to_have_text("ResNet-18 · ImageNet-1k")
    section.get_by_test_id("target").select_option(dataset)
    section.locator(".mode", has_text="Frozen feature extractor").click()
    # The server's plan: the fake network's conv, relu, pool and flatten stay frozen.
    expect(section.locator(".frozen-paths .chip")).to_have_count(4)
    trainable = section.get_by_test_id("param-counts").locator(".count:not(.frozen) .value")
    expect(trainable).to_have_text(f"{64 * 2 + 2}")
    section.locator("input[name=t_epochs]").fill("3")
    run = section.get_by_test_id("run-transfer")
    expect(run).to_have_text("Fine-tune")
    run.click()
    verdict = section.get_by_test_id("verdict")
    expect(verdict).to_contain_text(re.compile(r"fine-tuned: \d+\.\d%"), timeout=120_000)
    section.scroll_into_view_if_needed()
    shot(page, "transfer_imagenet")
