"""Seeded random-init weights, made once per (network, seed) and memory-mapped after.

Building a zoo network draws every parameter from torch's generator: VGG-16's 138M
take seconds, each time the network leaves the in-memory cache (issue 20). The first
build of a (spec, seed) is the ordinary seeded build; its parameters and buffers are
then written to `<dir>/<key>.safetensors` (atomically: a temporary file renamed into
place). Later builds make the module on the meta device (no memory, no random draws)
and give it the stored tensors, mapped copy-on-write from the file: no read until a
page is touched, and a write (fine-tuning) stays private to the process.

The directory is bounded in bytes: past `max_bytes` the least recently used files go
(a load refreshes a file's mtime). A file is keyed by the spec, the seed, torch's
version and the source of the build code, so a change to how layers are made cannot
serve stale weights. Anything the meta build cannot do (a module that keeps a plain
tensor, a layer whose constructor reads tensor values) falls back to the seeded build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import tempfile
import threading
from pathlib import Path

import torch
from torch import nn

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.weights.files import DTYPES

SUFFIX = ".safetensors"
ALIGN = 64  # bytes: where every stored tensor starts
_CORE = Path(__file__).resolve().parent
_BUILD_SOURCES = ("build.py", "modules.py", "leaf_shapes.py")


def seeded_build(spec: NetworkSpec, seed: int) -> nn.Module:
    """The network as an untrained build gives it: torch's generator seeded, then
    restored (the caller's random state is untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_module(spec)


def _fingerprint() -> str:
    digest = hashlib.sha256(torch.__version__.encode())
    for name in _BUILD_SOURCES:
        digest.update((_CORE / name).read_bytes())
    return digest.hexdigest()


class InitStore:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        """`max_bytes` <= 0 disables the store (every build is the seeded build)."""
        self.directory = directory
        self.max_bytes = max_bytes
        self._fingerprint = _fingerprint()
        self._lock = threading.Lock()  # writes and evictions take turns
        self.loads = 0  # builds served from a file (tests read them)
        self.writes = 0

    def key(self, spec: NetworkSpec, seed: int) -> str:
        digest = hashlib.sha256(self._fingerprint.encode())
        digest.update(f"seed={seed};".encode())
        digest.update(spec.model_dump_json().encode())
        return digest.hexdigest()[:40]

    def path(self, spec: NetworkSpec, seed: int) -> Path:
        return self.directory / (self.key(spec, seed) + SUFFIX)

    def build(self, spec: NetworkSpec, seed: int) -> nn.Module:
        """The seeded build of `spec`, bit for bit, from the file when there is one."""
        if self.max_bytes <= 0:
            return seeded_build(spec, seed)
        path = self.path(spec, seed)
        if path.is_file():
            module = _load(spec, path)
            if module is not None:
                self.loads += 1
                _touch(path)
                return module
        module = seeded_build(spec, seed)
        self._write(module, path)
        return module

    def _write(self, module: nn.Module, path: Path) -> None:
        tensors = _tensors(module)
        size = sum(t.numel() * t.element_size() for t in tensors.values())
        if size > self.max_bytes or not _meta_buildable(module):
            return  # never fits, or could not be loaded back: not worth the disk
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._evict(self.max_bytes - size)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            os.close(fd)
            try:
                _save_aligned(tensors, Path(tmp))
                os.replace(tmp, path)
                self.writes += 1
            except (OSError, RuntimeError, ValueError):
                Path(tmp).unlink(missing_ok=True)  # a full disk: the build still stands

    def _evict(self, budget: int) -> None:
        """Remove least recently used files until the rest fit in `budget` bytes."""
        files = []
        for entry in self.directory.glob("*" + SUFFIX):
            try:
                stat = entry.stat()
            except OSError:
                continue
            files.append((stat.st_mtime, stat.st_size, entry))
        files.sort()
        total = sum(size for _, size, _ in files)
        for _, size, entry in files:
            if total <= budget:
                break
            entry.unlink(missing_ok=True)
            total -= size

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.glob("*" + SUFFIX))


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer (non-persistent ones too) under its first name."""
    out: dict[str, torch.Tensor] = {}
    for name, param in module.named_parameters():
        out[name] = param
    for name, buf in module.named_buffers():
        if buf is not None:
            out[name] = buf
    return out


def _meta_buildable(module: nn.Module) -> bool:
    """No plain tensor attribute: everything the module holds comes back from a file."""
    for sub in module.modules():
        for value in vars(sub).values():
            if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                return False
    return True


def _save_aligned(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """A safetensors file whose every tensor starts on a 64-byte boundary, as torch's own
    allocations do: kernels may pick their code path by alignment, and a loaded network
    must compute exactly what the seeded build computes. Gaps are filled by "__pad*" U8
    tensors (the format allows no holes) and the header by trailing spaces. The header is
    worked out from shapes alone and each tensor's bytes are written from its own memory,
    so writing VGG-16's 553 MB holds no second copy of it."""
    names = {dtype: code for code, dtype in DTYPES.items()}
    header: dict[str, dict] = {}
    parts: list[torch.Tensor | int] = []  # a tensor's bytes, or a gap of zeros
    offset = 0
    for i, (name, tensor) in enumerate(tensors.items()):
        gap = -offset % ALIGN
        if gap:
            header[f"__pad{i}"] = {
                "dtype": "U8",
                "shape": [gap],
                "data_offsets": [offset, offset + gap],
            }
            parts.append(gap)
            offset += gap
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": names[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        parts.append(tensor)
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % ALIGN)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for part in parts:
            if isinstance(part, int):
                f.write(bytes(part))
            elif part.numel():
                flat = part.detach().contiguous().view(-1).view(torch.uint8)
                f.write(memoryview(flat.numpy()))


def _read(path: Path) -> dict[str, torch.Tensor]:
    """The file's tensors as views of a private (copy-on-write) mapping of it."""
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    size = int.from_bytes(mapped[:8], "little")
    header = json.loads(mapped[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or name.startswith("__pad"):
            continue
        dtype = DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // dtype.itemsize
        offset = base + start
        if count == 0:
            tensor = torch.empty(0, dtype=dtype)
        elif offset % dtype.itemsize:  # unaligned (safetensors orders to avoid it)
            tensor = torch.frombuffer(bytearray(mapped[offset : base + end]), dtype=dtype)
        else:
            tensor = torch.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
        out[name] = tensor.reshape(info["shape"])
    return out


def _load(spec: NetworkSpec, path: Path) -> nn.Module | None:
    """The module built on the meta device holding the file's tensors; None where the
    file does not fit the build (damaged, or names and shapes differ)."""
    try:
        stored = _read(path)
        with torch.device("meta"):
            module = build_module(spec)
    except Exception:  # noqa: BLE001 - any failure here means: do the seeded build
        return None
    if not _meta_buildable(module):
        return None
    made: dict[int, torch.Tensor] = {}  # meta tensor id -> its stored replacement
    for name, tensor in _tensors(module).items():
        got = stored.get(name)
        if got is None or got.shape != tensor.shape or got.dtype != tensor.dtype:
            return None
        if isinstance(tensor, nn.Parameter):
            got = nn.Parameter(got, requires_grad=tensor.requires_grad)
        made[id(tensor)] = got
    for sub in module.modules():  # by identity: tied parameters stay tied
        for name, param in list(sub._parameters.items()):
            if param is not None:
                if id(param) not in made:
                    return None
                sub._parameters[name] = made[id(param)]
        for name, buf in list(sub._buffers.items()):
            if buf is not None:
                if id(buf) not in made:
                    return None
                sub._buffers[name] = made[id(buf)]
    return module


_store: InitStore | None = None


def configure(directory: Path, max_bytes: int) -> InitStore:
    """The process's store (the app makes it in its lifespan; without it every build
    is the seeded build)."""
    global _store
    _store = InitStore(directory, max_bytes)
    return _store


def build(spec: NetworkSpec, seed: int) -> nn.Module:
    """The seeded build of `spec`, from the configured store when there is one."""
    store = _store
    return store.build(spec, seed) if store is not None else seeded_build(spec, seed)
