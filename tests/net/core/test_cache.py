"""cache.LRU: budget, order, single-flight making."""

from __future__ import annotations

import threading
import time

import pytest

from server.net.core.cache import LRU


def test_least_recently_used_leave_first() -> None:
    c: LRU[str, int] = LRU(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3)
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3
    assert len(c) == 2 and c.hits == 3


def test_a_weighed_budget_and_a_value_over_it() -> None:
    c: LRU[str, bytes] = LRU(10, weigh=len)
    c.put("a", b"x" * 6)
    c.put("b", b"x" * 4)
    c.put("c", b"x" * 5)  # 15 > 10: a leaves, b (4) + c (5) stay
    assert c.get("a") is None and c.get("b") is not None and c.get("c") is not None
    c.put("big", b"x" * 11)  # alone over the budget: not kept, nothing else leaves
    assert c.get("big") is None and len(c) == 2
    c.put("b", b"x" * 2)  # replacing a key counts its new weight only
    c.put("d", b"x" * 3)
    assert len(c) == 3


def test_concurrent_misses_make_once() -> None:
    c: LRU[str, object] = LRU(4)
    calls = []

    def make() -> object:
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to miss
        return object()

    got: list[object] = []
    threads = [
        threading.Thread(target=lambda: got.append(c.get_or_make("k", make))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and c.made == 1
    assert len(got) == 8 and all(g is got[0] for g in got)


def test_a_failed_make_reaches_its_caller_and_the_next_tries_again() -> None:
    c: LRU[str, int] = LRU(4)

    def fail() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        c.get_or_make("k", fail)
    assert c.get_or_make("k", lambda: 5) == 5 and c.made == 1
    c.clear()
    assert c.get("k") is None and len(c) == 0
