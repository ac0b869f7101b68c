// node --test tests/js/: the animator's geometry, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cellAt, convStep, fmt, isPadding, poolStep, windowCells,
} from "../../frontend/js/lib/conv_geometry.js";

const X = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]];
const K = [[0, 1, 2], [2, 2, 0], [0, 1, 2]];

test("textbook 5x5 * 3x3 gives the known answer", () => {
  const want = [[12, 12, 17], [10, 17, 19], [9, 6, 14]];
  for (let step = 0; step < 9; step++) {
    const { i, j } = cellAt(step, 3);
    assert.equal(convStep([X], [K], i, j, { f: 3, s: 1, d: 1 }).total, want[i][j]);
  }
});

test("stride and dilation spread the window", () => {
  const cells = windowCells(1, 2, { f: 3, s: 2, d: 2 });
  assert.deepEqual(cells[0], { a: 0, b: 0, r: 2, c: 4 });
  assert.deepEqual(cells.at(-1), { a: 2, b: 2, r: 6, c: 8 });
});

test("padding cells are recognised in window coordinates", () => {
  const g = { inRow: 2, inCol: 0, p: 1, n: [5, 5] };
  assert.equal(isPadding(0, 0, g), true); // column 0 is padding
  assert.equal(isPadding(0, 1, g), false);
  assert.equal(isPadding(4, 1, g), true); // padded row 6 = p + n
});

test("pool step marks the chosen cell", () => {
  const cells = poolStep(X, 0, 0, { f: 2, s: 2, d: 1 }, [0, 1]);
  assert.deepEqual(cells.filter((c) => c.chosen).map((c) => c.x), [3]);
});

test("fmt", () => {
  assert.equal(fmt(12), "12");
  assert.equal(fmt(0.3333333), "0.33");
  assert.equal(fmt(-Infinity), "−∞");
});
