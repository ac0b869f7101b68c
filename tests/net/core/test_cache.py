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


def test_a_count_cap_beside_a_byte_budget() -> None:
    c: LRU[str, bytes] = LRU(100, weigh=len, max_items=2)
    for key in "abc":
        c.put(key, b"x" * 10)
    assert c.get("a") is None and len(c) == 2 and c.used == 20


def test_waiters_share_a_value_too_big_to_keep() -> None:
    # issue 13: a network over the budget was built again by every thread that waited
    c: LRU[str, bytes] = LRU(10, weigh=len)
    calls = []

    def make() -> bytes:
        calls.append(1)
        time.sleep(0.05)
        return b"x" * 11  # over the budget: never kept

    got: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: got.append(c.get_or_make("k", make))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert len(c) == 0 and c.used == 0


def test_a_waiter_makes_it_again_when_the_maker_failed() -> None:
    c: LRU[str, int] = LRU(4)
    started = threading.Event()

    def fail() -> int:
        started.set()
        time.sleep(0.05)
        raise RuntimeError("boom")

    errors: list[BaseException] = []

    def first() -> None:
        try:
            c.get_or_make("k", fail)
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    started.wait()
    assert c.get_or_make("k", lambda: 7) == 7  # waited for the failure, then made it
    t.join()
    assert len(errors) == 1 and c.get("k") == 7
