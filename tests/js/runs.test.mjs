// node --test tests/js/: which run statuses are over (lib/runs.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { FINISHED, STOPPED, isFinished, isStopped } from "../../frontend/js/lib/runs.js";

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
