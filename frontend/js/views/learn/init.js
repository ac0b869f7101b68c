// Initialization (issue 8): a deep stack h_k = act(W_k h_(k-1)) fed N(0, 1) inputs, with W
// initialised four ways (zeros, small normal, Xavier, He). Per layer, a histogram of the
// activations and their standard deviation; a log chart of the std through the layers.
// Numbers come from POST /api/learning/init and are recomputed as the controls change.
import uPlot from "uplot";
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";
import { sig3 as fmt } from "../../lib/format.js";
import { histCanvas } from "../../widgets/histogram.js";

const INIT_COLORS = { zeros: "#6c757d", small: "#c92a2a", xavier: "#0b63ce", he: "#237a36" };
const WIDTHS = [32, 64, 128, 256, 512];
// The log chart's floor: a std under it (small init, 25+ tanh layers: 1e-24 and on to
// denormals) is drawn on it. Without one, uPlot's log axis splits 30+ decades and throws
// "RangeError: Invalid array length" (issue 18); 1e-8 is already "the signal is gone".
export const STD_FLOOR = 1e-8;

/** [10^a, 10^b]: the whole decades around [lo, hi], never below STD_FLOOR. */
function decades(lo, hi) {
  const a = Math.floor(Math.log10(Math.max(lo ?? 1, STD_FLOOR)));
  const b = Math.ceil(Math.log10(Math.max(hi ?? 1, STD_FLOOR)));
  return [10 ** a, 10 ** Math.max(b, a + 1)];
}

export function initPanel(root) {
  const state = { seq: 0 };
  const depth = h("input", { type: "range", name: "init-depth", min: "2", max: "30", step: "1", value: "10", "aria-label": "depth" });
  const depthOut = h("output", {}, "10");
  const width = h("select", { name: "init-width", "aria-label": "width" },
    WIDTHS.map((w) => h("option", { value: String(w), selected: w === 128 }, `${w} units`)));
  const act = h("select", { name: "init-act", "aria-label": "activation" }, [
    h("option", { value: "tanh" }, "tanh"),
    h("option", { value: "relu" }, "ReLU"),
    h("option", { value: "sigmoid" }, "sigmoid"),
  ]);
  const verdict = h("ul", { class: "init-verdict", "data-testid": "init-verdict" });
  const chartEl = h("div", { class: "init-chart", "data-testid": "init-chart" });
  const grid = h("div", { class: "init-grid", "data-testid": "init-grid" });
  const error = errorLine();
  const floorNote = h("p", { class: "muted init-floor", hidden: true },
    `A std below ${STD_FLOOR} is drawn at ${STD_FLOOR}: by then the signal is gone.`);
  root.append(
    ...intro("Initialization", [
      "256 random inputs x ~ N(0, 1) through a stack of layers h = act(W h) without biases. ",
      "Too small weights shrink the signal layer by layer until it is gone; Xavier (σ² = 1/fan_in for square layers) ",
      "suits tanh, He (σ² = 2/fan_in) suits ReLU, which zeroes half of its inputs; all-zero weights make every unit the same.",
    ]),
    h("div", { class: "ewa-controls init-controls" }, [
      h("label", { class: "slider" }, [h("span", {}, "Layers"), depth, depthOut]),
      h("label", { class: "opt-field" }, [h("span", {}, "Width"), width]),
      h("label", { class: "opt-field" }, [h("span", {}, "Activation"), act]),
    ]),
    error,
    verdict,
    chartEl,
    floorNote,
    grid,
  );

  let plot = null;
  let ro = null;
  function drawChart(data) {
    const layers = data.runs[0].layers.map((l) => l.layer);
    const rows = [layers, ...data.runs.map((r) => r.layers.map((l) => (l.std > 0 ? Math.max(l.std, STD_FLOOR) : null)))];
    const floored = data.runs.some((r) => r.layers.some((l) => l.std > 0 && l.std < STD_FLOOR));
    if (plot) plot.destroy(); // the set of series is fixed, but depth changes the x range
    const w = Math.max(260, chartEl.clientWidth || 560);
    plot = new uPlot(
      {
        width: w,
        height: 220,
        // Whole decades from the floor up: a range uPlot's log axis can always split.
        scales: { x: { time: false }, y: { distr: 3, range: (_u, lo, hi) => decades(lo, hi) } },
        axes: [{ label: "layer", incrs: [1, 2, 5, 10] }, { label: "std of activations", size: 64, values: (_u, v) => v.map((x) => (x == null ? "" : fmt(x))) }],
        legend: { live: false },
        series: [
          { label: "layer" },
          ...data.runs.map((r) => ({
            label: r.init === "zeros" ? "zeros (σ = 0: off the log scale)" : r.title,
            stroke: INIT_COLORS[r.init],
            width: 2,
            points: { show: true, size: 5 },
          })),
        ],
      },
      rows,
      chartEl,
    );
    chartEl.dataset.floored = String(floored);
    floorNote.hidden = !floored;
    if (!ro) {
      ro = new ResizeObserver(() => {
        const cw = Math.max(260, chartEl.clientWidth);
        if (plot && Math.abs(cw - plot.width) > 4) plot.setSize({ width: cw, height: 220 });
      });
      ro.observe(chartEl);
    }
  }

  function drawGrid(data) {
    const n = data.runs[0].layers.length;
    const cols = data.runs.map((r) =>
      h("div", { class: "init-col", "data-init": r.init }, [
        h("h4", { style: `color:${INIT_COLORS[r.init]}` }, r.title),
        ...r.layers.map((l) =>
          h("div", { class: "init-cell", "data-layer": String(l.layer) }, [
            h("span", { class: "init-k" }, String(l.layer)),
            histCanvas(l, { color: INIT_COLORS[r.init], width: 120, height: n > 15 ? 22 : 30, title: `layer ${l.layer}: ${fmt(l.lo)} … ${fmt(l.hi)}` }),
            h("span", { class: "init-s" }, [
              `σ ${fmt(l.std)}`,
              l.identical_units ? h("small", { class: "init-same", title: "every unit gives the same value" }, " same") : "",
            ]),
          ]),
        ),
        h("p", { class: "init-range" }, `range ${fmt(r.layers[0].lo)} … ${fmt(r.layers[0].hi)}`),
      ]),
    );
    grid.replaceChildren(...cols);
  }

  function drawVerdict(data) {
    verdict.replaceChildren(
      ...data.runs.map((r) => {
        const first = r.layers[0].std;
        const last = r.layers.at(-1).std;
        let text;
        if (r.layers.every((l) => l.identical_units)) text = "every unit of a layer computes the same value: the units can never become different.";
        else if (last < first * 1e-3) text = `std falls from ${fmt(first)} to ${fmt(last)}: the signal vanishes.`;
        else if (last < first * 0.1) text = `std shrinks from ${fmt(first)} to ${fmt(last)}, layer after layer.`;
        else if (last > first * 1e3) text = `std grows from ${fmt(first)} to ${fmt(last)}: the signal explodes.`;
        else if (last > first * 10) text = `std grows from ${fmt(first)} to ${fmt(last)}, layer after layer.`;
        else text = `std goes from ${fmt(first)} to ${fmt(last)} over ${r.layers.length} layers.`;
        return h("li", { "data-init": r.init }, [h("strong", { style: `color:${INIT_COLORS[r.init]}` }, `${r.title}: `), text]);
      }),
    );
  }

  async function load() {
    const my = ++state.seq;
    try {
      const data = await api.learningInit({
        depth: Number(depth.value),
        width: Number(width.value),
        activation: act.value,
        batch: 256,
        seed: 0,
        bins: 30,
      });
      if (my !== state.seq) return;
      hideError(error);
      grid.dataset.activation = data.activation;
      grid.dataset.depth = String(data.depth);
      drawVerdict(data);
      drawChart(data);
      drawGrid(data);
    } catch (e) {
      if (my !== state.seq) return;
      // Nothing left from the previous depth beside the message: it would read as the answer.
      plot?.destroy();
      plot = null;
      verdict.replaceChildren();
      grid.replaceChildren();
      floorNote.hidden = true;
      delete grid.dataset.depth;
      showError(error, e.message);
    }
  }

  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 80); // a dragged slider asks once it rests
  };
  depth.addEventListener("input", () => {
    depthOut.textContent = depth.value;
    refresh();
  });
  width.addEventListener("change", refresh);
  act.addEventListener("change", refresh);
  load();
  return {
    destroy() {
      state.seq++;
      clearTimeout(timer);
      ro?.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
