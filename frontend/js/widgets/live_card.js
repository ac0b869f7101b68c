// What the Train view's live cards fed by a run's events share (Inside the network, gradient
// flow): a slot that stays empty and hidden until the first item comes, a time slider that
// follows the newest item until it is moved back, and redraws at most once per frame
// however fast events come.
import { h } from "../dom.js";

/** `slider`: the range input's attributes (aria-label, data-testid); `label`: the output's
 * data-testid; `word`: the slider's visible name; `row`: its label's class. `draw()` runs
 * once a frame after schedule(), `onSlide()` when the user moves the slider.
 * -> {slider, label, row, dead(), following(), open(...kids), fit(count), schedule(), destroy()}. */
export function liveCard(slot, { slider: attrs, label: labelId, word, row: rowClass, draw, onSlide }) {
  let pending = false;
  let dead = false;
  let follow = true; // the slider sits on the newest item
  slot.replaceChildren();
  slot.hidden = true;

  const slider = h("input", { type: "range", min: 0, max: 0, value: 0, step: 1, ...attrs });
  const label = h("output", { "data-testid": labelId });
  const row = h("label", { class: rowClass }, [h("span", {}, word), slider, label]);
  slider.addEventListener("input", () => {
    follow = slider.value === slider.max;
    onSlide();
  });

  return {
    slider,
    label,
    row,
    dead: () => dead,
    following: () => follow,
    /** Fill the slot and show it (the first item came). */
    open(...kids) {
      slot.replaceChildren(...kids);
      slot.hidden = false;
    },
    /** The slider spans `count` items; it moves to the newest while it follows. */
    fit(count) {
      slider.max = String(Math.max(0, count - 1));
      if (follow) slider.value = slider.max;
    },
    schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        if (!dead) draw(); // destroyed while waiting: the slot has a new card
      });
    },
    destroy() {
      dead = true;
      slot.replaceChildren();
      slot.hidden = true;
    },
  };
}
