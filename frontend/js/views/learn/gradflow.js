// Gradient flow (issue 8). Top: one MNIST batch through a freshly initialised network and
// back (POST /api/learning/gradflow): per conv/linear layer ||dL/dW|| on a log bar, its ratio
// to ||W||, and a histogram of the activation after it. Bottom: the classic comparison, four
// real training runs (POST /api/runs with the specs of /api/learning/gradflow/comparison,
// probe on) whose "gradflow" events are drawn live as per-layer gradient-norm curves.
import * as api from "../../api.js";
import { loadDesign } from "../../lib/design_store.js";
import { isFinished } from "../../lib/runs.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";
import { histStrip, layerNormData, layerSeries, livePlot, logOpts, pos } from "../../widgets/flow_charts.js";
import { logPercent, sig3 as fmt } from "../../lib/format.js";
import { histCanvas } from "../../widgets/histogram.js";

const PRESETS = [
  ["sigmoid", "Sigmoid, plain (Xavier init)"],
  ["relu_he", "ReLU + He init"],
  ["batchnorm", "Sigmoid + batch norm"],
  ["residual", "Sigmoid + skip connections"],
];
const SMALL_ZOO = ["mlp", "mnist_cnn", "lenet5_mnist", "tiny_resnet"];
const RUN_COLORS = { sigmoid: "#c92a2a", relu_he: "#0b63ce", batchnorm: "#2b8a3e", residual: "#9c36b5" };
const LOG_MIN = -8; // gradient-norm bars: 1e-8 .. 1e2
const LOG_MAX = 2;


const pct = (v) => logPercent(v, LOG_MIN, LOG_MAX);

function numberField(name, label, value, min, max) {
  const input = h("input", { type: "number", name, value: String(value), min: String(min), max: String(max), step: "1" });
  return { input, el: h("label", { class: "opt-field" }, [h("span", {}, label), input]) };
}

function flowRows(layers) {
  return layers.map((l) =>
    h("div", { class: "gf-row", "data-path": l.path }, [
      h("span", { class: "gf-name", title: `histogram of ${l.act_path} (${l.act_type})` }, [
        h("code", {}, l.path),
        h("small", {}, ` ${l.type} → ${l.act_type}`),
      ]),
      h("span", { class: "gc-track gf-track" }, [h("span", { class: "gf-bar", style: `width:${pct(l.grad_norm)}%` })]),
      h("span", { class: "gf-value", title: `‖W‖ = ${fmt(l.weight_norm)}` }, fmt(l.grad_norm)),
      h("span", { class: "gf-value" }, fmt(l.ratio)),
      histCanvas(l, { title: `${l.act_type} output, ${fmt(l.lo)} … ${fmt(l.hi)}` }),
      h("span", { class: "gf-stats" }, [
        `μ ${fmt(l.mean)}  σ ${fmt(l.std)}`,
        h("br"),
        `zeros ${(100 * l.zeros).toFixed(0)}%`,
        ["sigmoid", "tanh"].includes(l.act_type) ? `  saturated ${(100 * l.saturated).toFixed(0)}%` : "",
      ]),
    ]),
  );
}

function initSection(root) {
  let seq = 0;
  const design = loadDesign();
  const source = h("select", { name: "gf-net", "aria-label": "network" }, [
    ...PRESETS.map(([k, t]) => h("option", { value: `preset:${k}` }, t)),
    design ? h("option", { value: "design" }, "Your design") : null,
    ...SMALL_ZOO.map((n) => h("option", { value: `zoo:${n}` }, `Zoo: ${n}`)),
  ]);
  const depth = numberField("gf-depth", "Linear layers", 10, 3, 20);
  const init = h("select", { name: "gf-init", "aria-label": "initialization" }, [
    h("option", { value: "" }, "the network's own"),
    ...["default", "xavier", "kaiming", "normal", "zeros"].map((v) => h("option", { value: v }, v)),
  ]);
  const summary = h("p", { class: "gf-summary", "data-testid": "gf-summary" });
  const rows = h("div", { class: "gf-rows", "data-testid": "gf-rows" });
  const error = errorLine();
  const head = h("div", { class: "gf-row gf-head", "aria-hidden": "true" }, [
    h("span", {}, "layer → activation"),
    h("span", { class: "gf-ticks" }, [-8, -6, -4, -2, 0, 2].map((e) => h("span", { style: `left:${pct(10 ** e)}%` }, `1e${e}`))),
    h("span", {}, "‖dL/dW‖"),
    h("span", {}, "÷ ‖W‖"),
    h("span", {}, "activations"),
    h("span", {}, ""),
  ]);
  const el = h("div", { class: "gf-init" }, [
    h("h3", {}, "At initialization"),
    h("div", { class: "gc-controls" }, [
      h("label", { class: "opt-field" }, [h("span", {}, "Network"), source]),
      depth.el,
      h("label", { class: "opt-field" }, [h("span", {}, "Initialization"), init]),
    ]),
    summary,
    head,
    rows,
    error,
  ]);
  root.append(el);

  async function refresh() {
    const my = ++seq;
    hideError(error);
    depth.input.disabled = !source.value.startsWith("preset:");
    try {
      const body = { batch_size: 64, seed: 0 };
      if (init.value) body.init = init.value;
      if (source.value.startsWith("preset:")) {
        body.preset = source.value.slice(7);
        body.depth = Number(depth.input.value) || 10;
      } else {
        body.spec = source.value === "design" ? loadDesign() : await api.zooSpec(source.value.slice(4));
      }
      const data = await api.learningGradflow(body);
      if (my !== seq) return;
      const first = data.layers[0];
      const last = data.layers.at(-1);
      const ratio = first && last && first.grad_norm > 0 ? last.grad_norm / first.grad_norm : null;
      summary.replaceChildren(
        h("strong", {}, data.name),
        ` (init: ${data.init}), loss ${data.loss.toFixed(3)} on ${data.batch_size} MNIST images. `,
        ratio === null
          ? ""
          : ratio >= 1
            ? `The first layer's gradient is ${fmt(ratio)}× smaller than the last layer's.`
            : `The first layer's gradient is ${fmt(1 / ratio)}× larger than the last layer's.`,
      );
      summary.dataset.ratio = ratio === null ? "" : String(ratio);
      rows.replaceChildren(...flowRows(data.layers));
    } catch (e) {
      if (my !== seq) return;
      showError(error, e.message);
    }
  }
  source.addEventListener("change", refresh);
  init.addEventListener("change", refresh);
  depth.input.addEventListener("change", refresh);
  refresh();
  return { destroy: () => seq++ };
}

function comparisonSection(root) {
  const fields = {
    depth: numberField("cmp-depth", "Linear layers", 10, 3, 20),
    width: numberField("cmp-width", "Units per layer", 64, 4, 256),
    train_limit: numberField("cmp-images", "Training images", 4000, 64, 8000),
    probe_every: numberField("cmp-every", "Probe every (iterations)", 4, 1, 1000),
  };
  const start = h("button", { class: "primary", "data-testid": "run-comparison" }, "Run the comparison");
  const status = h("p", { class: "gf-cmp-status", "data-testid": "cmp-status" });
  const cards = h("div", { class: "gf-cards" });
  const firstHead = h("h4", { hidden: true }, "First layer's gradient norm, all four runs");
  const firstEl = h("div", { class: "gf-first", "data-testid": "cmp-first" });
  const overTime = h("div", { class: "gf-overtime" });
  const error = errorLine();
  root.append(
    h("div", { class: "gf-cmp" }, [
      h("h3", {}, "The classic comparison, while training"),
      h("p", { class: "muted" }, [
        "Four real training runs on MNIST (plain SGD, one epoch): a deep sigmoid network, then the same network ",
        "fixed three ways. Each run reports every layer's ‖dL/dW‖ every few iterations; curves use a log scale, ",
        "first layer blue, last layer orange.",
      ]),
      h("div", { class: "gc-controls" }, [...Object.values(fields).map((f) => f.el), start]),
      status,
      error,
      cards,
      firstHead,
      firstEl,
      overTime,
    ]),
  );

  let runs = [];
  let plots = [];
  let follows = [];
  let firstPlot = null;

  function clear() {
    follows.forEach((f) => f.close());
    plots.forEach((p) => p.destroy());
    firstPlot?.destroy();
    follows = [];
    plots = [];
    firstPlot = null;
    firstHead.hidden = true;
    runs = [];
    cards.replaceChildren();
    overTime.replaceChildren();
  }

  function drawFirst() {
    const iters = [...new Set(runs.flatMap((r) => r.flows.map((f) => f.iter)))].sort((a, b) => a - b);
    const data = [iters, ...runs.map((r) => {
      const by = new Map(r.flows.map((f) => [f.iter, pos(f.layers[0].grad_norm)]));
      return iters.map((i) => by.get(i) ?? null);
    })];
    if (!firstPlot) {
      const series = runs.map((r) => ({ label: r.title, stroke: RUN_COLORS[r.key], width: 2, spanGaps: true }));
      firstPlot = livePlot(firstEl, logOpts(240, "iteration", "‖dL/dW₁‖", series), data);
      firstHead.hidden = false;
    } else {
      firstPlot.plot.setData(data);
    }
    firstEl.dataset.points = String(runs.reduce((n, r) => n + r.flows.length, 0));
  }

  // Decades spanning every gradient norm of every run so far.
  const sharedRange = () => {
    const all = runs.flatMap((r) => r.flows.flatMap((f) => f.layers.map((l) => l.grad_norm))).filter((v) => v > 0);
    if (!all.length) return null;
    const lo = Math.floor(Math.log10(Math.min(...all)));
    const hi = Math.ceil(Math.log10(Math.max(...all)));
    return [10 ** lo, 10 ** Math.max(hi, lo + 1)];
  };

  function drawRun(r) {
    const data = layerNormData(r.flows);
    if (!r.plot) {
      const series = layerSeries(r.flows[0].layers);
      r.plot = livePlot(r.chart, logOpts(220, "iteration", "‖dL/dW‖", series, sharedRange), data);
      plots.push(r.plot);
    } else {
      r.plot.plot.setData(data);
    }
    r.chart.dataset.points = String(r.flows.length);
    const f = r.flows.at(-1).layers;
    r.note.textContent = `first layer ${fmt(f[0].grad_norm)}, last ${fmt(f.at(-1).grad_norm)} (iteration ${r.flows.at(-1).iter})`;
  }

  function setStatus(r, text, kind) {
    r.card.dataset.status = kind;
    r.status.textContent = text;
    const done = runs.filter((x) => isFinished(x.card.dataset.status)).length;
    status.textContent = `${done} of ${runs.length} runs finished.`;
    if (done === runs.length) {
      start.disabled = false;
      drawOverTime();
    }
  }

  function drawOverTime() {
    // Histograms over time: the activations of one run at one probe iteration, per layer.
    const pick = h("select", { name: "ot-run", "aria-label": "run" }, runs.map((r) => h("option", { value: r.key }, r.title)));
    const slider = h("input", { type: "range", name: "ot-iter", min: "0", value: "0", step: "1", "aria-label": "probe" });
    const label = h("output", {});
    const strip = h("div", { class: "gf-strip", "data-testid": "ot-strip" });
    const show = () => {
      const r = runs.find((x) => x.key === pick.value);
      if (!r || !r.flows.length) return strip.replaceChildren("No probes yet.");
      slider.max = String(r.flows.length - 1);
      const f = r.flows[Math.min(Number(slider.value), r.flows.length - 1)];
      label.textContent = `iteration ${f.iter}`;
      strip.replaceChildren(...histStrip(f.layers));
    };
    pick.addEventListener("change", () => {
      slider.value = "0";
      show();
    });
    slider.addEventListener("input", show);
    overTime.replaceChildren(
      h("h4", {}, "Activations over time"),
      h("div", { class: "gc-controls" }, [pick, h("label", { class: "slider" }, [h("span", {}, "probe"), slider, label])]),
      strip,
    );
    show();
  }

  start.addEventListener("click", async () => {
    clear();
    hideError(error);
    start.disabled = true;
    status.textContent = "Starting four runs…";
    const body = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, Number(f.input.value)]));
    try {
      const { runs: planned } = await api.learningGradflowComparison(body);
      for (const p of planned) {
        const r = { ...p, flows: [], plot: null, total: null };
        r.status = h("span", { class: "gf-run-status" }, "queued");
        r.chart = h("div", { class: "gf-chart" });
        r.note = h("p", { class: "gf-note" });
        r.card = h("article", { class: "gf-card", "data-run": p.key, "data-status": "queued" }, [
          h("h4", { style: `color:${RUN_COLORS[p.key]}` }, [p.title, " ", r.status]),
          h("p", { class: "muted gf-desc" }, p.description),
          r.chart,
          r.note,
        ]);
        cards.append(r.card);
        runs.push(r);
      }
      for (const r of runs) {
        const { id } = await api.startRun(r.spec, r.config);
        r.id = id;
        r.card.dataset.id = id;
        follows.push(
          api.followRun(id, {
            onEvent: (e) => {
              if (e.kind === "start") r.total = e.total_iters;
              else if (e.kind === "iter" && (e.iter === 1 || e.iter % 5 === 0)) setStatus(r, `iteration ${e.iter}${r.total ? ` of ${r.total}` : ""}`, "running");
              else if (e.kind === "gradflow") {
                r.flows.push(e);
                drawRun(r);
                // The shared range may have grown: re-range the other charts too.
                runs.forEach((o) => o !== r && o.plot && o.plot.plot.setData(o.plot.plot.data));
                drawFirst();
              } else if (e.kind === "end") {
                const acc = e.metrics?.accuracy;
                r.final = acc === undefined || acc === null ? e.status : `${e.status}, held-out accuracy ${(100 * acc).toFixed(1)}%`;
              }
            },
            onEnd: (s) => setStatus(r, r.final || s, s),
          }),
        );
      }
      status.textContent = "Running (two at a time; the others wait in the queue)…";
    } catch (e) {
      showError(error, e.message);
      start.disabled = false;
      status.textContent = "";
    }
  });

  return { destroy: clear };
}

export function gradflowPanel(root) {
  root.append(
    ...intro("Gradient flow", [
      "How big is each layer's gradient ‖dL/dW‖ when it reaches that layer? In a deep sigmoid network it shrinks ",
      "on the way back (σ′ ≤ ¼ per layer), so the first layers barely learn: vanishing gradients. ",
      "Next to each layer, the distribution of the activations that follow it.",
    ]),
  );
  const parts = [initSection(root), comparisonSection(root)];
  return { destroy: () => parts.forEach((p) => p.destroy()) };
}
