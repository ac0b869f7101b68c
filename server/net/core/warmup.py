"""Work done once at startup, before requests run in parallel threads.

Import torch's lazily loaded parts once.

The first torch.optim optimizer imports torch._dynamo on demand. Two request threads
doing that at the same moment can see a half-initialised module (an AttributeError,
seen as a 500 from POST /api/learning/optimizers), so the server does it at startup.
"""

from __future__ import annotations

import gc

import torch


def import_lazy_torch_modules() -> None:
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=0.1)
    param.sum().backward()
    opt.step()


def freeze_startup_objects() -> None:
    """Move everything alive after startup (torch's ~200k objects) out of the garbage
    collector's reach: a full collection then takes about 0 ms instead of hundreds of ms
    under load, which showed as latency spikes every few dozen requests (issue 2)."""
    gc.collect()
    gc.freeze()
