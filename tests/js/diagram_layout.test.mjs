// node --test tests/js/: the SVG diagram's boxes, frames and edges (lib/diagram_layout.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { boxSize, layoutNetwork, shortName, stack } from "../../frontend/js/lib/diagram_layout.js";

const SPEC = {
  input: { channels: 1, height: 28, width: 28 },
  layers: [
    { type: "conv2d", out_channels: 8, kernel_size: 3, padding: 1 },
    { type: "residual", body: [{ type: "relu" }], shortcut: [] },
    { type: "parallel", branches: [[{ type: "relu" }], [{ type: "relu" }]], merge: "concat" },
    { type: "flatten" },
  ],
};
const REPORT = {
  input_shape: [1, 28, 28],
  layers: [
    { path: "layers.0", output_shape: [8, 28, 28] },
    { path: "layers.1", output_shape: [8, 28, 28] },
    { path: "layers.1.body.0", output_shape: [8, 28, 28] },
    { path: "layers.2", output_shape: [16, 28, 28] },
    { path: "layers.2.branches.0.0", output_shape: [8, 28, 28] },
    { path: "layers.2.branches.1.0", output_shape: [8, 28, 28] },
    { path: "layers.3", output_shape: [12544] },
  ],
  error: { layer: "layers.3" },
};

const inside = (n, box) =>
  n.x >= box.x - 1e-9 && n.y >= box.y - 1e-9 && n.x + n.w <= box.x + box.w + 1e-9 && n.y + n.h <= box.y + box.h + 1e-9;

test("boxes grow with H*W and channels, and stay within bounds", () => {
  const small = boxSize([1, 2, 2]);
  const big = boxSize([512, 224, 224]);
  assert.ok(big.w > small.w && big.h > small.h);
  assert.ok(big.w <= 210 && big.h <= 40);
  assert.deepEqual(boxSize(null), { w: 110, h: 22 });
  assert.equal(boxSize([10]).h, 20);
  assert.equal(shortName("batchnorm2d"), "bn");
  assert.equal(shortName("relu"), "relu");
});

test("every layer has one node with its path, labelled with its shape as drawn", () => {
  const lay = layoutNetwork(SPEC, REPORT);
  const byPath = new Map(lay.nodes.filter((n) => n.path).map((n) => [n.path, n]));
  assert.equal(byPath.get("input").label, "input · 28x28x1");
  assert.equal(byPath.get("layers.0").label, "conv · 28x28x8");
  assert.equal(byPath.get("layers.1").kind, "frame");
  assert.equal(byPath.get("layers.2").label, "parallel · 28x28x16");
  assert.equal(byPath.get("layers.3").label, "flatten · 12544");
  assert.equal(byPath.get("layers.3").error, true);
  assert.equal(byPath.get("layers.0").error, false);
  for (const p of REPORT.layers.map((r) => r.path)) assert.ok(byPath.has(p), p);
});

test("blocks merge: + for add, C for concat; children sit inside their frame", () => {
  const lay = layoutNetwork(SPEC, REPORT);
  assert.deepEqual(lay.nodes.filter((n) => n.kind === "merge").map((n) => n.label), ["+", "C"]);
  const frame = lay.nodes.find((n) => n.path === "layers.2");
  const kids = lay.nodes.filter((n) => n.path?.startsWith("layers.2."));
  assert.equal(kids.length, 2);
  for (const k of kids) assert.ok(inside(k, frame), k.path);
  assert.notEqual(kids[0].x, kids[1].x); // branches side by side
  assert.equal(kids[0].y, kids[1].y);
});

test("the whole drawing holds every node and edge, layers top to bottom", () => {
  const lay = layoutNetwork(SPEC, REPORT);
  const all = { x: 0, y: 0, w: lay.w, h: lay.h };
  for (const n of lay.nodes.filter((x) => x.kind !== "merge")) assert.ok(inside(n, all), n.path);
  for (const e of lay.edges) {
    for (const [x, y] of [[e.x1, e.y1], [e.x2, e.y2]]) assert.ok(x >= 0 && x <= lay.w && y >= 0 && y <= lay.h);
  }
  const tops = ["input", "layers.0", "layers.1", "layers.2", "layers.3"].map((p) => lay.nodes.find((n) => n.path === p).y);
  assert.deepEqual([...tops].sort((a, b) => a - b), tops);
});

test("without a report yet: shapes unknown, the input from the spec", () => {
  const lay = layoutNetwork(SPEC, null);
  assert.equal(lay.nodes[0].label, "input · 28x28x1");
  const conv = lay.nodes.find((n) => n.path === "layers.0");
  assert.equal(conv.unknown, true);
  assert.equal(conv.label, "conv · ?");
  assert.deepEqual(stack([], "layers", new Map()), { w: 0, h: 0, nodes: [], edges: [] });
});

test("a residual concat draws its shortcut column first: cat([shortcut(x), body(x)])", () => {
  const dense = {
    input: { channels: 4, height: 8, width: 8 },
    layers: [{ type: "residual", merge: "concat", body: [{ type: "relu" }], shortcut: [{ type: "identity" }] }],
  };
  const lay = layoutNetwork(dense, null);
  const x = (p) => lay.nodes.find((n) => n.path === p).x;
  assert.ok(x("layers.0.shortcut.0") < x("layers.0.body.0"));
  assert.equal(lay.nodes.find((n) => n.kind === "merge").label, "C");
  const add = { ...dense, layers: [{ ...dense.layers[0], merge: "add" }] };
  const lay2 = layoutNetwork(add, null);
  const x2 = (p) => lay2.nodes.find((n) => n.path === p).x;
  assert.ok(x2("layers.0.body.0") < x2("layers.0.shortcut.0"));
});

test("a squeeze-and-excitation block merges with ×, a depthwise conv says so (issue 16)", () => {
  const se = {
    input: { channels: 8, height: 8, width: 8 },
    layers: [
      { type: "conv2d", out_channels: 8, kernel_size: 3, padding: 1, groups: "depthwise" },
      { type: "residual", merge: "mul", body: [{ type: "global_avgpool2d" }, { type: "hardsigmoid" }] },
      { type: "conv_transpose2d", out_channels: 4, kernel_size: 2, stride: 2 },
    ],
  };
  const report = {
    input_shape: [8, 8, 8],
    layers: [
      { path: "layers.0", output_shape: [8, 8, 8], variant: "depthwise" },
      { path: "layers.1", output_shape: [8, 8, 8] },
      { path: "layers.1.body.0", output_shape: [8, 1, 1] },
      { path: "layers.1.body.1", output_shape: [8, 1, 1] },
      { path: "layers.2", output_shape: [4, 16, 16] },
    ],
  };
  const lay = layoutNetwork(se, report);
  const byPath = new Map(lay.nodes.map((n) => [n.path, n]));
  assert.equal(byPath.get("layers.0").label, "dw conv · 8x8x8");
  assert.equal(byPath.get("layers.2").label, "tconv · 16x16x4");
  assert.deepEqual(lay.nodes.filter((n) => n.kind === "merge").map((n) => n.label), ["×"]);
});
