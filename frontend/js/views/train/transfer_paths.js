// Which layers a transfer mode freezes, and the re-headed network (pure apart from reading
// the designer's stored design and locks).
import { loadDesign } from "../../lib/design_store.js";
import { storedLocks } from "../../lib/locks.js";
import { childStacks } from "../../lib/spec_edit.js";

// Top-level layers up to and including the first flatten (server: feature_extractor_paths).
export function featurePaths(spec) {
  const types = spec.layers.map((l) => l.type);
  const end = types.includes("flatten") ? types.indexOf("flatten") + 1 : types.length - 1;
  return types.slice(0, end).map((_, i) => `layers.${i}`);
}

// The first conv stage: from the input through the first pooling layer or block after the
// first conv (and the activation right after it). mnist_cnn: conv, relu, pool; the tiny
// ResNet: the stem and its first residual block.
export function firstStagePaths(spec) {
  const types = spec.layers.map((l) => l.type);
  const conv = types.findIndex((t) => t.startsWith("conv"));
  if (conv < 0) return [];
  const stageEnd = (t) => t === "maxpool2d" || t === "avgpool2d" || ["residual", "parallel", "sequential"].includes(t);
  let end = types.findIndex((t, i) => i > conv && stageEnd(t));
  end = end < 0 ? conv : end;
  if (["relu", "leaky_relu", "gelu"].includes(types[end + 1])) end += 1;
  return types.slice(0, end + 1).map((_, i) => `layers.${i}`);
}

// The layers' types and nesting, without their settings: a design "is" the pretrained
// network when this matches (its locks then mean the same layers).
const layout = (layers) => layers.map((l) => [l.type, childStacks(l).map(([seg, sub]) => [seg, layout(sub)])]);

/** The designer's locks when the stored design is this network, else null. */
export function designerLocks(spec) {
  try {
    const design = loadDesign();
    const locks = storedLocks();
    if (!design?.layers || !locks.length) return null;
    return JSON.stringify(layout(design.layers)) === JSON.stringify(layout(spec.layers)) ? locks : null;
  } catch {
    return null;
  }
}

// The zoo network with its last linear layer resized to the target's number of classes.
export function withHead(spec, k) {
  const out = structuredClone(spec);
  const last = out.layers.findLastIndex((l) => l.type === "linear");
  out.layers[last] = { ...out.layers[last], out_features: k };
  return out;
}
