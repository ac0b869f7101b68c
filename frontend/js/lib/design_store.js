// The designer's current design, kept in localStorage under one key: the feature-map,
// training and inside-learning views pick it up as "your design", and a reload without
// a link restores it. The storage is a parameter (default: the page's localStorage, when
// there is one) so that node tests can pass a Map-like stand-in; no DOM here.

export const DESIGN_KEY = "cnnplay.design";

const pageStorage = () => globalThis.localStorage ?? null;

/** The stored design's NetworkSpec, or null (none stored, unreadable, no storage). */
export function loadDesign(storage = pageStorage()) {
  try {
    return JSON.parse(storage?.getItem(DESIGN_KEY) || "null");
  } catch {
    return null;
  }
}

/** Store spec as the current design (a no-op without storage). */
export function saveDesign(spec, storage = pageStorage()) {
  storage?.setItem(DESIGN_KEY, JSON.stringify(spec));
}
