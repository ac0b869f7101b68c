// Pretrained vs fine-tuned (issue 7): a run started from shipped weights shows its
// first-layer filters beside the pretrained ones on one colour scale, each filter's
// relative L2 change, and how far every layer moved (frozen layers: exactly 0).
import { h } from "../../dom.js";
import { filterCanvas, floats, range } from "../../widgets/tiles.js";

const pctText = (x) => (x == null ? "new" : x === 0 ? "0%" : x < 0.001 ? "<0.1%" : `${(x * 100).toFixed(1)}%`);

function filterRow(label, w, shape, lo, hi, captions) {
  const [out, cin, kh, kw] = shape;
  const tiles = [];
  for (let o = 0; o < out; o++) {
    tiles.push(h("figure", { class: "fm-filter", title: `${label} filter ${o}` },
      filterCanvas(w, o, cin, kh, kw, lo, hi),
      captions ? h("figcaption", {}, captions[o]) : null));
  }
  return h("div", { class: "fm-ft-row" }, h("span", { class: "fm-ft-label" }, label),
    h("div", { class: "fm-filter-grid" }, tiles));
}

/** `ft`: the overview's finetune block; `tuned`: its filters block (the run's weights). */
export function finetunePanel(ft, tuned) {
  if (ft.error) return h("p", { class: "error" }, ft.error);
  const kids = [h("h3", {}, `Pretrained (${ft.source}) vs fine-tuned`)];
  const f = ft.filters;
  if (f && tuned) {
    const before = floats(f.pretrained);
    const after = floats(tuned);
    const [lo1, hi1] = range(before);
    const [lo2, hi2] = range(after);
    const lo = Math.min(lo1, lo2);
    const hi = Math.max(hi1, hi2);
    kids.push(
      h("p", { class: "muted", id: "fm-ft-verdict" }, f.identical
        ? `${f.layer} was frozen: its filters are identical to the pretrained ones.`
        : `${f.layer} was fine-tuned; under each filter: how far it moved (relative L2 change ‖w − w₀‖ / ‖w₀‖).`),
      filterRow("pretrained", before, f.pretrained.shape, lo, hi, null),
      filterRow("fine-tuned", after, tuned.shape, lo, hi, f.change.map(pctText)),
    );
  }
  const top = Math.max(1e-12, ...ft.layers.map((d) => d.change ?? 0));
  kids.push(
    h("h3", {}, "Which layers moved"),
    h("table", { class: "fm-moved", id: "fm-moved" },
      ft.layers.map((d) => h("tr", { "data-path": d.path, "data-change": d.change ?? "new" },
        h("td", {}, h("code", {}, d.path)),
        h("td", { class: "fm-moved-bar" }, h("span", { style: `width:${d.change == null ? 100 : (100 * d.change) / top}%`,
          class: d.change == null ? "new" : "" })),
        h("td", { class: "fm-moved-val" }, pctText(d.change)),
        h("td", { class: "muted" }, d.new ? "new head" : d.frozen ? "frozen" : "")))),
  );
  return h("div", { class: "fm-finetune", id: "fm-finetune" }, kids);
}
