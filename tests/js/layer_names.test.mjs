// node --test tests/js/: feature-map layers in execution order with readable names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { executionOrder, readableName, topGroups } from "../../frontend/js/lib/layer_names.js";

const SERVER = [
  "layers.0", "layers.0.layers.0", "layers.0.layers.1",
  "layers.1", "layers.1.layers.0", "layers.1.layers.0.body.0", "layers.1.layers.0.body.1",
  "layers.1.layers.1", "layers.2",
].map((path) => ({ path }));

test("a block's output comes after its children, depth first", () => {
  assert.deepEqual(executionOrder(SERVER).map((l) => l.path), [
    "layers.0.layers.0", "layers.0.layers.1", "layers.0",
    "layers.1.layers.0.body.0", "layers.1.layers.0.body.1", "layers.1.layers.0",
    "layers.1.layers.1", "layers.1", "layers.2",
  ]);
  assert.deepEqual(executionOrder([]), []);
});

const SPEC = {
  layers: [
    { type: "sequential", name: "stem", layers: [{ type: "conv2d" }, { type: "relu" }] },
    {
      type: "sequential",
      name: "layer1",
      layers: [{ type: "residual", body: [{ type: "conv2d" }, { type: "batchnorm2d" }], shortcut: [] }],
    },
    { type: "parallel", name: "inception3a", branches: [[{ type: "conv2d" }], [{ type: "relu" }, { type: "conv2d" }]] },
    { type: "linear" },
  ],
};

test("names read by type and place, inside the named blocks around them", () => {
  assert.deepEqual(readableName(SPEC, "layers.0.layers.1", "relu"), { name: "ReLU 2", where: "stem" });
  assert.deepEqual(readableName(SPEC, "layers.1.layers.0.body.1", "batchnorm2d"), {
    name: "BatchNorm 2",
    where: "layer1 › Residual block 1 › body",
  });
  assert.deepEqual(readableName(SPEC, "layers.2.branches.1.1", "conv2d"), {
    name: "Conv 2",
    where: "inception3a › branch 2",
  });
  assert.deepEqual(readableName(SPEC, "layers.2", "parallel"), { name: "inception3a", where: "" });
  assert.deepEqual(readableName(SPEC, "layers.3", "linear"), { name: "Linear 4", where: "" });
  // without the spec the names come from the types the server sent
  const types = new Map([["layers.1", "sequential"]]);
  assert.deepEqual(readableName(null, "layers.1.layers.0", "residual", (p) => types.get(p)), {
    name: "Residual block 1",
    where: "Group 2",
  });
});

test("top-level groups hold their members in execution order, the head last", () => {
  const groups = topGroups(executionOrder(SERVER));
  assert.deepEqual(groups.map((g) => g.path), ["layers.0", "layers.1", "layers.2"]);
  assert.equal(groups[1].head.path, "layers.1");
  assert.equal(groups[1].members.at(-1).path, "layers.1");
  assert.equal(groups[2].members.length, 1);
});
