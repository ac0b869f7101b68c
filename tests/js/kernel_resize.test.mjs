// node --test tests/js/: growing and shrinking the custom kernel keeps its centre.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resizeKernel } from "../../frontend/js/lib/kernel_resize.js";

const K3 = [0, 1, 2, 2, 2, 0, 0, 1, 2];

test("3 -> 5 frames the plane with zeros, centred", () => {
  assert.deepEqual(resizeKernel(K3, 1, 1, 3, 5), [
    0, 0, 0, 0, 0,
    0, 0, 1, 2, 0,
    0, 2, 2, 0, 0,
    0, 0, 1, 2, 0,
    0, 0, 0, 0, 0,
  ]);
});

test("3 -> 7 -> 3 gives the numbers back", () => {
  const big = resizeKernel(K3, 1, 1, 3, 7);
  assert.equal(big.length, 49);
  assert.equal(big.filter((v) => v !== 0).length, K3.filter((v) => v !== 0).length);
  assert.deepEqual(resizeKernel(big, 1, 1, 7, 3), K3);
});

test("3 -> 1 keeps the centre; 3 -> 4 pads right and below", () => {
  assert.deepEqual(resizeKernel(K3, 1, 1, 3, 1), [2]);
  const four = resizeKernel(K3, 1, 1, 3, 4);
  assert.deepEqual(four.slice(0, 4), [0, 1, 2, 0]);
  assert.deepEqual(four.slice(12), [0, 0, 0, 0]);
});

test("every filter and channel is resized on its own", () => {
  const w = Array.from({ length: 2 * 3 * 9 }, (_, i) => i + 1); // c' = 2, c = 3
  const r = resizeKernel(w, 2, 3, 3, 5);
  assert.equal(r.length, 2 * 3 * 25);
  for (let k = 0; k < 6; k++) assert.equal(r[k * 25 + 12], w[k * 9 + 4]); // the centres
});

test("a wrong length is refused", () => {
  assert.throws(() => resizeKernel([1, 2], 1, 1, 3, 5), /expected 9 numbers/);
});
