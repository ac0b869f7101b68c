// The designer's locks for "fine-tune the later layers" (pure apart from reading the stored
// design and locks). Each mode's frozen paths and the re-headed network come from the
// server (POST /api/transfer/plan, issue 12).
import { loadDesign } from "../../lib/design_store.js";
import { storedLocks } from "../../lib/locks.js";
import { childStacks } from "../../lib/spec_edit.js";

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
