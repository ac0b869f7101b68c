"""server/auth/backoff.py: failed sign-ins from one client wait longer and longer, in
bounded memory."""

from __future__ import annotations

from server.auth.backoff import Backoff


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_first_failures_are_free_then_the_wait_doubles_up_to_the_cap() -> None:
    b = Backoff(free=3, base_s=0.25, cap_s=2.0, clock=Clock())
    waits = [b.failed("10.0.0.5") for _ in range(8)]
    assert waits == [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 2.0]


def test_clients_are_counted_apart_and_a_success_clears_the_count() -> None:
    b = Backoff(free=1, base_s=1.0, clock=Clock())
    assert [b.failed("a"), b.failed("a")] == [0.0, 1.0]
    assert b.failed("b") == 0.0  # another machine is not slowed down by a's guesses
    b.succeeded("a")
    assert b.failed("a") == 0.0


def test_failures_are_forgotten_after_the_window() -> None:
    clock = Clock()
    b = Backoff(free=1, base_s=1.0, window_s=60.0, clock=clock)
    b.failed("a")
    assert b.failed("a") == 1.0
    clock.t = 61.0
    assert b.failed("a") == 0.0


def test_memory_is_bounded_by_max_clients() -> None:
    b = Backoff(max_clients=100, clock=Clock())
    for i in range(10_000):
        b.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(b) == 100
