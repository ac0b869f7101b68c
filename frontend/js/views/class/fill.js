// Replace an element's children with kids as h() takes them: nested arrays flattened,
// null, undefined and false skipped.
export function fill(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false));
}
