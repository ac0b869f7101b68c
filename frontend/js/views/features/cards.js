// The feature-map view's side cards, rendered from the overview answer (`view`).
import { h } from "../../dom.js";
import { reading as fmt } from "../../lib/format.js";
import { finetunePanel } from "./finetune.js";
import { filterCanvas, floats, range } from "./render.js";

/** The badge and note under the network picker. */
export function renderNote(root, view) {
  const net = view.network;
  const note = root.querySelector("#fm-note");
  note.replaceChildren(
    h("span", { class: `fm-badge ${net.trained ? "ok" : "warn"}` },
      { shipped: "Trained", run: "Trained here", upload: "Imported" }[net.kind] ?? "Random weights"),
    " ",
    net.note,
  );
}

/** How the image was prepared; `preview(box)` loads the input tile into box. */
export function renderPrep(root, view, preview) {
  const inp = view.input;
  const trainedOpt = root.querySelector("#fm-norm-trained");
  trainedOpt.disabled = !inp.stats;
  trainedOpt.textContent = inp.stats
    ? `as trained (mean ${inp.stats[0].map((v) => v.toFixed(3)).join(",")}, std ${inp.stats[1].map((v) => v.toFixed(3)).join(",")})`
    : "as trained (unknown for these weights)";
  root.querySelector("#fm-norm").value = inp.normalize;
  root.querySelector("#fm-invert").checked = inp.invert;
  const prev = h("div", { class: "fm-input-preview", id: "fm-input" });
  root.querySelector("#fm-prep").replaceChildren(
    prev,
    h("p", {}, `${inp.original[0]}×${inp.original[1]} image → ${inp.mode}, resized to ${inp.shape[2]}×${inp.shape[1]}, ` +
      `normalised (${inp.normalize}) → values ${fmt(inp.min)} … ${fmt(inp.max)}`),
  );
  preview(prev);
}

export function renderPredictions(root, view) {
  const list = root.querySelector("#fm-preds");
  const card = root.querySelector("#fm-pred-card");
  if (!view.predictions) {
    list.replaceChildren(h("li", { class: "muted fm-nopred" }, "Predictions need trained weights: pick shipped weights, one of your runs or imported weights."));
    card.classList.add("fm-dim");
    return;
  }
  card.classList.remove("fm-dim");
  list.replaceChildren(
    ...view.predictions.map((p, i) =>
      h("li", { class: i === 0 ? "top" : "" },
        h("span", { class: "fm-label" }, p.label),
        h("span", { class: "fm-bar" }, h("span", { style: `width:${(p.p * 100).toFixed(1)}%` })),
        h("span", { class: "fm-p" }, `${(p.p * 100).toFixed(1)}%`)),
    ),
  );
  list.dataset.top = view.predictions[0].label;
}

/** The first convolution's filters, or the fine-tuning comparison when there is one. */
export function renderFilters(root, view) {
  const box = root.querySelector("#fm-filters");
  const f = view.filters;
  if (!f) {
    box.replaceChildren(h("p", { class: "muted" }, "This network has no convolution."));
    return;
  }
  const [out, cin, kh, kw] = f.shape;
  const w = floats(f);
  const [lo, hi] = range(w);
  const tiles = [];
  for (let o = 0; o < out; o++) {
    // An RGB filter is one colour image: each input channel is one colour.
    tiles.push(h("figure", { class: "fm-filter", title: `filter ${o} of ${f.layer}` }, filterCanvas(w, o, cin, kh, kw, lo, hi)));
  }
  box.replaceChildren(
    h("p", { class: "muted" }, `${f.layer}: ${out} filters of ${cin}×${kh}×${kw}${cin === 3 ? " (shown as RGB)" : cin > 1 ? " (first input channel)" : ""}`),
    view.finetune ? finetunePanel(view.finetune, f) : h("div", { class: "fm-filter-grid" }, tiles),
  );
}
