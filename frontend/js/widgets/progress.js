// A progress bar with its words (bytes of the total, time left) for downloads (issue 17).
// role=progressbar with an accessible name; no fraction yet -> no aria-valuenow (indeterminate).
import { h } from "../dom.js";

/** -> {el, set(fraction 0..1 | null, words)}. `label` names the bar for screen readers. */
export function progressBar(label, { id } = {}) {
  const fill = h("span", { class: "progress-fill" });
  const bar = h("div", { class: "progress", role: "progressbar", "aria-label": label, "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const words = h("span", { class: "progress-words muted" });
  const el = h("div", { class: "progress-box", id }, bar, words);
  return {
    el,
    set(fraction, text) {
      const known = fraction != null && Number.isFinite(fraction);
      const pct = known ? Math.round(Math.max(0, Math.min(1, fraction)) * 100) : null;
      if (known) bar.setAttribute("aria-valuenow", String(pct));
      else bar.removeAttribute("aria-valuenow");
      bar.setAttribute("aria-valuetext", text || "starting");
      bar.classList.toggle("indeterminate", !known);
      fill.style.width = known ? `${pct}%` : "";
      words.textContent = text;
    },
  };
}
