// Gradient-flow drawing shared by the "Inside learning" comparison (learn/gradflow.js) and
// the Train view's gradient-flow card (train/gradflow.js): uPlot charts on a log y scale
// that follow their container's width, per-layer ‖dL/dW‖ curves from a run's "gradflow"
// events ({iter, layers:[{path, grad_norm, hist, lo, hi, std, ...}]}), and a strip of one
// probe's activation histograms, one per layer.
import uPlot from "uplot";
import { h } from "../dom.js";
import { sig3 as fmt } from "../lib/format.js";
import { histCanvas, layerColors } from "./histogram.js";

const INT_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** A value a log scale can draw, else null (a gap): 0, negatives and NaN cannot be drawn. */
export const pos = (v) => (v > 0 && Number.isFinite(v) ? v : null);

/** A uPlot that follows its container's width; `destroy()` also stops observing. */
export function livePlot(el, opts, data) {
  const width = () => Math.max(240, el.clientWidth || 480);
  const plot = new uPlot({ ...opts, width: width() }, data, el);
  const ro = new ResizeObserver(() => {
    const w = width();
    if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: opts.height });
  });
  ro.observe(el);
  return {
    plot,
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}

/** uPlot options: integer x, log10 y; yRange() may give one shared [lo, hi] (or null: auto). */
export function logOpts(height, xLabel, yLabel, series, yRange = null) {
  return {
    height,
    scales: {
      x: { time: false },
      y: { distr: 3, range: yRange ? (_u, min, max) => yRange() ?? [min, max] : undefined },
    },
    axes: [{ label: xLabel, incrs: INT_TICKS }, { label: yLabel, size: 64, values: (_u, vals) => vals.map((v) => (v == null ? "" : fmt(v))) }],
    legend: { live: false },
    series: [{ label: xLabel }, ...series],
  };
}

/** [iterations, layer 1's ‖dL/dW‖ per probe, layer 2's, ...] for uPlot; flows: gradflow events. */
export function layerNormData(flows) {
  const n = flows[0]?.layers.length ?? 0;
  return [flows.map((f) => f.iter), ...Array.from({ length: n }, (_, j) => flows.map((f) => pos(f.layers[j]?.grad_norm)))];
}

/** One uPlot series per layer, coloured by depth (first blue, last orange), the first thicker. */
export function layerSeries(layers) {
  const colors = layerColors(layers.length);
  return layers.map((l, j) => ({ label: l.path, stroke: colors[j], width: j === 0 ? 2.5 : 1.5, spanGaps: true }));
}

/** One probe's activation histograms as small captioned figures, one per layer. */
export function histStrip(layers, { width = 96, height = 40 } = {}) {
  const colors = layerColors(layers.length);
  return layers.map((l, j) =>
    h("figure", { class: "gf-cell", "data-path": l.path }, [
      histCanvas(l, { color: colors[j], width, height, title: `${l.act_path} (${l.act_type}), ${fmt(l.lo)} … ${fmt(l.hi)}` }),
      h("figcaption", {}, [h("code", {}, l.path), h("br"), `σ ${fmt(l.std)}`]),
    ]),
  );
}
