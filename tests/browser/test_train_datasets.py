"""The Train view's dataset picker (frontend/js/views/train/datasets.js, issue 6)."""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.net.data import downloads
from tests.browser.conftest import shot
from tests.net.data.test_archive import good_zip, png, zip_of
from tests.net.data.test_downloads import fake_mnist

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_upload_a_zip_and_train_on_it(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/#train")
    info = page.get_by_test_id("dataset-info")
    page.select_option("select[name=dataset]", "shapes")
    expect(info).to_contain_text("3x32x32 colour, 4 classes")
    expect(page.get_by_test_id("dataset-classes")).to_have_text("circle, square, triangle, line")
    expect(info).to_contain_text("1-channel network sees these images in grey")

    page.locator(".ds-upload summary").click()
    # A zip with a single class: the server's reason is shown.
    page.get_by_test_id("dataset-zip").set_input_files(
        {"name": "one.zip", "mimeType": "application/zip",
         "buffer": zip_of({"cats/1.png": png(), "cats/2.png": png()})}
    )  # fmt: skip
    page.get_by_test_id("dataset-upload").click()
    result = page.get_by_test_id("upload-result")
    expect(result.locator(".error")).to_contain_text("single class")

    page.get_by_test_id("dataset-zip").set_input_files(
        {"name": "pets.zip", "mimeType": "application/zip", "buffer": good_zip(5, rgb=True)}
    )
    page.get_by_test_id("dataset-upload").click()
    expect(result).to_contain_text('Added "pets": 2 classes, 10 images (8 train / 2 held out)')
    expect(result.locator(".ds-counts tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("dataset-classes")).to_have_text("cats (5), dogs (5)")
    chosen = page.locator("select[name=dataset]").input_value()
    assert chosen.startswith("upload:")
    expect(page.get_by_test_id("iters-per-epoch")).to_contain_text("ceil(8 samples / 64)")
    shot(page, "train_datasets_upload")

    # A zoo network trains on it: its head is resized to the 2 classes.
    page.select_option("select[name=network]", "zoo:mnist_cnn")
    page.fill("input[name=epochs]", "1")
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("done", timeout=90_000)
    expect(page.locator(".runs-table tbody tr").first).to_contain_text("pets")  # its title
    expect(page.locator(".confusion .head").first).to_have_text("cats")  # folder names
    shot(page, "train_datasets_run")


class Slow(http.server.SimpleHTTPRequestHandler):
    """Sends 2 KB every 50 ms, so a download lasts long enough to watch its progress."""

    def copyfile(self, source: Any, outputfile: Any) -> None:
        while chunk := source.read(2048):
            outputfile.write(chunk)
            time.sleep(0.05)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Slow, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_with_progress(
    live_server: str,
    page: Page,
    slow_served: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The live server runs in this process: point MNIST's URLs at a local server.
    www, url = slow_served
    fake, _ = fake_mnist(www, url, n=60, m=20)
    monkeypatch.setitem(downloads.SOURCES, "mnist_full", fake)
    page.goto(f"{live_server}/#train")
    option = page.locator("select[name=dataset] option[value=mnist_full]")
    expect(option).to_contain_text("(not downloaded)")
    page.select_option("select[name=dataset]", "mnist_full")
    info = page.get_by_test_id("dataset-info")
    expect(info.locator(".badge")).to_have_text("missing")
    shot(page, "train_datasets_missing")
    page.get_by_test_id("dataset-download").click()
    expect(info.locator(".badge")).to_have_text("downloading")
    expect(option).to_contain_text("(downloading")
    bar = page.get_by_test_id("dataset-progress")
    expect(bar).to_be_visible()
    expect(info).to_contain_text(re.compile(r"\d\.\d MB of 0\.1 MB"))  # done of the total
    shot(page, "train_datasets_downloading")
    expect(info.locator(".badge")).to_have_text("ready", timeout=30_000)
    expect(option).not_to_contain_text("not downloaded")
    expect(page.get_by_test_id("dataset-delete")).to_be_visible()
