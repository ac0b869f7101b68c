// Feature-map layers as people read them (no DOM, issue 18): in the order they run (a
// block's children first, then the block's output), named by their type, their number in
// their stack and the named blocks around them, with the path kept as the detail.
import { getAt } from "./spec_edit.js";

/** Server order (a block before its children) -> execution order (children, then block). */
export function executionOrder(layers) {
  const out = [];
  const pending = []; // blocks whose children are still coming
  layers.forEach((l, i) => {
    while (pending.length && !l.path.startsWith(`${pending.at(-1).path}.`)) out.push(pending.pop());
    const next = layers[i + 1];
    if (next?.path.startsWith(`${l.path}.`)) pending.push(l);
    else out.push(l);
  });
  while (pending.length) out.push(pending.pop());
  return out;
}

const TYPE = {
  conv2d: "Conv",
  batchnorm2d: "BatchNorm",
  batchnorm1d: "BatchNorm",
  maxpool2d: "MaxPool",
  avgpool2d: "AvgPool",
  adaptive_avgpool2d: "AdaptiveAvgPool",
  global_avgpool2d: "GlobalAvgPool",
  relu: "ReLU",
  leaky_relu: "LeakyReLU",
  gelu: "GELU",
  tanh: "Tanh",
  sigmoid: "Sigmoid",
  softmax: "Softmax",
  linear: "Linear",
  flatten: "Flatten",
  dropout: "Dropout",
  dropout2d: "Dropout2d",
  sequential: "Group",
  residual: "Residual block",
  parallel: "Parallel block",
  lstm: "LSTM",
  gru: "GRU",
  identity: "Identity",
};
export const typeName = (type) => TYPE[type] ?? type;

/** The steps of a path below "layers": [{stack, index}] ("layers.1.body.3" -> two). */
function steps(path) {
  const parts = path.split(".");
  const out = [];
  let stack = [];
  for (let i = 0; i < parts.length; i++) {
    if (/^\d+$/.test(parts[i]) && parts[i - 1] !== "branches") {
      out.push({ at: parts.slice(0, i + 1).join("."), stack: stack.join("."), index: Number(parts[i]) });
      stack = [];
    } else stack.push(parts[i]);
  }
  return out;
}

/**
 * {name, where} for a layer: name "Conv 4" (its type and 1-based place in its stack, or a
 * named block's own name), where "layer1 › Residual block 1 › body" (the blocks around
 * it, by name where they have one). `spec` may be null: the names then come from the
 * types the server sent (`typeOf(path)`).
 */
export function readableName(spec, path, type, typeOf = () => null) {
  const parts = steps(path);
  const label = (p) => {
    const layer = spec ? getAt(spec, p.at) : null;
    if (layer?.name) return layer.name;
    return `${typeName(layer?.type ?? typeOf(p.at) ?? "block")} ${p.index + 1}`;
  };
  const last = parts.at(-1);
  const where = [];
  parts.slice(0, -1).forEach((p, i) => {
    where.push(label(p));
    const sub = parts[i + 1].stack;
    if (sub && sub !== "layers") where.push(sub.replace(/^branches\.(\d+)$/, (_, b) => `branch ${Number(b) + 1}`));
  });
  const own = spec ? getAt(spec, last.at) : null;
  const name = own?.name || `${typeName(own?.type ?? type)} ${last.index + 1}`;
  return { name, where: where.join(" › ") };
}

/** Top-level groups for folding: [{head, members}] where head is the layers.N entry and
 * members its descendants in execution order, then the head itself. */
export function topGroups(ordered) {
  const groups = new Map();
  for (const l of ordered) {
    const top = l.path.split(".").slice(0, 2).join(".");
    if (!groups.has(top)) groups.set(top, { path: top, members: [] });
    groups.get(top).members.push(l);
  }
  return [...groups.values()].map((g) => ({ ...g, head: g.members.find((m) => m.path === g.path) }));
}
