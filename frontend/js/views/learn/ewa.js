// Exponentially weighted averages: a noisy temperature series and v_t, with a beta
// slider and a bias-correction toggle. The numbers come from POST /api/learning/ewa.
import uPlot from "uplot";
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, rangeWithOutput, showError } from "../../widgets/panel.js";

const N = 365;

export function ewaPanel(root) {
  const state = { beta: 0.9, bias: true, seq: 0 };
  const { input: slider, output: betaOut } = rangeWithOutput(
    { name: "beta", min: "0.5", max: "0.999", step: "0.001", value: "0.9", "aria-label": "beta" },
    3,
    (beta) => {
      state.beta = beta;
      refresh();
    },
  );
  const toggle = h("input", {
    type: "checkbox", name: "bias_correction", checked: true,
    onchange: () => {
      state.bias = toggle.checked;
      refresh();
    },
  });
  const window_ = h("p", { class: "ewa-window", "data-testid": "ewa-window" });
  const chartEl = h("div", { class: "ewa-chart", "data-testid": "ewa-chart" });
  const error = errorLine();
  root.append(
    ...intro("Exponentially weighted averages", [
      "A year of noisy daily temperatures θ and their running average v",
      h("sub", {}, "t"), " = β v", h("sub", {}, "t−1"), " + (1 − β) θ", h("sub", {}, "t"),
      ", starting from v", h("sub", {}, "0"), " = 0. Momentum, RMSprop and Adam keep averages like this of the gradient.",
    ]),
    h("div", { class: "ewa-controls" }, [
      h("label", { class: "slider" }, [h("span", {}, "β"), slider, betaOut]),
      h("label", { class: "check" }, [toggle, h("span", {}, "Bias correction: divide v by 1 − βᵗ")]),
    ]),
    window_,
    chartEl,
    error,
  );

  let plot = null;
  function draw(data) {
    const other = state.bias ? data.v_raw : data.v_corrected;
    const rows = [data.t, data.theta, data.v, other];
    if (!plot) {
      const width = Math.max(280, chartEl.clientWidth || 600);
      plot = new uPlot(
        {
          width, height: 260,
          scales: { x: { time: false } },
          axes: [{ label: "day" }, { label: "°C", size: 48 }],
          legend: { live: false },
          series: [
            { label: "day" },
            { label: "θ (noisy)", stroke: "#9aa4ae", width: 0, points: { show: true, size: 3, fill: "#9aa4ae" } },
            { label: "v", stroke: "#d9480f", width: 2.5 },
            { label: "other", stroke: "#0b63ce", width: 1.5, dash: [6, 4] },
          ],
        },
        rows,
        chartEl,
      );
      new ResizeObserver(() => {
        const w = Math.max(280, chartEl.clientWidth);
        if (plot && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: 260 });
      }).observe(chartEl);
    } else {
      plot.setData(rows);
    }
    // Legend names follow the toggle: the bold line is what the toggle picks.
    // (Without a live legend uPlot leaves the x series out of it: count from the end.)
    const labels = [...plot.root.querySelectorAll(".u-legend .u-series .u-label")];
    if (labels.length >= 2) {
      labels.at(-2).textContent = state.bias ? "v, bias-corrected" : "v, no correction";
      labels.at(-1).textContent = state.bias ? "v, no correction" : "v, bias-corrected";
    }
    chartEl.dataset.beta = String(data.beta);
    chartEl.dataset.bias = String(state.bias);
    chartEl.dataset.first = data.v[0].toFixed(3);
    const n = data.window;
    window_.replaceChildren(
      "Averages over about 1/(1 − β) = ",
      h("strong", {}, `${n >= 100 ? Math.round(n) : n.toFixed(1).replace(/\.0$/, "")} points`),
      state.bias ? "." : ". Without correction the first values start near 0, far below the series.",
    );
  }

  let timer = null;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(load, 60); // a dragged slider asks once it rests
  }
  async function load() {
    const seq = ++state.seq;
    try {
      const data = await api.learningEwa({ beta: state.beta, bias_correction: state.bias, n: N, seed: 0, noise: 4 });
      if (seq !== state.seq) return;
      hideError(error);
      draw(data);
    } catch (e) {
      showError(error, e.message);
    }
  }
  load();
  return {
    destroy: () => {
      clearTimeout(timer);
      plot?.destroy();
      plot = null;
    },
  };
}
