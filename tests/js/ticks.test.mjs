// node --test tests/js/: round ticks for the contour plot's axes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { niceTicks } from "../../frontend/js/lib/ticks.js";

test("symmetric ranges get round steps through 0", () => {
  assert.deepEqual(niceTicks(-2, 2, 5), [-2, -1, 0, 1, 2]);
  assert.deepEqual(niceTicks(-1.5, 1.5, 5), [-1, 0, 1]);
  assert.deepEqual(niceTicks(-3, 3, 5), [-3, -2, -1, 0, 1, 2, 3].filter((v) => v % 2 === 0));
});

test("decimals are clean and inside the range", () => {
  const t = niceTicks(0.1, 0.9, 5);
  assert.deepEqual(t, [0.2, 0.4, 0.6, 0.8]);
  for (const v of niceTicks(-0.75, 1.3, 6)) assert.ok(v >= -0.75 && v <= 1.3);
  assert.deepEqual(niceTicks(-0.75, 1.3, 6), [-0.5, 0, 0.5, 1]);
});

test("an empty or inverted range has no ticks", () => {
  assert.deepEqual(niceTicks(1, 1), []);
  assert.deepEqual(niceTicks(2, 1), []);
  assert.deepEqual(niceTicks(0, Infinity), []);
});
