// What links the formula's numbers to the grids (issue 18): hovering or focusing a term
// (or its control) outlines where it acts, and a changed control flashes the same place.
// n: the input's own cells; p: the padding ring; f: the window and the filter; s: the
// next window (one stride on); d: the window again (its cells are d apart).
import { h } from "../../dom.js";

const TERMS = [
  ["n", "input size"],
  ["p", "padding"],
  ["f", "kernel"],
  ["s", "stride"],
  ["d", "dilation"],
];
const timers = {};

const section = (root) => root.querySelector(".conv");

export function setHighlight(root, key, on) {
  section(root)?.classList.toggle(`hl-${key}`, on);
}

/** Outline term `key` for a moment: after its control changed. */
export function flash(root, key) {
  clearTimeout(timers[key]);
  setHighlight(root, key, true);
  timers[key] = setTimeout(() => setHighlight(root, key, false), 1600);
}

function hover(el, root, key) {
  const on = () => setHighlight(root, key, true);
  const off = () => setHighlight(root, key, false);
  el.addEventListener("mouseenter", on);
  el.addEventListener("mouseleave", off);
  el.addEventListener("focusin", on);
  el.addEventListener("focusout", off);
}

/** The terms of the answer `d` as chips beside the formula, each hovering its place. */
export function linkFormula(root, d) {
  const [, H, W] = d.input_shape;
  const values = { n: H === W ? H : `${H}×${W}`, p: d.padding, f: d.kernel_size, s: d.stride, d: d.dilation };
  const chips = TERMS.map(([key, title]) => {
    const chip = h("button", { type: "button", class: `term term-${key}`, "data-term": key, title: `${title}: show it on the grid` },
      `${key} = ${values[key]}`);
    hover(chip, root, key);
    return chip;
  });
  root.querySelector("[data-terms]").replaceChildren(...chips);
}

/** The f, p, s, d fields of the controls hover their places too. */
export function linkControls(root) {
  for (const [key] of TERMS) {
    const input = root.querySelector(`.conv-controls input[name=${key}]`);
    if (input) hover(input.closest("label"), root, key);
  }
}
