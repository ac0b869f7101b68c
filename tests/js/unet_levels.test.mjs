// node --test tests/js/: a U-Net's encoder/decoder levels from its layer list (issue 16).
import { test } from "node:test";
import assert from "node:assert/strict";
import { unetLevels } from "../../frontend/js/lib/unet_levels.js";

// unet_small with widths (8, 16): double conv, skip block [pool, double conv, up], double conv, head
const L = (path, type, extra = {}) => ({ path, type, ...extra });
const UNET = [
  ...["conv2d", "batchnorm2d", "relu", "conv2d", "batchnorm2d", "relu"].map((t, i) => L(`layers.${i}`, t)),
  L("layers.6", "residual", { merge: "concat" }),
  L("layers.6.body.0", "maxpool2d"),
  ...["conv2d", "batchnorm2d", "relu", "conv2d", "batchnorm2d", "relu"].map((t, i) => L(`layers.6.body.${i + 1}`, t)),
  L("layers.6.body.7", "conv_transpose2d"),
  ...["conv2d", "batchnorm2d", "relu", "conv2d", "batchnorm2d", "relu"].map((t, i) => L(`layers.${i + 7}`, t)),
  L("layers.13", "conv2d"),
];

test("a U-Net pairs each level's encoder with its decoder", () => {
  assert.deepEqual(unetLevels(UNET), [
    { level: 1, encoder: "layers.5", decoder: "layers.12" },
    { level: 2, encoder: "layers.6.body.6", decoder: null },
  ]);
});

test("a network without concat skips has no levels", () => {
  assert.deepEqual(unetLevels([L("layers.0", "conv2d"), L("layers.1", "residual"), L("layers.1.body.0", "relu")]), []);
});
