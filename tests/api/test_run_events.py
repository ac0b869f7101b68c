"""server/api/run_events.py: resume exactly (also across thinned iteration points), live
events woken by the store's writes, the Origin rule, the caps on open streams (issue 13)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.config import Settings
from server.store import Store
from tests.clients import open_client

RUN = "e" * 32


def read_sse(client: TestClient, run_id: str, headers: dict[str, str] | None = None) -> list:
    """Every message until the stream ends: {"id"?, "event"?, "data"} dicts (comments too,
    as {"comment": text})."""
    out: list[dict[str, Any]] = []
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers or {}) as r:
        assert r.status_code == 200, r.read()
        msg: dict[str, Any] = {}
        for line in r.iter_lines():
            if not line:
                if msg:
                    out.append(msg)
                msg = {}
            elif line.startswith(":"):
                out.append({"comment": line[1:].strip()})
            else:
                key, _, value = line.partition(": ")
                msg[key] = json.loads(value) if key == "data" else value
    return out


def _events(iters: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"kind": "start", "total_iters": iters}]
    for i in range(1, iters + 1):
        out.append({"kind": "iter", "iter": i, "epoch": 1 + (i - 1) // 50, "loss": 1 / i})
        if i % 50 == 0:
            out.append({"kind": "epoch", "epoch": i // 50, "val_loss": 1 / i})
    return [*out, {"kind": "end", "status": "done"}]


def _store_run(store: Store, events: list[dict[str, Any]], status: str = "done") -> None:
    store.create_run(RUN, "{}", "{}")
    rows = [(RUN, seq, json.dumps(e)) for seq, e in enumerate(events, 1)]
    for k in range(0, len(rows), 20):  # in batches, as the dispatcher writes
        store.add_run_events(rows[k : k + 20])
    store.set_run_status(RUN, status)


@pytest.fixture
def thin_client(tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", max_run_iter_points=20)
    with open_client(settings) as c:
        yield c


def test_resume_across_thinned_points_is_exact_and_every_gap_is_explained(
    thin_client: TestClient,
) -> None:
    written = _events(500)
    _store_run(thin_client.app.state.store, written)
    full = read_sse(thin_client, RUN)
    assert full[-1] == {"event": "end", "data": {"status": "done"}}
    sent = [(int(m["id"]), m["data"]) for m in full if "id" in m]
    # What was sent under a seq is what was written under it; only iteration points of
    # neither end are missing, and each gap is announced with exactly its seqs.
    assert all(written[s - 1] == e for s, e in sent)
    missing = set(range(1, len(written) + 1)) - {s for s, _ in sent}
    assert missing and all(written[s - 1]["kind"] == "iter" for s in missing)
    assert sum(e["kind"] == "iter" for _, e in sent) <= 20
    announced: set[int] = set()
    for i, m in enumerate(full):
        if m.get("event") == "thinned":
            first, last = m["data"]["first"], m["data"]["last"]
            assert int(full[i + 1]["id"]) == last + 1  # said just before the event after it
            announced |= set(range(first, last + 1))
    assert announced == missing
    # EventSource reconnecting with any id it saw (or one thinned since): the rest, exactly.
    for last_seen in (sent[3][0], min(missing), max(missing)):
        rest = read_sse(thin_client, RUN, {"Last-Event-ID": str(last_seen)})
        assert [(int(m["id"]), m["data"]) for m in rest if "id" in m] == [
            (s, e) for s, e in sent if s > last_seen
        ]
        gaps = {
            seq
            for m in rest
            if m.get("event") == "thinned"
            for seq in range(m["data"]["first"], m["data"]["last"] + 1)
        }
        assert gaps == {s for s in missing if s > last_seen}


def test_live_events_arrive_as_the_store_commits_them(client: TestClient) -> None:
    store: Store = client.app.state.store
    store.create_run(RUN, "{}", "{}")
    store.set_run_status(RUN, "running")

    def dispatcher() -> None:  # what the job dispatcher's thread does, slowly
        for seq in range(1, 6):
            time.sleep(0.1)
            store.add_run_events([(RUN, seq, json.dumps({"kind": "iter", "iter": seq}))])
        store.set_run_status(RUN, "done")

    writer = threading.Thread(target=dispatcher)
    writer.start()
    try:
        got = read_sse(client, RUN)
    finally:
        writer.join()
    assert [int(m["id"]) for m in got if "id" in m] == [1, 2, 3, 4, 5]
    assert got[-1] == {"event": "end", "data": {"status": "done"}}
    assert not any("comment" in m for m in got)  # woken by the writes, before any heartbeat


def test_a_quiet_stream_sends_heartbeats(tmp_path: Any) -> None:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", stream_heartbeat_s=0.05)
    with open_client(settings) as c:
        store: Store = c.app.state.store
        store.create_run(RUN, "{}", "{}")
        ender = threading.Timer(0.6, store.set_run_status, (RUN, "cancelled"))
        ender.start()
        got = read_sse(c, RUN)
        ender.join()
    assert sum(m.get("comment") == "heartbeat" for m in got) >= 3
    assert got[-1] == {"event": "end", "data": {"status": "cancelled"}}


def test_a_deleted_run_ends_its_stream(client: TestClient) -> None:
    store: Store = client.app.state.store
    store.create_run(RUN, "{}", "{}")
    threading.Timer(0.2, store.delete_run, (RUN,)).start()
    assert read_sse(client, RUN)[-1] == {"event": "end", "data": {"status": "deleted"}}


def test_a_foreign_origin_is_refused_whatever_it_accepts(client: TestClient) -> None:
    client.app.state.store.create_run(RUN, "{}", "{}")
    for accept in ("text/event-stream", "*/*", None):
        headers = {"Origin": "http://evil.example"} | ({"Accept": accept} if accept else {})
        r = client.get(f"/api/runs/{RUN}/events", headers=headers)
        assert r.status_code == 403 and "evil.example" in r.json()["detail"]


def test_a_bad_last_event_id_is_422(client: TestClient) -> None:
    client.app.state.store.create_run(RUN, "{}", "{}")
    r = client.get(f"/api/runs/{RUN}/events", headers={"Last-Event-ID": "x"})
    assert r.status_code == 422 and "Last-Event-ID" in r.json()["detail"]


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        ({"max_streams_per_client": 2}, "CNNPLAY_MAX_STREAMS_PER_CLIENT=2"),
        ({"max_streams": 2}, "CNNPLAY_MAX_STREAMS=2"),
    ],
)
def test_past_the_stream_caps_a_429_names_the_limit(
    tmp_path: Any, limits: dict[str, int], named: str
) -> None:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", **limits)
    with open_client(settings) as c:
        store: Store = c.app.state.store
        store.create_run(RUN, "{}", "{}")  # queued: its streams stay open
        readers = [threading.Thread(target=read_sse, args=(c, RUN)) for _ in range(2)]
        for t in readers:
            t.start()
        deadline = time.monotonic() + 10
        while getattr(c.app.state, "stream_hub", None) is None or (
            c.app.state.stream_hub.open_total < 2
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = c.get(f"/api/runs/{RUN}/events")
        assert r.status_code == 429 and named in r.json()["detail"]
        assert r.headers["retry-after"]
        store.set_run_status(RUN, "cancelled")  # the two streams end, their places free
        for t in readers:
            t.join(timeout=10)
        assert c.app.state.stream_hub.open_total == 0
        assert read_sse(c, RUN)[-1]["event"] == "end"


def test_new_runs_stop_at_the_run_quotas_with_a_409_naming_them(tmp_path: Any) -> None:
    import models

    body = {"spec": models.get("mlp").model_dump(mode="json"), "config": {"epochs": 1}}
    settings = Settings(warm_workers=0, data_dir=tmp_path / "a", max_runs=1)
    with open_client(settings) as c:
        c.app.state.store.create_run(RUN, "{}", "{}")
        r = c.post("/api/runs", json=body)
        assert r.status_code == 409 and "CNNPLAY_MAX_RUNS=1" in r.json()["detail"]
    settings = Settings(warm_workers=0, data_dir=tmp_path / "b", max_run_event_bytes=1_000)
    with open_client(settings) as c:
        _store_run(c.app.state.store, _events(20), status="paused")
        r = c.post("/api/runs", json=body)
        assert r.status_code == 409 and "CNNPLAY_MAX_RUN_EVENT_BYTES=1,000" in r.json()["detail"]
        r = c.post(f"/api/runs/{RUN}/resume")  # a resume writes more events: refused too
        assert r.status_code == 409 and "CNNPLAY_MAX_RUN_EVENT_BYTES" in r.json()["detail"]
        assert c.delete(f"/api/runs/{RUN}").status_code == 204
        assert c.app.state.store.event_usage() == (0, 0)


def test_many_streams_of_a_live_run_each_get_every_event_once(tmp_path: Any) -> None:
    # Streams that have caught up share one read of the run's tail per change; one that
    # starts behind it (Last-Event-ID far back) reads its own pages, then joins them.
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", stream_batch_s=0.02)
    with open_client(settings) as c:
        store: Store = c.app.state.store
        store.create_run(RUN, "{}", "{}")
        store.set_run_status(RUN, "running")
        first = [(RUN, s, json.dumps({"kind": "epoch", "epoch": s})) for s in range(1, 1501)]
        store.add_run_events(first)  # more than a page before anyone watches
        got: dict[int, list[int]] = {}

        def follow(n: int, since: int) -> None:
            msgs = read_sse(c, RUN, {"Last-Event-ID": str(since)})
            got[n] = [int(m["id"]) for m in msgs if "id" in m]

        starts = [1500, 1500, 1200, 0, 1500, 700, 1500, 1500]
        readers = [threading.Thread(target=follow, args=(n, s)) for n, s in enumerate(starts)]
        for t in readers:
            t.start()
        for k in range(1501, 1801, 10):  # the dispatcher goes on writing, in batches
            store.add_run_events(
                [(RUN, s, json.dumps({"kind": "epoch", "epoch": s})) for s in range(k, k + 10)]
            )
            time.sleep(0.01)
        store.set_run_status(RUN, "done")
        for t in readers:
            t.join(timeout=30)
    for n, since in enumerate(starts):
        assert got[n] == list(range(since + 1, 1801)), n
