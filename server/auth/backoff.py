"""Slowing down repeated failed sign-ins, per client, in bounded memory.

After the first few failures from one client address, each further failure waits
base * 2^(failures - free) seconds (capped) before it is answered, so guessing from
one machine gets slower and slower; a success never waits and clears the count.
Failures are forgotten `window` seconds after the last one, and at most
`max_clients` addresses are remembered (the least recently failing leave first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock


class Backoff:
    def __init__(
        self,
        max_clients: int = 4096,
        free: int = 3,
        base_s: float = 0.25,
        cap_s: float = 5.0,
        window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_clients, self.free = max_clients, free
        self.base_s, self.cap_s, self.window_s = base_s, cap_s, window_s
        self.clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = Lock()

    def failed(self, client: str) -> float:
        """Count a failure; answers how long to wait before saying so."""
        now = self.clock()
        with self._lock:
            count, last = self._failures.pop(client, (0, now))
            if now - last > self.window_s:
                count = 0
            count += 1
            self._failures[client] = (count, now)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
        if count <= self.free:
            return 0.0
        return min(self.cap_s, self.base_s * 2 ** (count - self.free - 1))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def __len__(self) -> int:
        return len(self._failures)
