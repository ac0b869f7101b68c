from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

from server.jobs.fair_queue import DEFAULT_OWNER, FairQueue, owner_of
from server.jobs.local import LocalExecutor
from server.store import Store


def order(q: FairQueue) -> list[str]:
    """The run ids in the order popleft() would serve them (on a copy)."""
    q = copy.deepcopy(q)
    return [q.popleft()[0] for _ in range(len(q))]


def fill(q: FairQueue, runs: list[tuple[str, str]]) -> None:
    for run_id, owner in runs:
        q.append(run_id, {"owner": owner})


def test_owners_take_turns_and_positions_follow_the_turns() -> None:
    q = FairQueue()
    # One student queues three runs before the others queue theirs.
    fill(q, [("a1", "ann"), ("a2", "ann"), ("a3", "ann"), ("b1", "bob"), ("c1", "cy")])
    fill(q, [("c2", "cy")])
    assert order(q) == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert [q.position(r) for r in order(q)] == [1, 2, 3, 4, 5, 6]
    assert q.position("nope") is None
    assert q.popleft()[0] == "a1"  # ann goes to the back of the turns
    assert q.position("b1") == 1 and q.position("a2") == 3 and q.position("a3") == 5
    fill(q, [("b2", "bob")])
    assert order(q) == ["b1", "c1", "a2", "b2", "c2", "a3"]


def test_twenty_runs_of_one_student_do_not_block_the_class() -> None:
    q = FairQueue()
    fill(q, [(f"s{i}", "greedy") for i in range(20)])
    fill(q, [("other", "student2"), ("third", "student3")])
    assert q.position("other") == 2 and q.position("third") == 3
    assert order(q)[:4] == ["s0", "other", "third", "s1"]


def test_remove_and_an_owner_who_comes_back_waits_at_the_back() -> None:
    q = FairQueue()
    fill(q, [("a1", "ann"), ("b1", "bob"), ("c1", "cy")])
    assert q.remove("a1") and not q.remove("a1")
    assert "a1" not in q and len(q) == 2
    fill(q, [("a2", "ann")])  # ann left the turns when her only run went
    assert order(q) == ["b1", "c1", "a2"]
    assert q.owners() == {"bob": 1, "cy": 1, "ann": 1}


def test_positions_always_match_the_serving_order() -> None:
    rng = random.Random(7)
    q = FairQueue()
    ids = 0
    for _ in range(300):
        op = rng.random()
        if op < 0.55:
            ids += 1
            q.append(f"r{ids}", {"owner": rng.choice(["u1", "u2", "u3", "u4"])})
        elif op < 0.8 and len(q):
            q.popleft()
        elif len(q):
            q.remove(rng.choice(order(q)))
        served = order(q)
        assert [q.position(r) for r in served] == list(range(1, len(served) + 1))


def test_jobs_without_an_owner_share_one() -> None:
    assert owner_of({}) == DEFAULT_OWNER == owner_of({"owner": None})
    q = FairQueue()
    fill(q, [("x", DEFAULT_OWNER)])
    q.append("y", {})
    assert order(q) == ["x", "y"] and q.owners() == {DEFAULT_OWNER: 2}


def job(run_id: str, owner: str | None) -> dict[str, Any]:
    base: dict[str, Any] = {"id": run_id, "spec": {}, "config": {}}
    return base if owner is None else {**base, "owner": owner}


def test_the_executor_queues_round_robin_with_positions(tmp_path: Path) -> None:
    # No dispatcher and no slots: nothing starts, so every run stays queued.
    ex = LocalExecutor(Store(tmp_path / "db.sqlite3"), max_jobs=0, max_queued=10)
    for run_id, owner in [("a" * 32, "ann"), ("b" * 32, "ann"), ("c" * 32, "bob")]:
        ex.submit(job(run_id, owner))
    ex.submit(job("d" * 32, None))
    # ann's first, bob's, the unowned run's, then ann's second
    assert [ex.queue_position(x * 32) for x in "abcd"] == [1, 4, 2, 3]
    assert ex.position("c" * 32) == 2  # the older name answers the same
    assert ex.cancel("a" * 32) and ex.status("a" * 32) == "cancelled"
    assert [ex.queue_position(x * 32) for x in "bcd"] == [1, 2, 3]  # still ann's turn
    assert ex.pause("c" * 32) and ex.queue_position("c" * 32) is None
    assert [ex.queue_position(x * 32) for x in "bd"] == [1, 2]
    ex.stop()
    assert ex.status("b" * 32) == "paused"
