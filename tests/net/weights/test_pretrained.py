"""The ImageNet download manager against a local HTTP server serving a small fake checkpoint
(no internet in tests)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import models
from models.layers import conv, flatten, gap, linear, network, relu
from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.data import imagenet, stream
from server.net.weights import library, usage
from server.net.weights.official import Official, entries, find, preprocess
from server.net.weights.pretrained import Downloads
from tests.net.data.test_stream import RangeServer

# A small 3-channel network with ImageNet's 1,000 outputs: 65k parameters, a 260 KB file
# (several chunks of the stream).
TINY = network("Tiny", (3, 32, 32), [conv(64, 3), relu(), gap(), flatten(), linear(1000)])


def tv_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A 'torchvision' checkpoint of TINY: its state under other key names."""
    torch.manual_seed(seed)
    return {f"tv.{k}": v for k, v in build_module(TINY).state_dict().items()}


def convert(zoo: str, state: Mapping[str, torch.Tensor]) -> tuple[NetworkSpec, dict]:
    """The test's converter: strips the 'tv.' of every key."""
    return TINY, {k.removeprefix("tv."): v for k, v in state.items()}


def read(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True, map_location="cpu")


def pth(state: dict[str, torch.Tensor]) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def official(web: RangeServer, zoo: str = "tiny", data: bytes | None = None) -> Official:
    """Serve `data` (a fake checkpoint) under a torch.hub-style name; its manifest line."""
    data = pth(tv_state()) if data is None else data
    prefix = hashlib.sha256(data).hexdigest()[:8]
    name = f"{zoo}-{prefix}.pth"
    web.files[name] = data
    return Official(zoo, "IMAGENET1K_V1", name, web.url + name, prefix, len(data), 0, 69.758, 89.1)


def manager(web: RangeServer, data_dir: Path, *items: Official, **kw: int) -> Downloads:
    kw = {"max_library_bytes": 1 << 30, "max_downloads": 2, **kw}
    return Downloads(
        data_dir, {o.zoo: o for o in items}, convert, read, base_url=web.url, timeout=5.0, **kw
    )


@pytest.fixture
def web() -> Iterator[RangeServer]:
    with RangeServer() as server:
        yield server


def wait_for(cond: object, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def slow_start(web: RangeServer, tmp_path: Path) -> tuple[Official, Downloads]:
    """A download from a slow server, once its first bytes have arrived."""
    o = official(web)
    web.delay = 0.1  # 16 writes: 1.6 s in all
    m = manager(web, tmp_path, o)
    m.start("tiny")
    wait_for(lambda: m.state("tiny").done > 0)
    return o, m


# --- the download manager ----------------------------------------------------------------


def test_download_reports_progress_verifies_and_converts(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    web.delay = 0.02
    m = manager(web, tmp_path, o)
    assert m.state("tiny").status == "absent" and m.state("tiny").progress() is None
    assert m.start("tiny").status == "downloading"
    seen = []
    while (s := m.state("tiny")).status == "downloading":
        seen.append(s)
        time.sleep(0.005)
    middle = [s for s in seen if 0 < s.done < o.bytes]
    assert middle and all(s.total == o.bytes for s in middle)
    assert any(s.eta_s is not None and s.eta_s > 0 for s in middle)
    assert m.wait("tiny", 30).status == "ready"
    entry = library.find("imagenet-tiny", tmp_path, lambda r: None, models.get)
    assert entry.kind == "imagenet" and entry.spec == TINY and entry.accuracy == 0.69758
    assert entry.labels(1000) == list(imagenet.class_names()) and entry.zoo == "tiny"
    assert entry.preprocess == preprocess("tiny")
    assert library.input_stats(entry) == (imagenet.MEAN, imagenet.STD)
    saved = load_file(str(entry.path))
    assert all(torch.equal(saved[k], v) for k, v in convert("tiny", tv_state())[1].items())
    assert not list((tmp_path / "pretrained").iterdir())  # the .pth went after conversion
    ids = [e.id for e in library.everything(tmp_path, [], models.get)]
    assert ids[-1] == "imagenet-tiny"


def test_an_interrupted_download_resumes_with_range(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    half = o.bytes // 2
    web.cut = half
    m = manager(web, tmp_path, o)
    m.start("tiny")
    s = m.wait("tiny", 30)
    assert s.status == "failed" and f"stopped at {half:,}" in (s.error or "")
    part = stream.part_path(tmp_path / "pretrained" / o.file_name)
    assert part.stat().st_size == half
    web.cut = None
    m.start("tiny")
    assert m.wait("tiny", 30).status == "ready"
    assert web.requests == [None, f"bytes={half}-"]


def test_a_server_ignoring_range_restarts_cleanly(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    web.cut, web.ranges = 1000, False
    m = manager(web, tmp_path, o)
    m.start("tiny")
    assert m.wait("tiny", 30).status == "failed"
    web.cut = None
    m.start("tiny")
    assert m.wait("tiny", 30).status == "ready"
    assert web.requests == [None, "bytes=1000-"]  # asked to resume, got the whole file


def test_a_wrong_sha256_prefix_keeps_nothing(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    bad = Official(**{**o.__dict__, "sha256_prefix": "0badf00d"})
    m = manager(web, tmp_path, bad)
    m.start("tiny")
    s = m.wait("tiny", 30)
    assert s.status == "failed" and "does not match the published 0badf00d" in (s.error or "")
    assert not list((tmp_path / "pretrained").iterdir())
    assert entries(tmp_path) == [] and m.state("tiny").error == s.error


def test_cancel_stops_and_deletes(web: RangeServer, tmp_path: Path) -> None:
    o, m = slow_start(web, tmp_path)
    m.cancel("tiny")
    assert m.state("tiny").status == "absent"
    assert not list((tmp_path / "pretrained").iterdir())
    web.delay = 0.0
    m.start("tiny")  # a fresh start after a cancel
    assert m.wait("tiny", 30).status == "ready"
    m.cancel("tiny")  # ready: deletes the converted weights
    assert m.state("tiny").status == "absent" and entries(tmp_path) == []


def test_the_disk_bound_is_checked_before_starting(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    m = manager(web, tmp_path, o, max_library_bytes=o.bytes - 1)
    with pytest.raises(usage.LibraryFull, match="CNNPLAY_MAX_LIBRARY_BYTES"):
        m.start("tiny")
    assert web.requests == [] and m.state("tiny").status == "absent"
    two = official(web, "two")
    m = manager(web, tmp_path, o, two, max_library_bytes=o.bytes + two.bytes // 2)
    web.delay = 0.05
    m.start("tiny")  # its bytes are reserved while it downloads
    with pytest.raises(usage.LibraryFull):
        m.start("two")
    m.cancel("tiny")


def test_start_is_idempotent_and_downloads_are_bounded(web: RangeServer, tmp_path: Path) -> None:
    one, two = official(web), official(web, "two", pth(tv_state(1)))
    web.flowing.clear()  # the first download cannot finish until the test says so
    m = manager(web, tmp_path, one, two, max_downloads=1)
    m.start("tiny")
    m.start("two")
    assert m.start("tiny").status == "downloading"  # joins the running one
    wait_for(lambda: len(web.requests) == 1)
    time.sleep(0.3)  # time enough for a second request, were it not waiting for a slot
    assert len(web.requests) == 1
    assert m.state("two").status == "downloading" and m.state("two").done == 0
    web.flowing.set()
    assert m.wait("tiny", 30).status == "ready" and m.wait("two", 30).status == "ready"
    assert len(web.requests) == 2
    assert m.start("tiny").status == "ready" and len(web.requests) == 2


def test_a_restarted_manager_sees_the_entry(web: RangeServer, tmp_path: Path) -> None:
    o = official(web)
    m = manager(web, tmp_path, o)
    m.start("tiny")
    m.wait("tiny", 30)
    again = manager(web, tmp_path, o)
    assert again.state("tiny").status == "ready"
    assert find(tmp_path, "imagenet-tiny") is not None


def test_a_verified_file_that_does_not_convert_fails_and_goes(
    web: RangeServer, tmp_path: Path
) -> None:
    state = tv_state()
    state["tv.extra"] = torch.zeros(2)
    o = official(web, data=pth(state))
    m = manager(web, tmp_path, o)
    m.start("tiny")
    s = m.wait("tiny", 30)
    assert s.status == "failed" and "extra: in the file but not in the network" in (s.error or "")
    assert not list((tmp_path / "pretrained").iterdir()) and entries(tmp_path) == []


def test_close_keeps_the_part_for_a_resume(web: RangeServer, tmp_path: Path) -> None:
    o, m = slow_start(web, tmp_path)
    m.close()
    kept = stream.part_path(tmp_path / "pretrained" / o.file_name).stat().st_size
    assert 0 < kept < o.bytes
    web.delay = 0.0
    again = manager(web, tmp_path, o)
    again.start("tiny")
    assert again.wait("tiny", 30).status == "ready"
    assert web.requests == [None, f"bytes={kept}-"]


def test_unknown_architecture_is_a_key_error(web: RangeServer, tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        manager(web, tmp_path).start("resnet18")
    assert find(tmp_path, "imagenet-../x") is None
