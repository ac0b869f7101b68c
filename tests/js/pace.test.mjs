// node --test tests/js/: the Train view's rate and time-left arithmetic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { duration, pace } from "../../frontend/js/lib/pace.js";

test("a steady 10 iterations a second leaves (total - done) / 10 seconds", () => {
  const p = pace(1000);
  assert.equal(p.note(0, 0), null); // one reading is no rate yet
  const r = p.note(2000, 20);
  assert.equal(r.itersPerS, 10);
  assert.equal(r.secondsLeft, 98);
});

test("the rate follows the last window, not the whole run", () => {
  const p = pace(10_000, 5_000);
  p.note(0, 0);
  p.note(10_000, 10); // 1 it/s early on
  const r = p.note(20_000, 110); // then 10 it/s: the first reading left the window
  assert.equal(r.itersPerS, 10);
  assert.equal(r.secondsLeft, (10_000 - 110) / 10);
});

test("going back (a resume from a checkpoint) starts measuring again", () => {
  const p = pace(100);
  p.note(0, 0);
  p.note(1000, 50);
  assert.equal(p.note(2000, 40), null);
  assert.equal(p.note(3000, 50).itersPerS, 10);
});

test("durations read like a person would say them", () => {
  assert.equal(duration(8.4), "8 s");
  assert.equal(duration(75), "1 min 15 s");
  assert.equal(duration(4000), "1 h 7 min");
});
