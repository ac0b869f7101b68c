// Pure edits of a NetworkSpec (no DOM). A layer's path is its position, the same
// string the server uses: "layers.3", "layers.4.body.0", "layers.7.branches.2.1".
// A stack path names a list of layers: "layers", "layers.4.body", "layers.7.branches.2".
// Every edit returns a new spec; the old one is left untouched (undo keeps it).

const clone = (x) => structuredClone(x);

/** Split "layers.4.body.0" into its stack "layers.4.body" and index 0. */
export function splitPath(path) {
  const parts = path.split(".");
  return { stack: parts.slice(0, -1).join("."), index: Number(parts.at(-1)) };
}

/** The value at a dotted path ("layers.4.body" -> the list). */
export function getAt(spec, path) {
  let node = spec;
  for (const key of path.split(".")) {
    if (node == null) return undefined;
    node = node[key];
  }
  return node;
}

/** The sub-stacks of a block, with their path segments, as the server names them. */
export function childStacks(layer) {
  if (layer.type === "sequential") return [["layers", layer.layers ?? []]];
  if (layer.type === "residual") {
    return [
      ["body", layer.body ?? []],
      ["shortcut", layer.shortcut ?? []],
    ];
  }
  if (layer.type === "parallel") {
    return (layer.branches ?? []).map((b, i) => [`branches.${i}`, b]);
  }
  return [];
}

export const isBlock = (layer) => ["sequential", "residual", "parallel"].includes(layer?.type);

/** Make sure the list at a stack path exists in the (cloned) spec and return it. */
function ensureStack(spec, stackPath) {
  const parts = stackPath.split(".");
  let node = spec;
  parts.forEach((key, i) => {
    if (node[key] == null) node[key] = i === parts.length - 1 ? [] : {};
    node = node[key];
  });
  return node;
}

export function insertAt(spec, stackPath, index, layer) {
  const next = clone(spec);
  const stack = ensureStack(next, stackPath);
  stack.splice(Math.max(0, Math.min(index, stack.length)), 0, clone(layer));
  return next;
}

export function removeAt(spec, path) {
  const next = clone(spec);
  const { stack, index } = splitPath(path);
  getAt(next, stack).splice(index, 1);
  return next;
}

export function duplicateAt(spec, path) {
  const { stack, index } = splitPath(path);
  return insertAt(spec, stack, index + 1, getAt(spec, path));
}

/** Move a layer up (-1) or down (+1) within its stack; returns [spec, newPath]. */
export function moveBy(spec, path, delta) {
  const { stack, index } = splitPath(path);
  const list = getAt(spec, stack);
  const to = index + delta;
  if (to < 0 || to >= list.length) return [spec, path];
  const next = clone(spec);
  const nlist = getAt(next, stack);
  const [item] = nlist.splice(index, 1);
  nlist.splice(to, 0, item);
  return [next, `${stack}.${to}`];
}

/**
 * Move the layer at `from` to stand before position `index` of `toStack` (drag and
 * drop, possibly between stacks). Returns [spec, newPath], or [spec, from] when the
 * move is impossible (a block dropped into itself).
 */
export function moveTo(spec, from, toStack, index) {
  if (toStack === from || toStack.startsWith(`${from}.`)) return [spec, from];
  const next = clone(spec);
  const src = splitPath(from);
  const target = ensureStack(next, toStack);
  const anchor = target[index]; // object identity survives the removal below
  const [item] = getAt(next, src.stack).splice(src.index, 1);
  const at = anchor === undefined ? target.length : target.indexOf(anchor);
  target.splice(at, 0, item);
  // Paths of the target stack may shift if an earlier sibling of its ancestor moved:
  // find the item again to report its path.
  return [next, findPath(next, item) ?? from];
}

/** The path of a layer object inside a spec (by identity), or null. */
export function findPath(spec, needle) {
  const walk = (layers, prefix) => {
    for (let i = 0; i < layers.length; i++) {
      const here = `${prefix}.${i}`;
      if (layers[i] === needle) return here;
      for (const [seg, sub] of childStacks(layers[i])) {
        const found = walk(sub, `${here}.${seg}`);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(spec.layers ?? [], "layers");
}

/** Set (or, with undefined, remove so the server's default applies) one field. */
export function setField(spec, path, key, value) {
  const next = clone(spec);
  const target = path === "" ? next : getAt(next, path);
  if (value === undefined) delete target[key];
  else target[key] = value;
  return next;
}

export function setInput(spec, key, value) {
  const next = clone(spec);
  next.input = { ...(next.input ?? {}), [key]: value };
  return next;
}

export function addBranch(spec, path) {
  const next = clone(spec);
  const layer = getAt(next, path);
  layer.branches = [...(layer.branches ?? []), []];
  return next;
}

export function removeBranch(spec, path, i) {
  const next = clone(spec);
  getAt(next, path).branches.splice(i, 1);
  return next;
}

/** Whether a path still names a layer in the spec. */
export const exists = (spec, path) => path != null && getAt(spec, path)?.type !== undefined;

// Required fields have no server default; a new layer needs a first value to be
// valid at all. These are starting suggestions, not defaults: every optional field
// is left out of the spec so the server's own default applies.
const STARTERS = { out_channels: 16, kernel_size: 3, out_features: 10, hidden_size: 32 };

/** A new layer of a type, from its JSON schema: only the required fields are set. */
export function newLayer(type, schema) {
  const layer = { type };
  for (const key of schema?.required ?? []) {
    if (key === "type") continue;
    const prop = schema.properties[key];
    layer[key] = STARTERS[key] ?? firstValue(prop);
  }
  if (type === "parallel") layer.branches = [[], []];
  if (type === "residual") layer.body = [];
  if (type === "sequential") layer.layers = [];
  return layer;
}

function firstValue(prop) {
  const opts = prop.anyOf ?? [prop];
  const int = opts.find((o) => o.type === "integer");
  if (int) return int.minimum ?? 1;
  const num = opts.find((o) => o.type === "number");
  if (num) return num.minimum ?? 0;
  const en = opts.find((o) => o.enum);
  if (en) return en.enum[0];
  return null;
}
