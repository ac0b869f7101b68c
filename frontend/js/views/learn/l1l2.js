// L1 vs L2: one click trains the same small MLP three times through the job runner (POST
// /api/runs: no penalty, L1, L2; same data and seed), then shows each run's weight histogram
// (GET /api/learning/weights/{run}/histogram), its share of near-zero weights and accuracy.
// Beside it, the constraint picture of POST /api/learning/constraint: an elongated quadratic's
// contours, the L1 diamond and the L2 circle of one budget, and where each optimum lands.
import uPlot from "uplot";
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, rangeWithOutput, showError } from "../../widgets/panel.js";
import { percent as pct } from "../../lib/format.js";
import { isFinished } from "../../lib/runs.js";

const THRESHOLD = 1e-3;
const BINS = 61;
const STORE_KEY = "cnnplay.l1l2.runs";
const COLOURS = { none: "#6c757d", l1: "#c2410c", l2: "#1864ab" };
const TITLES = { none: "No penalty", l1: "L1 penalty", l2: "L2 penalty" };
// sklearn's 8x8 digits, flattened: 64 -> 64 -> 10 (4,736 weights). Trains in seconds.
const SPEC = {
  name: "Digits MLP (L1 vs L2)",
  input: { channels: 1, height: 8, width: 8 },
  layers: [
    { type: "flatten" },
    { type: "linear", out_features: 64 },
    { type: "relu" },
    { type: "linear", out_features: 10 },
  ],
};


function numberInput(name, label, value, attrs = {}) {
  const input = h("input", { type: "number", name, value: String(value), "aria-label": label, ...attrs });
  return { input, el: h("label", { class: "l12-field" }, [h("span", {}, label), input]) };
}

export function l1l2Panel(root) {
  const state = { seq: 0, runs: {}, follows: [], plots: [], log: false, budget: 1.0, cseq: 0 };
  const epochs = numberInput("l1l2-epochs", "epochs", 10, { min: "1", max: "50", step: "1" });
  const l1 = numberInput("l1l2-l1", "L1 λ", 0.002, { min: "0", max: "1", step: "0.0005" });
  const l2 = numberInput("l1l2-l2", "L2 λ", 0.02, { min: "0", max: "1", step: "0.005" });
  const button = h("button", { type: "button", class: "primary", "data-testid": "l1l2-train", onclick: () => start() }, "Train none / L1 / L2");
  const logBox = h("input", {
    type: "checkbox", name: "l1l2-log",
    onchange: () => { state.log = logBox.checked; drawHistograms(); },
  });
  const status = h("p", { class: "l12-status", "data-testid": "l1l2-status" }, "Not trained yet: press the button (about half a minute).");
  const cards = h("div", { class: "l12-cards", "data-testid": "l1l2-cards" });
  const error = errorLine();

  const canvas = h("canvas", { class: "l12-constraint", "data-testid": "constraint" });
  const { input: slider, output: budgetOut } = rangeWithOutput(
    { name: "budget", min: "0.1", max: "3.2", step: "0.05", value: "1", "aria-label": "budget t" },
    2,
    (budget) => {
      state.budget = budget;
      refreshConstraint();
    },
  );
  const readout = h("div", { class: "l12-readout", "data-testid": "constraint-readout" });

  root.append(
    ...intro("L1 vs L2 regularization", [
      "Adding λ·Σ|w| (L1) or λ/2·Σw² (L2) to the loss pulls weights toward zero. L1 pulls every weight by the ",
      "same amount, so weights that barely help the loss end up at zero; L2 pulls in proportion to the weight, ",
      "so weights shrink but rarely vanish. Train the same network three ways and compare the weights.",
    ]),
    h("div", { class: "l12-controls" }, [epochs.el, l1.el, l2.el, button,
      h("label", { class: "check" }, [logBox, h("span", {}, "log counts")])]),
    h("p", { class: "md-legend" }, [
      "Network: sklearn digits (8×8) → linear 64 → ReLU → linear 10, SGD with momentum, lr 0.02, batch 32, seed 0. ",
      `“Near zero” means |w| < ${THRESHOLD}.`,
    ]),
    status,
    cards,
    error,
    h("h3", { class: "l12-sub" }, "Why L1 gives zeros: the constraint picture"),
    h("p", { class: "muted" }, [
      "Penalising ‖w‖ is the same as minimising the loss inside a budget ‖w‖ ≤ t. The ellipses are the contours of an ",
      "elongated quadratic loss with its minimum at w*. The best point inside the L1 diamond is usually one of its ",
      "corners, which lie on the axes (a coordinate exactly 0); the L2 circle has no corners.",
    ]),
    h("div", { class: "l12-cwrap" }, [
      canvas,
      h("div", { class: "l12-cside" }, [
        h("label", { class: "slider" }, [h("span", {}, "budget t"), slider, budgetOut]),
        h("p", { class: "md-legend" }, "Smaller t = stronger regularization. Faint lines: where each optimum moves as t changes."),
        readout,
      ]),
    ]),
  );

  // --- training runs ---------------------------------------------------------------

  function config(kind) {
    const base = { dataset: "digits", epochs: Number(epochs.input.value) || 10, batch_size: 32, lr: 0.02, optimizer: "momentum", seed: 0 };
    if (kind === "l1") return { ...base, l1: Number(l1.input.value) };
    if (kind === "l2") return { ...base, l2: Number(l2.input.value) };
    return base;
  }

  function stopFollowing() {
    state.follows.forEach((f) => f.close());
    state.follows = [];
  }

  async function start() {
    const my = ++state.seq;
    stopFollowing();
    hideError(error);
    button.disabled = true;
    state.runs = {};
    root.dataset.done = "0";
    try {
      for (const kind of ["none", "l1", "l2"]) {
        const run = await api.startRun(SPEC, config(kind));
        state.runs[kind] = { id: run.id, status: run.status, text: run.status };
      }
    } catch (e) {
      showError(error, e.message);
      button.disabled = false;
      return;
    }
    localStorage.setItem(STORE_KEY, JSON.stringify(Object.fromEntries(Object.entries(state.runs).map(([k, r]) => [k, r.id]))));
    showStatus();
    for (const [kind, run] of Object.entries(state.runs)) {
      state.follows.push(
        api.followRun(run.id, {
          onEvent: (ev) => {
            if (my !== state.seq) return;
            if (ev.kind === "epoch") run.text = `epoch ${ev.epoch}: held-out accuracy ${pct(ev.val_acc)}`;
            else if (ev.kind === "start") run.text = "running";
            showStatus();
          },
          onEnd: (end) => {
            if (my !== state.seq) return;
            run.status = end;
            run.text = end;
            showStatus();
            if (Object.values(state.runs).every((r) => (isFinished(r.status) || r.status === "deleted"))) {
              button.disabled = false;
              loadHistograms(my);
            }
          },
        }),
      );
    }
  }

  function showStatus() {
    status.textContent = Object.entries(state.runs).map(([k, r]) => `${TITLES[k]}: ${r.text}`).join(" · ");
  }

  async function loadHistograms(my) {
    try {
      const ids = Object.entries(state.runs).filter(([, r]) => r.status === "done");
      if (!ids.length) throw new Error("No run finished; see the status above.");
      // Twice: first to learn the largest |w|, then all on the same bins.
      const first = await Promise.all(ids.map(([, r]) => api.weightHistogram(r.id, { bins: BINS })));
      const limit = Math.max(...first.map((d) => d.max_abs), 1e-6);
      const all = await Promise.all(ids.map(([, r]) => api.weightHistogram(r.id, { bins: BINS, limit, threshold: THRESHOLD })));
      if (my !== state.seq) return;
      state.hists = ids.map(([k], i) => ({ kind: k, data: all[i] }));
      drawHistograms();
    } catch (e) {
      if (my !== state.seq) return;
      showError(error, e.message);
    }
  }

  function drawHistograms() {
    state.plots.forEach((p) => p.destroy());
    state.plots = [];
    if (!state.hists) return;
    const ymax = Math.max(...state.hists.map((x) => Math.max(...x.data.counts)));
    cards.replaceChildren(
      ...state.hists.map(({ kind, data }) => {
        const chart = h("div", { class: "l12-chart" });
        const lam = kind === "none" ? "" : ` (λ = ${data.regularization[kind]})`;
        const card = h("div", { class: "l12-card", "data-kind": kind, "data-near-zero": String(data.near_zero_share) }, [
          h("h3", { style: `color: ${COLOURS[kind]}` }, `${TITLES[kind]}${lam}`),
          chart,
          h("dl", {}, [
            h("dt", {}, "near zero"), h("dd", { "data-testid": `near-zero-${kind}` }, `${pct(data.near_zero_share)} of ${data.total.toLocaleString()}`),
            h("dt", {}, "held-out accuracy"), h("dd", {}, data.accuracy === null ? "–" : pct(data.accuracy)),
            h("dt", {}, "Σ|w|, ‖w‖₂"), h("dd", {}, `${data.l1_norm.toFixed(1)}, ${data.l2_norm.toFixed(2)}`),
            h("dt", {}, "largest |w|"), h("dd", {}, data.max_abs.toFixed(3)),
          ]),
        ]);
        queueMicrotask(() => plot(chart, kind, data, ymax));
        return card;
      }),
    );
    root.dataset.done = String(state.hists.length);
    root.dataset.log = String(state.log);
  }

  function plot(el, kind, data, ymax) {
    const mids = data.counts.map((_, i) => (data.edges[i] + data.edges[i + 1]) / 2);
    const counts = data.counts.map((c) => (state.log && c === 0 ? null : c));
    const width = Math.max(220, el.clientWidth || 300);
    const p = new uPlot(
      {
        width, height: 170,
        legend: { show: false },
        cursor: { show: true, points: { show: false } },
        scales: {
          x: { time: false, range: [data.edges[0], data.edges[data.edges.length - 1]] },
          y: state.log ? { distr: 3, range: [0.5, ymax * 2] } : { range: [0, ymax * 1.05] },
        },
        axes: [{ label: "weight", size: 36 }, { size: 48, label: state.log ? "count (log)" : "count" }],
        series: [
          {},
          {
            label: "count", fill: `${COLOURS[kind]}b0`, stroke: COLOURS[kind], width: 1,
            paths: uPlot.paths.bars({ size: [1, 100] }),
            points: { show: false },
          },
        ],
      },
      [mids, counts],
      el,
    );
    state.plots.push(p);
  }

  async function restore() {
    // The last comparison, if its runs are still there (after a reload or a tab switch).
    let ids;
    try {
      ids = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    } catch {
      ids = null;
    }
    if (!ids) return;
    const my = state.seq;
    try {
      const runs = await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await api.getRun(id)]));
      if (my !== state.seq || runs.some(([, r]) => r.status !== "done")) return;
      state.runs = Object.fromEntries(runs.map(([k, r]) => [k, { id: r.id, status: "done", text: "done" }]));
      showStatus();
      loadHistograms(my);
    } catch {
      /* deleted runs: start fresh */
    }
  }

  // --- the constraint picture --------------------------------------------------------

  async function refreshConstraint() {
    const my = ++state.cseq;
    try {
      const d = await api.learningConstraint({ budget: state.budget });
      if (my !== state.cseq) return;
      state.constraint = d;
      drawConstraint(d);
    } catch (e) {
      if (my !== state.cseq) return;
      showError(error, e.message);
    }
  }

  function drawConstraint(d) {
    const side = Math.min(380, Math.max(260, (root.clientWidth || 600) - 40));
    const dpr = window.devicePixelRatio || 1;
    canvas.width = canvas.height = Math.round(side * dpr);
    canvas.style.width = canvas.style.height = `${side}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const [x0, x1, y0, y1] = [-1.6, 3.6, -2.1, 3.1];
    const X = (x) => ((x - x0) / (x1 - x0)) * side;
    const Y = (y) => side - ((y - y0) / (y1 - y0)) * side;
    const unit = side / (x1 - x0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, side, side);
    // axes
    ctx.strokeStyle = "#adb5bd";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(X(x0), Y(0)); ctx.lineTo(X(x1), Y(0));
    ctx.moveTo(X(0), Y(y0)); ctx.lineTo(X(0), Y(y1));
    ctx.stroke();
    ctx.fillStyle = "#495057";
    ctx.font = "12px sans-serif";
    ctx.fillText("w₁", X(x1) - 18, Y(0) - 6);
    ctx.fillText("w₂", X(0) + 6, Y(y1) + 14);
    // contours: 1/2 (w - w*)^T A (w - w*) = L is an ellipse with semi-axes sqrt(2L / eig)
    const [cx, cy] = d.center;
    const rot = -(d.angle_deg * Math.PI) / 180; // screen y points down
    const ellipse = (L, colour, width, dash = []) => {
      ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.ellipse(X(cx), Y(cy), Math.sqrt((2 * L) / d.eigenvalues[0]) * unit, Math.sqrt((2 * L) / d.eigenvalues[1]) * unit, rot, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.setLineDash([]);
    };
    [0.1, 0.4, 0.9, 1.6, 2.5, 3.6, 4.9, 6.4, 8.1].forEach((L) => ellipse(L, "#dee2e6", 1));
    // regularisation paths
    const path = (pts, colour) => {
      ctx.strokeStyle = colour; ctx.globalAlpha = 0.35; ctx.lineWidth = 3;
      ctx.beginPath();
      pts.forEach(([a, b], i) => (i ? ctx.lineTo(X(a), Y(b)) : ctx.moveTo(X(a), Y(b))));
      ctx.stroke();
      ctx.globalAlpha = 1;
    };
    path(d.l1_path, COLOURS.l1);
    path(d.l2_path, COLOURS.l2);
    // the budget: diamond and circle
    const t = d.budget;
    ctx.fillStyle = `${COLOURS.l1}22`; ctx.strokeStyle = COLOURS.l1; ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(X(t), Y(0)); ctx.lineTo(X(0), Y(t)); ctx.lineTo(X(-t), Y(0)); ctx.lineTo(X(0), Y(-t)); ctx.closePath();
    ctx.fill(); ctx.stroke();
    ctx.fillStyle = `${COLOURS.l2}1a`; ctx.strokeStyle = COLOURS.l2;
    ctx.beginPath(); ctx.arc(X(0), Y(0), t * unit, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    // the contour through each optimum: where it touches the budget
    ellipse(d.l1_loss, COLOURS.l1, 1.5, [5, 4]);
    ellipse(d.l2_loss, COLOURS.l2, 1.5, [5, 4]);
    const dot = ([a, b], colour, label, dx) => {
      ctx.fillStyle = colour; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(X(a), Y(b), 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      ctx.fillStyle = colour; ctx.font = "bold 12px sans-serif";
      ctx.fillText(label, X(a) + dx, Y(b) - 8);
    };
    dot(d.center, "#212529", "w*", 8);
    dot(d.l2, COLOURS.l2, "L2", 8);
    dot(d.l1, COLOURS.l1, "L1", -22);
    canvas.dataset.l1 = d.l1.map((v) => v.toFixed(4)).join(",");
    canvas.dataset.l2 = d.l2.map((v) => v.toFixed(4)).join(",");
    canvas.dataset.budget = String(d.budget);
    const fmt = (w) => `(${w[0].toFixed(3)}, ${w[1].toFixed(3)})`;
    const zeros = (n) => (n === 2 ? "both coordinates are 0" : n === 1 ? "one coordinate is exactly 0: sparse" : "no coordinate is 0");
    const free = d.l1_zeros === 0 && d.l1[0] === d.center[0] && d.l1[1] === d.center[1];
    readout.replaceChildren(
      h("p", { style: `color: ${COLOURS.l1}` }, [h("strong", {}, "L1 "), `${fmt(d.l1)}: ${zeros(d.l1_zeros)}`]),
      h("p", { class: "md-legend" }, free ? "The budget does not bind: the free minimum fits inside." : `Same as the penalty λ‖w‖₁ with λ = ${d.l1_lambda.toFixed(3)}.`),
      h("p", { style: `color: ${COLOURS.l2}` }, [h("strong", {}, "L2 "), `${fmt(d.l2)}: ${zeros(d.l2_zeros)}`]),
      h("p", { class: "md-legend" }, d.l2_lambda > 0 ? `Same as the penalty λ/2‖w‖₂² with λ = ${d.l2_lambda.toFixed(3)}.` : "The budget does not bind."),
      h("p", { class: "md-legend" }, `w* = ${fmt(d.center)}; loss ½(w − w*)ᵀA(w − w*) with curvatures ${d.eigenvalues.join(" and ")}.`),
    );
  }

  refreshConstraint();
  restore();
  return {
    destroy() {
      state.seq++;
      state.cseq++;
      stopFollowing();
      state.plots.forEach((p) => p.destroy());
    },
  };
}
