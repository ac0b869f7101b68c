import assert from "node:assert/strict";
import { test } from "node:test";
import { addSnapshot, changeRows, changeText, keepEvenly } from "../../frontend/js/lib/snapshots.js";

const at = (iters) => iters.map((iter) => ({ iter }));

test("keepEvenly keeps the first, the last and evenly spaced ones", () => {
  const snaps = at([...Array(101).keys()]);
  const kept = keepEvenly(snaps, 5).map((s) => s.iter);
  assert.deepEqual(kept, [0, 25, 50, 75, 100]);
  assert.equal(keepEvenly(snaps, 200).length, 101);
});

test("keepEvenly spaces by iteration, not by position", () => {
  // dense at the end: the middle one is still the one nearest iteration 50
  const snaps = at([0, 50, 90, 91, 92, 93, 94, 95, 96, 100]);
  assert.deepEqual(keepEvenly(snaps, 3).map((s) => s.iter), [0, 50, 100]);
});

test("addSnapshot keeps iteration order and replaces a repeat", () => {
  const snaps = at([0, 10, 20]);
  addSnapshot(snaps, { iter: 15 });
  addSnapshot(snaps, { iter: 30 });
  addSnapshot(snaps, { iter: 10, again: true });
  assert.deepEqual(snaps.map((s) => s.iter), [0, 10, 15, 20, 30]);
  assert.equal(snaps[1].again, true);
});

test("changeRows scales bars to the largest trained change; frozen ones do not count", () => {
  const rows = changeRows([
    { path: "a", change: 0, frozen: true },
    { path: "b", change: 0.2, frozen: false },
    { path: "c", change: 0.1, frozen: false },
  ]);
  assert.deepEqual(rows.map((r) => r.share), [0, 1, 0.5]);
  assert.equal(changeText(0), "0");
  assert.equal(changeText(0.0004), "<0.1%");
  assert.equal(changeText(0.0123), "1.2%");
  assert.equal(changeText(0.5), "50%");
});
