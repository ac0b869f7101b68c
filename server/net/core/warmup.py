"""Work done once at startup, in a background thread once the server is up (issue 20).

Import torch's lazily loaded parts once.

The first torch.optim optimizer imports torch._dynamo on demand. Two request threads
doing that at the same moment can see a half-initialised module (an AttributeError,
seen as a 500 from POST /api/learning/optimizers), so it is done once, under a lock:
the server starts it in a background thread after start-up (torch._dynamo's import was
about as long as torch's own and delayed /api/health), and code that makes an optimizer
in the server process calls `import_lazy_torch_modules()` first, which waits for it (a
no-op once done).
"""

from __future__ import annotations

import gc
import threading

import torch

_lock = threading.Lock()
_done = threading.Event()


def import_lazy_torch_modules() -> None:
    """Import torch._dynamo (through a first optimizer step) once; later calls return at
    once, calls during the first one wait for it."""
    if _done.is_set():
        return
    with _lock:
        if _done.is_set():
            return
        param = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([param], lr=0.1)
        param.sum().backward()
        opt.step()
        _done.set()


def freeze_startup_objects() -> None:
    """Move everything alive after startup (torch's ~200k objects) out of the garbage
    collector's reach: a full collection then takes about 0 ms instead of hundreds of ms
    under load, which showed as latency spikes every few dozen requests (issue 2)."""
    gc.collect()
    gc.freeze()


def start_in_background() -> threading.Thread:
    """The lazy imports, then the freeze, in a daemon thread: start-up does not wait."""

    def run() -> None:
        import_lazy_torch_modules()
        freeze_startup_objects()

    thread = threading.Thread(target=run, name="cnnplay-warmup", daemon=True)
    thread.start()
    return thread
