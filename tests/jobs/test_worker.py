from __future__ import annotations

import queue
from types import SimpleNamespace
from typing import Any

import pytest

from server.jobs import worker


def test_outbox_sends_iterations_in_lists_and_anything_else_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = {"t": 100.0}
    monkeypatch.setattr(worker, "time", SimpleNamespace(monotonic=lambda: clock["t"]))
    sent: queue.Queue[list[dict[str, Any]]] = queue.Queue()
    box = worker.Outbox(sent.put)
    box.put({"kind": "start"})
    assert sent.get_nowait() == [{"kind": "start"}]
    box.put({"kind": "iter", "iter": 1})  # the first point leaves at once
    assert sent.get_nowait() == [{"kind": "iter", "iter": 1}]
    for i in (2, 3):
        box.put({"kind": "iter", "iter": i})
    assert sent.empty()  # younger than FLUSH_S: they wait
    clock["t"] += 2 * worker.FLUSH_S
    box.put({"kind": "iter", "iter": 4})
    assert [e["iter"] for e in sent.get_nowait()] == [2, 3, 4]
    box.put({"kind": "iter", "iter": 5})
    box.put({"kind": "end", "status": "done"})  # flushes what waits, in order
    assert sent.get_nowait() == [{"kind": "iter", "iter": 5}, {"kind": "end", "status": "done"}]
    assert sent.empty()
