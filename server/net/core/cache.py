"""One bounded, thread-safe LRU cache for the things a request builds and the next reuses.

A budget in units of `weigh(value)`: 1 per item (a count) by default, or bytes, and
optionally a cap on the number of items too. The least recently used items leave first.
`get_or_make` is single-flight: concurrent misses for the same key make the value once;
the others wait for that one and share it, even when it is too big to keep (issue 13:
eight cold requests for VGG-11 built eight copies).
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


class _Flight(Generic[V]):
    """One make in progress: the waiters read its value when `done` is set."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.ok = False


class LRU(Generic[K, V]):
    def __init__(
        self, budget: int, weigh: Callable[[V], int] = _one, max_items: int | None = None
    ) -> None:
        self.budget = budget
        self.weigh = weigh
        self.max_items = max_items
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self._making: dict[K, _Flight[V]] = {}
        self.hits = 0  # gets answered from the cache (tests and benchmarks read them)
        self.made = 0  # values get_or_make had to make

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used(self) -> int:
        """The weight of everything kept (bytes, for a byte budget)."""
        return self._used

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

    def oldest_first(self) -> list[K]:
        """The keys kept, least recently used first."""
        with self._lock:
            return list(self._items)

    def peek(self, key: K) -> V | None:
        """The value without counting a use (it keeps its place)."""
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item[0]

    def discard(self, key: K) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]

    def put(self, key: K, value: V) -> None:
        """Keep `value`, unless it alone is over the budget; older items leave to fit it."""
        weight = self.weigh(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            if weight > self.budget:
                return
            self._items[key] = (value, weight)
            self._used += weight
            while self._used > self.budget or (
                self.max_items is not None and len(self._items) > self.max_items
            ):
                _, (_, w) = self._items.popitem(last=False)
                self._used -= w

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, else `make()` once however many threads miss at the same time
        (an exception in `make` reaches the caller that ran it; a waiter then tries again)."""
        while True:
            with self._lock:
                found = self._hit(key)
                if found is not None:
                    return found
                flight = self._making.get(key)
                mine = flight is None
                if flight is None:
                    flight = self._making[key] = _Flight()
            if not mine:
                flight.done.wait()
                if flight.ok:
                    with self._lock:
                        self.hits += 1
                    return flight.value  # type: ignore[return-value]
                continue  # the maker failed: try again (the next one makes it)
            try:
                value = make()
                flight.value, flight.ok = value, True
                with self._lock:
                    self.made += 1
                self.put(key, value)
                return value
            finally:
                with self._lock:
                    del self._making[key]
                flight.done.set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0
