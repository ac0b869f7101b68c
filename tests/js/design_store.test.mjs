// node --test tests/js/: the designer's design shared with the other views.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DESIGN_KEY, loadDesign, saveDesign } from "../../frontend/js/lib/design_store.js";

/** The Storage interface over a Map, as the page's localStorage behaves. */
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}

const LENET = { name: "LeNet", input: { channels: 1, height: 28, width: 28 }, layers: [{ type: "flatten" }] };

test("a saved design loads back as an equal copy under the shared key", () => {
  const store = memoryStorage();
  saveDesign(LENET, store);
  assert.equal(store.m.get(DESIGN_KEY), JSON.stringify(LENET));
  const got = loadDesign(store);
  assert.deepEqual(got, LENET);
  assert.notEqual(got, LENET);
});

test("no design, broken JSON or no storage at all read as null", () => {
  const store = memoryStorage();
  assert.equal(loadDesign(store), null);
  store.setItem(DESIGN_KEY, "{not json");
  assert.equal(loadDesign(store), null);
  assert.equal(loadDesign(null), null);
  assert.doesNotThrow(() => saveDesign(LENET, null));
});

test("node has no localStorage: the default storage is absent, not an error", () => {
  assert.equal(globalThis.localStorage, undefined);
  assert.equal(loadDesign(), null);
});

test("a storage that throws (privacy mode) reads as no design", () => {
  const hostile = { getItem: () => { throw new Error("SecurityError"); } };
  assert.equal(loadDesign(hostile), null);
});
