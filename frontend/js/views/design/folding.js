// Which blocks of a network open folded, and how many layers it has (pure, no DOM).
import * as E from "../../lib/spec_edit.js";

/** Big networks open with their nested blocks folded (a ResNet stage shows its blocks)
 * and every parallel block folded (GoogLeNet shows its nine Inception modules). */
export function foldDeep(s) {
  const folded = new Set();
  if (countLayers(s.layers) <= 60) return folded;
  const walk = (layers, prefix, depth) =>
    layers.forEach((l, i) => {
      const path = `${prefix}.${i}`;
      if (E.isBlock(l) && (depth >= 1 || l.type === "parallel")) folded.add(path);
      for (const [seg, sub] of E.childStacks(l)) walk(sub, `${path}.${seg}`, depth + 1);
    });
  walk(s.layers, "layers", 0);
  return folded;
}

/** Layers in a stack, blocks and everything inside them included. */
export const countLayers = (layers) =>
  layers.reduce(
    (n, l) => n + 1 + E.childStacks(l).reduce((m, [, sub]) => m + countLayers(sub), 0),
    0,
  );
