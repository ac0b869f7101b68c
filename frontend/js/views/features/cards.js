// The feature-map view's side cards, rendered from the overview answer (`view`).
import { h } from "../../dom.js";
import { reading as fmt } from "../../lib/format.js";
import { predictionText, probText } from "../../lib/pretrained.js";
import { finetunePanel } from "./finetune.js";
import { filterCanvas, floats, range } from "../../widgets/tiles.js";

/** The badge and note under the network picker. */
export function renderNote(root, view) {
  const net = view.network;
  const note = root.querySelector("#fm-note");
  note.replaceChildren(
    h("span", { class: `fm-badge ${net.trained ? "ok" : "warn"}` },
      { shipped: "Trained", imagenet: "ImageNet", run: "Trained here", upload: "Imported" }[net.kind] ?? "Random weights"),
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
    inp.preparation ? torchvisionSteps(inp) :
      h("p", {}, `${inp.original[0]}×${inp.original[1]} image → ${inp.mode}, resized to ${inp.shape[2]}×${inp.shape[1]}, ` +
        `normalised (${inp.normalize}) → values ${fmt(inp.min)} … ${fmt(inp.max)}`),
  );
  preview(prev);
}

const triple = (v) => `[${v.map((x) => x.toFixed(3)).join(", ")}]`;

/** torchvision's ImageNet preprocessing, step by step (issue 17): what the weights were
 * trained on. GoogLeNet's official weights standardise with 0.5/0.5 (its transform_input). */
function torchvisionSteps(inp) {
  const { resize, crop, mean, std } = inp.preparation;
  const half = [...mean, ...std].every((v) => v === 0.5);
  return h("div", { class: "fm-tv-prep", id: "fm-tv-prep" },
    h("p", {}, h("strong", {}, "torchvision's preprocessing"), half ? " (GoogLeNet: transform_input folded in)" : ""),
    h("ol", {},
      h("li", {}, `${inp.original[0]}×${inp.original[1]} image, ${inp.mode}`),
      h("li", {}, `resize the shorter side to ${resize} (bilinear, antialiased)`),
      h("li", {}, `centre crop ${crop}×${crop}`),
      h("li", {}, "scale to 0…1 (÷255)"),
      h("li", {}, `normalise: mean ${triple(mean)}, std ${triple(std)}`)),
    h("p", { class: "muted" }, `→ ${inp.shape[1]}×${inp.shape[2]}, values ${fmt(inp.min)} … ${fmt(inp.max)}`));
}

/** The top-5 (top5 of a labelled network: ImageNet class names), each "daisy 0.87". */
export function renderPredictions(root, view) {
  const list = root.querySelector("#fm-preds");
  const card = root.querySelector("#fm-pred-card");
  const top = view.prediction?.top5 ?? view.predictions;
  if (!top) {
    list.replaceChildren(h("li", { class: "muted fm-nopred" }, "Predictions need trained weights: pick shipped weights, ImageNet weights, one of your runs or imported weights."));
    card.classList.add("fm-dim");
    delete list.dataset.top;
    return;
  }
  card.classList.remove("fm-dim");
  list.replaceChildren(
    ...top.map((p, i) =>
      h("li", { class: i === 0 ? "top" : "", "data-index": p.index, "aria-label": predictionText(p) },
        h("span", { class: "fm-label", title: `${p.label} (class ${p.index})` }, p.label),
        h("span", { class: "fm-bar" }, h("span", { style: `width:${(p.p * 100).toFixed(1)}%` })),
        h("span", { class: "fm-p" }, probText(p.p))),
    ),
  );
  list.dataset.top = top[0].label;
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
