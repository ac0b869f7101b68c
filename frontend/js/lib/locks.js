// Per-layer locks for transfer learning (issue 7): the layer paths a design freezes.
// They travel with the design: after the spec in the hash ("#design/<spec>~layers.0,layers.3")
// and beside it in localStorage. The spec itself stays a plain NetworkSpec (the server
// refuses unknown keys), so views that only want the network read it unchanged. DOM-free.

export const LOCKS_KEY = "cnnplay.design.frozen";
const SEP = "~"; // not in base64url, nor in a layer path
// layers.3, layers.4.body.0, layers.7.branches.2.1, layers.2.layers.0.shortcut.1
const PATH = /^layers\.\d+(\.(layers|body|shortcut|branches\.\d+)\.\d+)*$/;

/** Only well-formed layer paths, each once, in their given order. */
export function cleanLocks(paths) {
  return [...new Set((paths ?? []).filter((p) => typeof p === "string" && PATH.test(p)))];
}

/** "<spec>~a,b" -> ["<spec>", ["a", "b"]]; no "~": no locks. */
export function splitHash(rest) {
  const i = rest.indexOf(SEP);
  if (i < 0) return [rest, []];
  return [rest.slice(0, i), cleanLocks(decodeURIComponent(rest.slice(i + 1)).split(","))];
}

export const lockSuffix = (locks) => (locks.length ? `${SEP}${locks.join(",")}` : "");

/** The locks stored beside the design in localStorage (a list of paths). */
export function storedLocks(storage = globalThis.localStorage) {
  try {
    return cleanLocks(JSON.parse(storage?.getItem(LOCKS_KEY) || "[]"));
  } catch {
    return [];
  }
}

export function storeLocks(locks, storage = globalThis.localStorage) {
  storage?.setItem(LOCKS_KEY, JSON.stringify(locks));
}

/** Locks whose layer still exists (`exists(path)`), a locked block's inner locks dropped. */
export function pruneLocks(locks, exists) {
  const kept = locks.filter((p) => exists(p));
  return kept.filter((p) => !kept.some((q) => q !== p && p.startsWith(`${q}.`)));
}

// Locks follow their layers when the design changes shape: an insertion or removal shifts
// the later siblings' paths (and everything inside them), a move carries the layer's own.

function split(path) {
  const dot = path.lastIndexOf(".");
  return { stack: path.slice(0, dot), index: Number(path.slice(dot + 1)) };
}

/** `p` with its index in `stack` (if `p` lies in that stack) replaced by f(index). */
function renumber(p, stack, f) {
  const prefix = `${stack}.`;
  if (!p.startsWith(prefix)) return p;
  const rest = p.slice(prefix.length);
  const dot = rest.indexOf(".");
  const i = Number(dot < 0 ? rest : rest.slice(0, dot));
  return `${prefix}${f(i)}${dot < 0 ? "" : rest.slice(dot)}`;
}

/** After a layer is inserted at `stack`.`index`. */
export function afterInsert(locks, stack, index) {
  return locks.map((p) => renumber(p, stack, (i) => (i >= index ? i + 1 : i)));
}

/** After the layer (or branch) at `path` is removed: its own locks go with it. */
export function afterRemove(locks, path) {
  const { stack, index } = split(path);
  return locks
    .filter((p) => p !== path && !p.startsWith(`${path}.`))
    .map((p) => renumber(p, stack, (i) => (i > index ? i - 1 : i)));
}

/** After the layer at `from` moved to `to` (its path in the new design). */
export function afterMove(locks, from, to) {
  if (from === to) return locks;
  const moved = locks
    .filter((p) => p === from || p.startsWith(`${from}.`))
    .map((p) => to + p.slice(from.length));
  const { stack, index } = split(to);
  return [...afterInsert(afterRemove(locks, from), stack, index), ...moved];
}
