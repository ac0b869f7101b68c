// node --test tests/js/: per-layer locks kept with a design (issue 7).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cleanLocks, lockSuffix, pruneLocks, splitHash, storedLocks, storeLocks, LOCKS_KEY,
} from "../../frontend/js/lib/locks.js";

test("the hash carries the spec, then the locks after a ~", () => {
  assert.deepEqual(splitHash("eyJhIjoxfQ"), ["eyJhIjoxfQ", []]);
  const rest = `eyJhIjoxfQ${lockSuffix(["layers.0", "layers.3.body.1"])}`;
  assert.equal(rest, "eyJhIjoxfQ~layers.0,layers.3.body.1");
  assert.deepEqual(splitHash(rest), ["eyJhIjoxfQ", ["layers.0", "layers.3.body.1"]]);
  assert.equal(lockSuffix([]), "");
});

test("only layer paths survive, each once", () => {
  const got = cleanLocks(["layers.1", "layers.1", "x", "layers.2.branches.0.1", "layers.a", 3]);
  assert.deepEqual(got, ["layers.1", "layers.2.branches.0.1"]);
  assert.deepEqual(splitHash("abc~layers.1,<script>,layers.2.shortcut.0")[1], [
    "layers.1",
    "layers.2.shortcut.0",
  ]);
});

test("locks of removed layers, and inside a locked block, are dropped", () => {
  const exists = (p) => p !== "layers.9";
  assert.deepEqual(pruneLocks(["layers.3", "layers.3.body.0", "layers.9", "layers.4"], exists), [
    "layers.3",
    "layers.4",
  ]);
});

test("stored beside the design, bad JSON reads as none", () => {
  const mem = new Map();
  const storage = { getItem: (k) => mem.get(k) ?? null, setItem: (k, v) => mem.set(k, v) };
  storeLocks(["layers.0"], storage);
  assert.equal(mem.get(LOCKS_KEY), '["layers.0"]');
  assert.deepEqual(storedLocks(storage), ["layers.0"]);
  mem.set(LOCKS_KEY, "{not json");
  assert.deepEqual(storedLocks(storage), []);
});

test("locks follow their layers through inserts, removals and moves", async () => {
  const { afterInsert, afterRemove, afterMove } = await import("../../frontend/js/lib/locks.js");
  const locks = ["layers.1", "layers.3", "layers.3.body.0", "layers.10"];
  assert.deepEqual(afterInsert(locks, "layers", 2), [
    "layers.1", "layers.4", "layers.4.body.0", "layers.11",
  ]);
  assert.deepEqual(afterInsert(locks, "layers.3.body", 0), [
    "layers.1", "layers.3", "layers.3.body.1", "layers.10",
  ]);
  assert.deepEqual(afterRemove(locks, "layers.3"), ["layers.1", "layers.9"]);
  assert.deepEqual(afterRemove(locks, "layers.0"), [
    "layers.0", "layers.2", "layers.2.body.0", "layers.9",
  ]);
  // layers.1 moved down to be layers.3: layers.2 and layers.3 move up one
  assert.deepEqual(afterMove(locks, "layers.1", "layers.3").sort(), [
    "layers.10", "layers.2", "layers.2.body.0", "layers.3",
  ]);
  // a locked block dragged into another block's body carries its inner locks
  assert.deepEqual(afterMove(["layers.3", "layers.3.body.0"], "layers.3", "layers.1.body.0"), [
    "layers.1.body.0", "layers.1.body.0.body.0",
  ]);
  // a parallel block's branch removed: later branches renumber
  assert.deepEqual(afterRemove(["layers.2.branches.2.0"], "layers.2.branches.1"), [
    "layers.2.branches.1.0",
  ]);
});
