// node --test tests/js/: which run statuses are over (lib/runs.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { FINISHED, STOPPED, isFinished, isStopped, queueText, runTimes, scoreText, scoreTitle } from "../../frontend/js/lib/runs.js";

test("ended runs are finished and stopped", () => {
  for (const s of ["done", "failed", "cancelled", "diverged"]) {
    assert.ok(isFinished(s), s);
    assert.ok(isStopped(s), s);
  }
});

test("a paused run is stopped (deletable) but not finished (it can resume)", () => {
  assert.equal(isFinished("paused"), false);
  assert.equal(isStopped("paused"), true);
});

test("runs a worker still holds are neither", () => {
  for (const s of ["queued", "running", "pausing", undefined]) {
    assert.equal(isFinished(s), false, s);
    assert.equal(isStopped(s), false, s);
  }
});

test("the lists cannot be changed by a caller", () => {
  assert.throws(() => FINISHED.push("running"), TypeError);
  assert.throws(() => STOPPED.push("running"), TypeError);
});

test("a queued run says how many wait before it, when the server says", () => {
  assert.equal(queueText({ status: "queued" }), "queued");
  assert.equal(queueText({ queue_position: 2 }), "queued, 2 ahead");
  assert.equal(queueText({ queue_position: 0 }), "queued, next in line");
  assert.equal(queueText({ position: 3 }), "queued, 2 ahead"); // the older 1-based place
  assert.equal(queueText(null), "queued");
});

test("start time and duration: to finished_at, or to now while running", () => {
  const now = new Date(2026, 11, 2, 14, 10, 0);
  const start = new Date(2026, 11, 2, 14, 5, 30);
  const done = { status: "done", created_at: start.toISOString(), finished_at: new Date(2026, 11, 2, 14, 7, 35).toISOString() };
  assert.deepEqual(runTimes(done, now), { started: "14:05", took: "2 min 05 s", seconds: 125 });
  const running = { status: "running", created_at: start.toISOString(), finished_at: null };
  assert.equal(runTimes(running, now).took, "4 min 30 s");
  const paused = { status: "paused", created_at: start.toISOString(), finished_at: null };
  assert.equal(runTimes(paused, now).took, "–");
  const old = { status: "done", created_at: new Date(2026, 10, 30, 9, 1).toISOString(), finished_at: new Date(2026, 10, 30, 9, 1, 42).toISOString() };
  assert.deepEqual(runTimes(old, now), { started: "2026-11-30 09:01", took: "42 s", seconds: 42 });
  assert.equal(runTimes({}, now).started, "–");
});

test("the runs list's score says what it is: accuracy, or a segmentation run's mIoU", () => {
  assert.equal(scoreText({ accuracy: null }), "");
  assert.equal(scoreTitle({}), "");
  assert.equal(scoreText({ accuracy: 0.9063, task: "classification" }), "90.6%");
  assert.equal(scoreText({ accuracy: 0.9063 }), "90.6%", "runs listed before tasks were");
  assert.equal(scoreTitle({ accuracy: 0.9 }), "held-out accuracy");
  const seg = { accuracy: 0.931, task: "segmentation", miou: 0.6123 };
  assert.equal(scoreText(seg), "mIoU 0.612");
  assert.equal(scoreTitle(seg), "held-out mean IoU over the classes; pixel accuracy 93.1%");
  assert.equal(scoreText({ ...seg, miou: null }), "93.1% pixels");
  assert.equal(scoreTitle({ ...seg, miou: null }), "held-out pixel accuracy 93.1%");
});
