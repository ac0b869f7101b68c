// The pieces every "Inside learning" panel starts with: its title and intro, and an error
// line that stays hidden until a request fails.
import { h } from "../dom.js";

/** The panel's heading and its muted introduction (text and inline elements). */
export const intro = (title, text) => [h("h2", {}, title), h("p", { class: "muted" }, text)];

/** A hidden error line; showError() fills and shows it, hideError() hides it again. */
export const errorLine = () => h("p", { class: "error", hidden: true });

export function showError(el, message) {
  el.textContent = message;
  el.hidden = false;
}

export function hideError(el) {
  el.hidden = true;
}

/** A range input and the <output> that shows its value with `digits` decimals; `onInput(v)`
 * runs on every move, after the output is updated. */
export function rangeWithOutput(attrs, digits, onInput) {
  const output = h("output", {}, Number(attrs.value).toFixed(digits));
  const input = h("input", {
    type: "range",
    ...attrs,
    oninput: () => {
      const v = Number(input.value);
      output.textContent = v.toFixed(digits);
      onInput(v);
    },
  });
  return { input, output };
}
