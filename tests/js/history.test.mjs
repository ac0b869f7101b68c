// node --test tests/js/: the designer's undo/redo (lib/history.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { History } from "../../frontend/js/lib/history.js";

test("undo and redo walk the pushed states", () => {
  const hist = new History("a");
  hist.push("b");
  hist.push("c");
  assert.equal(hist.undo(), "b");
  assert.equal(hist.undo(), "a");
  assert.equal(hist.canUndo, false);
  assert.equal(hist.undo(), "a");
  assert.equal(hist.redo(), "b");
  assert.equal(hist.redo(), "c");
  assert.equal(hist.canRedo, false);
});

test("a push after an undo drops the redo branch", () => {
  const hist = new History(1);
  hist.push(2);
  hist.undo();
  hist.push(3);
  assert.equal(hist.canRedo, false);
  assert.equal(hist.undo(), 1);
});

test("pushes with the same key coalesce into one step (typing in a field)", () => {
  const hist = new History("");
  for (const t of ["L", "Le", "LeN"]) hist.push(t, "name");
  hist.push("x", "other");
  assert.equal(hist.undo(), "LeN");
  assert.equal(hist.undo(), "");
  // after an undo the same key starts a new step
  hist.redo();
  hist.push("LeNe", "name");
  assert.equal(hist.undo(), "LeN");
});

test("the past is bounded by the limit; reset forgets it", () => {
  const hist = new History(0, 3);
  for (let i = 1; i <= 5; i++) hist.push(i);
  assert.deepEqual(hist.past, [2, 3, 4]);
  hist.reset(9);
  assert.equal(hist.present, 9);
  assert.equal(hist.canUndo || hist.canRedo, false);
});
