"""One bounded, thread-safe LRU cache for the things a request builds and the next reuses.

A budget in units of `weigh(value)`: 1 per item (a count) by default, or bytes. The least
recently used items leave first. `get_or_make` is single-flight: concurrent misses for
the same key make the value once (a per-key lock); the others wait and share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class LRU(Generic[K, V]):
    def __init__(self, budget: int, weigh: Callable[[V], int] = _one) -> None:
        self.budget = budget
        self.weigh = weigh
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self._making: dict[K, threading.Lock] = {}
        self.hits = 0  # gets answered from the cache (tests and benchmarks read them)
        self.made = 0  # values get_or_make had to make

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._hit(key)

    def _hit(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: K, value: V) -> None:
        """Keep `value`, unless it alone is over the budget; older items leave to fit it."""
        weight = self.weigh(value)
        if weight > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._items[key] = (value, weight)
            self._used += weight
            while self._used > self.budget:
                _, (_, w) = self._items.popitem(last=False)
                self._used -= w

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, else `make()` once however many threads miss at the same time
        (an exception in `make` reaches the caller that ran it; the next one tries again)."""
        with self._lock:
            found = self._hit(key)
            if found is not None:
                return found
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                found = self._hit(key)  # made by the thread that held the lock before us
            if found is not None:
                return found
            try:
                value = make()
                with self._lock:
                    self.made += 1
                self.put(key, value)
            finally:
                with self._lock:
                    if self._making.get(key) is lock:
                        del self._making[key]
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0
