// node --test tests/js/: pure edits of a NetworkSpec by layer path (lib/spec_edit.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as E from "../../frontend/js/lib/spec_edit.js";

const conv = (n) => ({ type: "conv2d", out_channels: n, kernel_size: 3 });
const SPEC = {
  name: "net",
  input: { channels: 1, height: 28, width: 28 },
  layers: [
    conv(8),
    { type: "residual", body: [conv(8), { type: "relu" }], shortcut: [] },
    { type: "parallel", branches: [[conv(4)], []], merge: "concat" },
    { type: "flatten" },
  ],
};

test("paths split into their stack and index and resolve as the server names them", () => {
  assert.deepEqual(E.splitPath("layers.1.body.0"), { stack: "layers.1.body", index: 0 });
  assert.equal(E.getAt(SPEC, "layers.1.body.1").type, "relu");
  assert.equal(E.getAt(SPEC, "layers.2.branches.0.0").out_channels, 4);
  assert.equal(E.getAt(SPEC, "layers.9.body"), undefined);
  assert.deepEqual(E.childStacks(SPEC.layers[2]).map(([seg]) => seg), ["branches.0", "branches.1"]);
  assert.deepEqual(E.childStacks(SPEC.layers[1]).map(([seg]) => seg), ["body", "shortcut"]);
  assert.ok(E.isBlock(SPEC.layers[1]) && !E.isBlock(SPEC.layers[0]));
});

test("edits return new specs and leave the old one as it was (undo keeps it)", () => {
  const before = structuredClone(SPEC);
  const ins = E.insertAt(SPEC, "layers.1.shortcut", 0, conv(8));
  assert.equal(E.getAt(ins, "layers.1.shortcut").length, 1);
  const rem = E.removeAt(SPEC, "layers.1.body.1");
  assert.deepEqual(E.getAt(rem, "layers.1.body"), [conv(8)]);
  const dup = E.duplicateAt(SPEC, "layers.0");
  assert.equal(dup.layers.length, 5);
  assert.deepEqual(dup.layers[1], conv(8));
  assert.notEqual(dup.layers[1], dup.layers[0]);
  assert.deepEqual(SPEC, before);
});

test("insertAt clamps the index and creates a missing stack", () => {
  const a = E.insertAt(SPEC, "layers", 99, { type: "relu" });
  assert.equal(a.layers.at(-1).type, "relu");
  const b = E.insertAt({ layers: [{ type: "sequential" }] }, "layers.0.layers", 0, { type: "relu" });
  assert.deepEqual(b.layers[0].layers, [{ type: "relu" }]);
});

test("moveBy stays inside its stack", () => {
  const [next, to] = E.moveBy(SPEC, "layers.0", 1);
  assert.equal(to, "layers.1");
  assert.equal(next.layers[1].type, "conv2d");
  assert.equal(next.layers[0].type, "residual");
  const [same, at] = E.moveBy(SPEC, "layers.0", -1);
  assert.equal(same, SPEC);
  assert.equal(at, "layers.0");
});

test("moveTo moves between stacks and reports the new path; a block never into itself", () => {
  const [next, to] = E.moveTo(SPEC, "layers.0", "layers.2.branches.1", 0);
  assert.equal(to, "layers.1.branches.1.0");
  assert.equal(E.getAt(next, to).out_channels, 8);
  assert.equal(next.layers.length, 3);
  const [same, from] = E.moveTo(SPEC, "layers.1", "layers.1.body", 0);
  assert.equal(same, SPEC);
  assert.equal(from, "layers.1");
});

test("findPath finds a layer object by identity", () => {
  assert.equal(E.findPath(SPEC, SPEC.layers[2].branches[0][0]), "layers.2.branches.0.0");
  assert.equal(E.findPath(SPEC, conv(4)), null);
});

test("fields: set, or undefined to fall back to the server's default", () => {
  const a = E.setField(SPEC, "layers.0", "padding", 1);
  assert.equal(a.layers[0].padding, 1);
  const b = E.setField(a, "layers.0", "padding", undefined);
  assert.equal("padding" in b.layers[0], false);
  assert.equal(E.setField(SPEC, "", "name", "renamed").name, "renamed");
  assert.deepEqual(E.setInput(SPEC, "channels", 3).input, { channels: 3, height: 28, width: 28 });
});

test("branches are added and removed", () => {
  const a = E.addBranch(SPEC, "layers.2");
  assert.equal(a.layers[2].branches.length, 3);
  const b = E.removeBranch(a, "layers.2", 0);
  assert.deepEqual(b.layers[2].branches, [[], []]);
});

test("exists names layers only", () => {
  assert.ok(E.exists(SPEC, "layers.1.body.0"));
  assert.equal(E.exists(SPEC, "layers.1.body"), false);
  assert.equal(E.exists(SPEC, "layers.7"), false);
  assert.equal(E.exists(SPEC, null), false);
});

test("a new layer gets only its required fields, from the JSON schema", () => {
  const schema = {
    required: ["type", "out_channels", "kernel_size", "groups", "mode", "p"],
    properties: {
      out_channels: { type: "integer", minimum: 1 },
      kernel_size: { anyOf: [{ type: "integer", minimum: 1 }, { type: "array" }] },
      groups: { type: "integer", minimum: 2 },
      mode: { enum: ["a", "b"] },
      p: { type: "number" },
      bias: { type: "boolean", default: true },
    },
  };
  assert.deepEqual(E.newLayer("conv2d", schema), {
    type: "conv2d", out_channels: 16, kernel_size: 3, groups: 2, mode: "a", p: 0,
  });
  assert.deepEqual(E.newLayer("parallel", { required: ["type"] }), { type: "parallel", branches: [[], []] });
  assert.deepEqual(E.newLayer("residual", undefined), { type: "residual", body: [] });
  assert.deepEqual(E.newLayer("sequential", undefined), { type: "sequential", layers: [] });
});
