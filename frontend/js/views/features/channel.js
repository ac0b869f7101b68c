// One channel up close: every value readable under the pointer, the colour ramp, and the
// filter (weights and bias) that computed it.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { reading as fmt } from "../../lib/format.js";
import { cssColor, floats, range, valuesCanvas } from "../../widgets/tiles.js";

/** The channel dialog: its exact values under the pointer and the filter that made it;
 * `labels` name an output vector's units (class names), when the weights have them. */
export async function openChannel(dlg, body, layer, channel, labels = null) {
  dlg.replaceChildren(h("p", {}, "Loading…"));
  if (!dlg.open) dlg.showModal();
  try {
    const res = await api.featureChannel(body({ layer, channel }));
    const [rows, cols] = res.values.shape;
    const vals = floats(res.values);
    const limit = res.vector ? res.length : rows * cols;
    const [lo, hi] = range(vals.subarray(0, limit));
    const big = valuesCanvas(vals, rows, cols, lo, hi, limit);
    const px = Math.max(1, Math.floor(360 / Math.max(rows, cols)));
    big.style.width = `${cols * px}px`;
    big.style.height = `${rows * px}px`;
    big.className = "fm-big";
    const readout = h("p", { class: "fm-readout", id: "fm-readout" }, "Point at a pixel to read its exact value.");
    big.addEventListener("mousemove", (e) => {
      const r = big.getBoundingClientRect();
      const x = Math.min(cols - 1, Math.floor(((e.clientX - r.left) / r.width) * cols));
      const y = Math.min(rows - 1, Math.floor(((e.clientY - r.top) / r.height) * rows));
      const i = y * cols + x;
      if (i >= limit) return;
      readout.dataset.row = y;
      readout.dataset.col = x;
      readout.dataset.index = i;
      readout.dataset.value = String(vals[i]);
      const unit = labels?.[i] ? ` (${labels[i]})` : "";
      readout.textContent = res.vector ? `value ${i}${unit}: ${vals[i]}` : `row ${y}, column ${x}: ${vals[i]}`;
    });
    const legend = h("div", { class: "fm-legend" }, h("span", {}, fmt(lo)),
      h("span", { class: "fm-ramp", style: `background:linear-gradient(90deg,${[0, 64, 128, 192, 255].map(cssColor).join(",")})` }),
      h("span", {}, fmt(hi)));
    dlg.replaceChildren(
      h("header", {}, h("h2", {}, h("code", {}, layer), ` · channel ${channel}`),
        h("button", { type: "button", class: "fm-close", "aria-label": "Close", onclick: () => dlg.close() }, "×")),
      h("div", { class: "fm-detail-body" },
        h("div", {}, big, legend, readout),
        res.filter ? filterView(res.filter) : null),
    );
  } catch (err) {
    dlg.replaceChildren(h("p", { class: "error" }, err.message), h("button", { onclick: () => dlg.close() }, "Close"));
  }
}

function filterView(filter) {
  const [cin, kh, kw] = filter.weights.shape;
  const w = floats(filter.weights);
  const [lo, hi] = range(w);
  const show = Math.min(cin, 16);
  const px = Math.max(4, Math.floor(48 / Math.max(kh, kw)));
  const tiles = [];
  for (let c = 0; c < show; c++) {
    const cv = valuesCanvas(w.subarray(c * kh * kw, (c + 1) * kh * kw), kh, kw, lo, hi);
    cv.style.width = `${kw * px}px`;
    cv.style.height = `${kh * px}px`;
    tiles.push(h("figure", { class: "fm-filter", title: `input channel ${c}` }, cv, h("figcaption", {}, `in ${c}`)));
  }
  const numbers = cin === 1 && kh * kw <= 49
    ? h("table", { class: "fm-numbers" }, Array.from({ length: kh }, (_, y) =>
      h("tr", {}, Array.from({ length: kw }, (_, x) => h("td", {}, w[y * kw + x].toFixed(3))))))
    : null;
  return h("div", { class: "fm-made-by" },
    h("h3", {}, "The filter that made it"),
    h("p", { class: "muted" }, `${cin}×${kh}×${kw} weights${filter.bias != null ? `, bias ${fmt(filter.bias)}` : ""}` +
      (cin > show ? ` (first ${show} input channels shown)` : "")),
    h("div", { class: "fm-filter-grid" }, tiles),
    numbers);
}
