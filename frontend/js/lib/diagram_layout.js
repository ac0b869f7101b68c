// Lays out a network as boxes, frames and edges for the SVG diagram (no DOM).
// Boxes are sized by their output shape: wider for a larger H*W (or more features),
// taller for more channels. A block's branches stand side by side and meet in a
// merge node. Coordinates are in SVG user units, top-left origin.

import { childStacks } from "./spec_edit.js";
import { shapeText } from "./format.js";

const GAP = 14; // vertical space between boxes
const COL_GAP = 16; // between side-by-side branches
const PAD = 10; // inside a block's frame
const MERGE_R = 9;

const log2 = (x) => Math.log2(1 + Math.max(0, x));

// Short names keep boxes narrow enough for branches to stand side by side.
const SHORT = {
  conv2d: "conv",
  batchnorm2d: "bn",
  batchnorm1d: "bn1d",
  maxpool2d: "maxpool",
  avgpool2d: "avgpool",
  adaptive_avgpool2d: "adaptive pool",
  global_avgpool2d: "global pool",
  leaky_relu: "leaky relu",
  conv_transpose2d: "tconv",
  groupnorm: "gn",
  layernorm: "ln",
};

// The merge node's symbol: + adds, C concatenates channels, × multiplies (a gate).
const MERGE_SYMBOL = { add: "+", concat: "C", mul: "×" };

export const shortName = (type) => SHORT[type] ?? type;

export function boxSize(shape) {
  if (!shape) return { w: 110, h: 22 };
  if (shape.length === 3) {
    const [c, h, w] = shape;
    return { w: Math.min(210, 100 + 6 * log2(h * w)), h: 20 + Math.min(20, 2.2 * log2(c)) };
  }
  return { w: Math.min(210, 100 + 4 * log2(shape.at(-1))), h: 20 };
}

function shift(lay, dx, dy) {
  for (const n of lay.nodes) {
    n.x += dx;
    n.y += dy;
  }
  for (const e of lay.edges) {
    e.x1 += dx;
    e.x2 += dx;
    e.y1 += dy;
    e.y2 += dy;
  }
  return lay;
}

function leaf(layer, path, rows, errorPath) {
  const row = rows.get(path);
  const { w, h } = boxSize(row?.output_shape);
  const node = {
    kind: "box",
    x: 0,
    y: 0,
    w,
    h,
    path,
    type: layer.type,
    // a conv with one group per channel is drawn as what it is (MobileNet's depthwise)
    label: `${row?.variant === "depthwise" ? "dw conv" : shortName(layer.type)} · ${
      row ? shapeText(row.output_shape) : "?"
    }`,
    error: path === errorPath,
    unknown: !row,
  };
  return { w, h, nodes: [node], edges: [] };
}

function block(layer, path, rows, errorPath) {
  // A residual concat is cat([shortcut(x), body(x)]) (torchvision's DenseNet order,
  // issue 17): its columns read left to right in that order.
  const concat = layer.type === "residual" && layer.merge === "concat";
  const stacks = concat ? childStacks(layer).reverse() : childStacks(layer);
  const label = layer.type === "sequential" ? layer.name || "sequential" : layer.type;
  const cols = stacks.map(([seg, list]) => {
    const lay = stack(list, `${path}.${seg}`, rows, errorPath);
    if (list.length === 0) lay.w = 56; // an identity shortcut or an empty branch: a wire
    return lay;
  });
  const merges = layer.type !== "sequential";
  const innerW = cols.reduce((s, c) => s + c.w, 0) + COL_GAP * Math.max(0, cols.length - 1);
  const colsH = Math.max(0, ...cols.map((c) => c.h));
  const top = PAD + 16; // room for the frame's label
  const w = Math.max(innerW, 120) + 2 * PAD;
  const mergeY = top + colsH + (merges ? GAP + MERGE_R : 0);
  const h = (merges ? mergeY + MERGE_R : top + colsH) + PAD;
  const row = rows.get(path);
  const out = {
    w,
    h,
    nodes: [
      {
        kind: "frame",
        x: 0,
        y: 0,
        w,
        h,
        path,
        type: layer.type,
        label: `${label}${row ? ` · ${shapeText(row.output_shape)}` : ""}`,
        error: path === errorPath,
      },
    ],
    edges: [],
  };
  let x = (w - innerW) / 2;
  const cx = w / 2;
  for (const c of cols) {
    shift(c, x, top);
    out.nodes.push(...c.nodes);
    out.edges.push(...c.edges);
    const ccx = x + c.w / 2;
    if (merges) {
      // fork from the block's top to each column, each column down to the merge;
      // an empty column (identity shortcut) is a straight wire
      out.edges.push({ x1: cx, y1: top - 6, x2: ccx, y2: top });
      if (c.nodes.length === 0) out.edges.push({ x1: ccx, y1: top, x2: ccx, y2: top + colsH });
      const bottom = c.nodes.length === 0 ? top + colsH : top + c.h;
      out.edges.push({ x1: ccx, y1: bottom, x2: cx, y2: mergeY - MERGE_R });
    }
    x += c.w + COL_GAP;
  }
  // the wire in from the frame's top edge and out through its bottom edge
  out.edges.push({ x1: cx, y1: 0, x2: cx, y2: merges ? top - 6 : top });
  if (merges) out.edges.push({ x1: cx, y1: mergeY + MERGE_R, x2: cx, y2: h });
  else out.edges.push({ x1: cx, y1: top + colsH, x2: cx, y2: h });
  if (merges) {
    const merge = layer.merge ?? (layer.type === "parallel" ? "concat" : "add");
    out.nodes.push({ kind: "merge", x: cx, y: mergeY, w: 0, h: 0, label: MERGE_SYMBOL[merge] });
  }
  return out;
}

/** Layers one under another, each centred, joined by edges. */
export function stack(layers, prefix, rows, errorPath = null) {
  const parts = layers.map((layer, i) => {
    const path = `${prefix}.${i}`;
    return childStacks(layer).length || ["sequential", "residual", "parallel"].includes(layer.type)
      ? block(layer, path, rows, errorPath)
      : leaf(layer, path, rows, errorPath);
  });
  const w = Math.max(0, ...parts.map((p) => p.w));
  const out = { w, h: 0, nodes: [], edges: [] };
  let y = 0;
  parts.forEach((p, i) => {
    if (i > 0) {
      out.edges.push({ x1: w / 2, y1: y, x2: w / 2, y2: y + GAP });
      y += GAP;
    }
    shift(p, (w - p.w) / 2, y);
    out.nodes.push(...p.nodes);
    out.edges.push(...p.edges);
    y += p.h;
  });
  out.h = y;
  return out;
}

/**
 * The whole network: an input box, the layers, margins around. `report` is the
 * /api/shapes answer (or null while none has arrived).
 */
export function layoutNetwork(spec, report) {
  const rows = new Map((report?.layers ?? []).map((r) => [r.path, r]));
  const errorPath = report?.error?.layer ?? null;
  const inShape = report?.input_shape ?? [
    spec.input?.channels ?? 1,
    spec.input?.height ?? 28,
    spec.input?.width ?? 28,
  ];
  const { w: iw, h: ih } = boxSize(inShape);
  const body = stack(spec.layers ?? [], "layers", rows, errorPath);
  const M = 12;
  const w = Math.max(iw, body.w) + 2 * M;
  const input = {
    kind: "box",
    x: (w - iw) / 2,
    y: M,
    w: iw,
    h: ih,
    path: "input",
    type: "input",
    label: `input · ${shapeText(inShape)}`,
    error: false,
  };
  const nodes = [input];
  const edges = [];
  if (body.nodes.length) {
    edges.push({ x1: w / 2, y1: M + ih, x2: w / 2, y2: M + ih + GAP });
    shift(body, (w - body.w) / 2, M + ih + GAP);
    nodes.push(...body.nodes);
    edges.push(...body.edges);
  }
  const h = M + ih + (body.nodes.length ? GAP + body.h : 0) + M;
  return { w, h, nodes, edges };
}
