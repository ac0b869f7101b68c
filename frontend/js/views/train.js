// Train view (issue 6): pick a network, a dataset and hyperparameters, start a run and
// watch its loss and accuracy live (Server-Sent Events); pause it (the worker checkpoints and
// frees its slot) and resume it later, even after a server restart; afterwards the per-class
// metrics, a confusion matrix and the misclassified examples; tick runs in the list to
// overlay their curves.
import * as api from "../api.js";
import { loadDesign } from "../lib/design_store.js";
import { isStopped } from "../lib/runs.js";
import { duration, pace } from "../lib/pace.js";
import { COLORS, ema, lineChart } from "../widgets/charts.js";
import { h } from "../dom.js";
import { datasetPicker, fitHead } from "./train/datasets.js";
import { flowCard, probeConfig, probeField } from "./train/gradflow.js";
import { results } from "./train/results.js";
import { transferSection } from "./train/transfer.js";

const MAX_PARAMS = 5_000_000; // the server's CNNPLAY_MAX_TRAIN_PARAMS default
const OPTIONS = {
  optimizer: ["adam", "adamw", "sgd", "momentum", "rmsprop"],
  loss: ["cross_entropy", "mse"],
  init: ["default", "xavier", "kaiming", "normal", "zeros"],
  normalize: ["standardize", "scale", "none"],
  l2_mode: ["penalty", "weight_decay"],
};
const DEFAULTS = { batch_size: 64, epochs: 2, lr: 0.001, l1: 0, l2: 0, seed: 0 };

let root = null;
let ui = null; // elements
let live = null; // the followed run: {id, follow, data, charts}
let compare = { charts: [], cache: new Map(), follows: [] };
let datasets = [];

export async function mount(el) {
  root = h("div", { class: "train" });
  el.append(root);
  const [zoo, ds] = await Promise.all([api.zooList().catch(() => []), api.listDatasets()]);
  datasets = ds;
  build(zoo);
  await refreshRuns();
}

export function unmount() {
  ui?.picker?.destroy();
  live?.follow?.close();
  live?.charts.forEach((c) => c.destroy());
  live?.flow.destroy();
  compare.follows.forEach((f) => f.close());
  compare.charts.forEach((c) => c.destroy());
  live = null;
  compare = { charts: [], cache: new Map(), follows: [] };
  root = null;
}


function field(label, input, hint) {
  return h("label", { class: "field" }, [h("span", {}, label), input, hint ? h("small", { class: "muted" }, hint) : null]);
}

function select(name, values, value, labels = {}) {
  return h(
    "select",
    { name },
    values.map((v) => h("option", { value: v, selected: v === value }, labels[v] ?? v.replace("_", " "))),
  );
}

function number(name, value, attrs = {}) {
  return h("input", { name, type: "number", value, ...attrs });
}

function build(zoo) {
  const nets = zoo.filter((z) => z.input_shape[0] === 1 && z.params <= MAX_PARAMS);
  const design = loadDesign();
  const netSelect = h("select", { name: "network" }, [
    design ? h("option", { value: "design:" }, `Your design: ${design.name ?? "Untitled"}`) : null,
    ...nets.map((z) =>
      h("option", { value: `zoo:${z.name}`, selected: z.name === "mlp" && !design }, `${z.title} (${z.params.toLocaleString()} params)`),
    ),
  ]);
  // Every dataset with its status, Download and zip upload (issue 6).
  const picker = datasetPicker(datasets, { onChange: (list) => { datasets = list; showIters(); } });
  const form = h("form", { class: "train-form", onsubmit: (e) => { e.preventDefault(); start(); } }, [
    h("h2", {}, "Set up a run"),
    field("Network", netSelect),
    field("Dataset", picker.select),
    picker.panel,
    h("div", { class: "row2" }, [
      field("Batch size", number("batch_size", DEFAULTS.batch_size, { min: 1, max: 4096 })),
      field("Epochs", number("epochs", DEFAULTS.epochs, { min: 1, max: 100 })),
    ]),
    field("Validation split", number("val_split", "", { step: 0.01, min: 0.05, max: 0.5, placeholder: "dataset's own" }), h("span", { "data-testid": "split-sizes" })),
    h("p", { class: "iters muted", "data-testid": "iters-per-epoch" }),
    h("div", { class: "row2" }, [
      field("Learning rate", number("lr", DEFAULTS.lr, { step: "any", min: 0 })),
      field("Optimizer", select("optimizer", OPTIONS.optimizer, "adam", { sgd: "SGD", momentum: "SGD + momentum", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" })),
    ]),
    h("div", { class: "row2" }, [
      field("Loss", select("loss", OPTIONS.loss, "cross_entropy", { cross_entropy: "cross-entropy", mse: "MSE on one-hot" })),
      field("Init", select("init", OPTIONS.init, "default", { default: "PyTorch default" })),
    ]),
    h("div", { class: "row2" }, [
      field("L1", number("l1", DEFAULTS.l1, { step: "any", min: 0 })),
      field("L2", number("l2", DEFAULTS.l2, { step: "any", min: 0 })),
    ]),
    h("div", { class: "row2" }, [
      field("L2 as", select("l2_mode", OPTIONS.l2_mode, "penalty", { penalty: "loss penalty", weight_decay: "weight decay" })),
      field("Inputs", select("normalize", OPTIONS.normalize, "standardize", { standardize: "standardize", scale: "scale to [0, 1]", none: "raw pixels" })),
    ]),
    field("Seed", number("seed", DEFAULTS.seed, { min: 0 })),
    probeField(), // issue 8: gradient flow
    h("div", { class: "actions" }, [
      h("button", { class: "primary", type: "submit", "data-testid": "start" }, "Start training"),
      h("button", { type: "button", "data-testid": "stop", disabled: true, onclick: stop }, "Stop"),
    ]),
    h("p", { class: "error", role: "alert", hidden: true }),
  ]);
  form.addEventListener("input", showIters);

  const smooth = h("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: 0.6, "aria-label": "Smoothing", oninput: () => redrawLive() });
  const livePanel = h("section", { class: "panel train-live" }, [
    h("div", { class: "live-head" }, [
      h("h2", {}, "Live"),
      h("span", { class: "badge", "data-testid": "run-status" }, "no run yet"),
      h("span", { class: "run-controls" }, [
        h("button", { type: "button", "data-testid": "pause", disabled: true, onclick: pause }, "Pause"),
        h("button", { type: "button", "data-testid": "resume", disabled: true, onclick: () => live && resume(live.id, live.name) }, "Resume"),
      ]),
      h("span", { class: "muted speed", "data-testid": "speed" }),
    ]),
    h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, h("div", { class: "bar" })),
    h("p", { class: "muted progress-text" }, "Start a run to see its curves here."),
    h("label", { class: "smooth" }, [h("span", {}, "Smoothing"), smooth, h("output", {}, "0.60")]),
    h("div", { class: "charts" }, [
      h("div", { class: "chart", "data-chart": "iter-loss" }),
      h("div", { class: "chart", "data-chart": "iter-acc" }),
      h("div", { class: "chart", "data-chart": "epoch-loss" }),
      h("div", { class: "chart", "data-chart": "epoch-acc" }),
    ]),
    h("div", { class: "train-gradflow", "data-testid": "gradflow-card", hidden: true }),
    h("p", { class: "run-message", hidden: true }),
    h("div", { class: "run-results" }),
  ]);
  const runsPanel = h("section", { class: "panel train-runs" }, [
    h("div", { class: "live-head" }, [h("h2", {}, "Runs"), h("span", { class: "muted" }, "tick two or more to compare")]),
    h("div", { class: "runs-table-wrap" }),
    h("div", { class: "compare" }),
  ]);
  const transferPanel = transferSection({ follow, refreshRuns, compareRuns }); // issue 7
  root.append(h("aside", { class: "panel train-setup" }, form), livePanel, transferPanel, runsPanel);
  ui = { form, livePanel, runsPanel, smooth, picker, error: form.querySelector(".error") };
  showIters();
}

function config() {
  const f = new FormData(ui.form);
  const num = (k) => Number(f.get(k));
  return {
    dataset: f.get("dataset"),
    batch_size: num("batch_size"),
    epochs: num("epochs"),
    lr: num("lr"),
    optimizer: f.get("optimizer"),
    loss: f.get("loss"),
    init: f.get("init"),
    l1: num("l1"),
    l2: num("l2"),
    l2_mode: f.get("l2_mode"),
    normalize: f.get("normalize"),
    seed: num("seed"),
    val_split: f.get("val_split") ? num("val_split") : null, // null: the dataset's own split
    ...probeConfig(f),
  };
}

function showIters() {
  const c = config();
  const d = datasets.find((x) => x.name === c.dataset);
  const el = ui.form.querySelector(".iters");
  const sizes = d && splitSizes(d, c.val_split);
  ui.form.querySelector("[data-testid=split-sizes]").textContent = sizes
    ? `${sizes[0].toLocaleString()} train / ${sizes[1].toLocaleString()} held out`
    : d ? "a fraction from 0.05 to 0.5, or empty" : "";
  if (!sizes || !(c.batch_size > 0)) {
    el.textContent = "";
    return;
  }
  const per = Math.ceil(sizes[0] / c.batch_size);
  el.textContent = `${per.toLocaleString()} iterations per epoch = ceil(${sizes[0].toLocaleString()} samples / ${c.batch_size}); ${(per * (c.epochs || 0)).toLocaleString()} in all`;
}

// [train, held out] for a validation split (null: the dataset's own; out of range: null):
// the two parts pooled, fraction * total held out, rounded half up (datasets.held_count).
function splitSizes(d, fraction) {
  if (fraction == null) return [d.train_size, d.val_size];
  if (!(fraction >= 0.05 && fraction <= 0.5)) return null;
  const total = d.train_size + d.val_size;
  const held = Math.floor(total * fraction + 0.5);
  return [total - held, held];
}

async function chosenSpec() {
  const v = new FormData(ui.form).get("network");
  if (v.startsWith("design:")) return loadDesign();
  return fitHead(await api.zooSpec(v.slice(4)), ui.picker.current()); // head = dataset's classes
}

function setError(text) {
  ui.error.hidden = !text;
  ui.error.textContent = text ?? "";
}

async function start() {
  setError(null);
  try {
    const spec = await chosenSpec();
    const run = await api.startRun(spec, config());
    follow(run.id, spec.name);
    await refreshRuns();
  } catch (err) {
    setError(err.message);
  }
}

async function stop() {
  if (!live) return;
  try {
    const r = await api.cancelRun(live.id);
    if (live.status === "paused") finish(live, r.status); // its stream had already ended
  } catch (err) {
    setError(err.message);
  }
}

function emptyData() {
  return { iter: [], loss: [], acc: [], epoch: [], trLoss: [], vaLoss: [], trAcc: [], vaAcc: [], start: null, sps: null };
}

function follow(id, name, status = "queued") {
  live?.follow?.close();
  live?.charts.forEach((c) => c.destroy());
  live?.flow.destroy();
  const q = (s) => ui.livePanel.querySelector(s);
  const chart = (key, opts) => lineChart(q(`[data-chart="${key}"]`), opts);
  const charts = [
    chart("iter-loss", { title: "Training loss per iteration", xLabel: "iteration", yLabel: "loss", series: [{ label: "raw", color: "#b6c8e0", width: 1 }, { label: "smoothed", color: COLORS[0] }] }),
    chart("iter-acc", { title: "Batch accuracy per iteration", xLabel: "iteration", yLabel: "accuracy", range: [0, 1], series: [{ label: "raw", color: "#f3c7b3", width: 1 }, { label: "smoothed", color: COLORS[1] }] }),
    chart("epoch-loss", { title: "Loss per epoch", xLabel: "epoch", yLabel: "loss", integerX: true, series: [{ label: "train", color: COLORS[0], points: true }, { label: "held-out", color: COLORS[1], points: true }] }),
    chart("epoch-acc", { title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy", range: [0, 1], integerX: true, series: [{ label: "train", color: COLORS[0], points: true }, { label: "held-out", color: COLORS[1], points: true }] }),
  ];
  const flow = flowCard(q(".train-gradflow"));
  live = { id, name, data: emptyData(), charts, flow, follow: null, status: "queued", seq: 0 };
  listen(live, status);
}

// Follow the live run's events after the last seq it has seen (0: from the start).
function listen(mine, status) {
  const q = (s) => ui.livePanel.querySelector(s);
  q(".run-results").replaceChildren();
  q(".run-message").hidden = true;
  setStatus(status);
  let pending = false;
  mine.follow = api.followRun(mine.id, {
    after: mine.seq,
    onEvent: (e, seq) => {
      mine.seq = seq;
      absorb(mine.data, e);
      mine.flow.event(e);
      if (e.kind === "end") return;
      if (mine.status === "queued") setStatus("running");
      if (!pending) {
        pending = true; // redraw at most once per frame however fast events come
        requestAnimationFrame(() => {
          pending = false;
          if (live === mine) redrawLive();
        });
      }
    },
    onEnd: (status) => finish(mine, status),
  });
}

async function pause() {
  if (!live) return;
  try {
    const r = await api.pauseRun(live.id);
    if (r.pausing) setStatus("pausing"); // the stream ends with "paused" once checkpointed
  } catch (err) {
    setError(err.message);
  }
}

// Resume a paused (or failed, checkpointed) run: the followed one carries on from the last
// event it saw; another one is followed from its first event.
async function resume(id, name) {
  setError(null);
  try {
    const r = await api.resumeRun(id);
    if (live?.id === id) {
      live.follow?.close();
      listen(live, r.status);
    } else follow(id, name);
    await refreshRuns();
  } catch (err) {
    setError(err.message);
  }
}

function absorb(d, e) {
  if (e.kind === "start") d.start = e;
  else if (e.kind === "iter") {
    d.iter.push(e.iter);
    d.loss.push(e.loss);
    d.acc.push(e.acc);
  } else if (e.kind === "epoch") {
    d.epoch.push(e.epoch);
    d.trLoss.push(e.train_loss);
    d.vaLoss.push(e.val_loss);
    d.trAcc.push(e.train_acc);
    d.vaAcc.push(e.val_acc);
    d.sps = e.samples_per_s;
  } else if (e.kind === "resume") {
    // Carried on from a checkpoint: drop points past it (a killed worker's lost batches).
    const cut = (keys, xs, past) => {
      const n = xs.findIndex(past);
      if (n >= 0) keys.forEach((k) => (d[k].length = n));
    };
    cut(["iter", "loss", "acc"], d.iter, (i) => i > e.iter);
    cut(["epoch", "trLoss", "vaLoss", "trAcc", "vaAcc"], d.epoch, (x) => x >= e.epoch);
  } else if (e.kind === "end") d.end = e;
}

function setStatus(status, resumable = status === "paused") {
  if (live) live.status = status;
  const b = ui.livePanel.querySelector('[data-testid="run-status"]');
  b.textContent = live ? `${live.name}: ${status}` : status;
  b.dataset.status = status;
  const active = ["queued", "running"].includes(status);
  ui.form.querySelector('[data-testid="stop"]').disabled = !(active || status === "paused" || status === "pausing");
  ui.livePanel.querySelector('[data-testid="pause"]').disabled = !active;
  ui.livePanel.querySelector('[data-testid="resume"]').disabled = !resumable;
}

function redrawLive() {
  if (!live) return;
  const w = Number(ui.smooth.value);
  ui.livePanel.querySelector(".smooth output").textContent = w.toFixed(2);
  const d = live.data;
  const [il, ia, el, ea] = live.charts;
  il.set([d.iter, d.loss, ema(d.loss, w)]);
  ia.set([d.iter, d.acc, ema(d.acc, w)]);
  el.set([d.epoch, d.trLoss, d.vaLoss]);
  ea.set([d.epoch, d.trAcc, d.vaAcc]);
  const total = d.start?.total_iters ?? 0;
  const done = d.iter.at(-1) ?? 0;
  const pct = total ? (100 * done) / total : 0;
  ui.livePanel.querySelector(".progress .bar").style.width = `${pct}%`;
  ui.livePanel.querySelector(".progress").setAttribute("aria-valuenow", pct.toFixed(0));
  const epoch = d.iter.length ? Math.ceil(done / d.start.iters_per_epoch) : 0;
  ui.livePanel.querySelector(".progress-text").textContent = total
    ? `iteration ${done.toLocaleString()} of ${total.toLocaleString()} (epoch ${epoch} of ${total / d.start.iters_per_epoch})`
    : "waiting for a worker...";
  ui.livePanel.querySelector(".speed").textContent = speedText(d, total, done);
}

/** Live samples/s and the time left while a run trains (lib/pace.js); else the last
 * epoch's samples/s. */
function speedText(d, total, done) {
  let now = null;
  if (live.status === "running" && !d.end && total && d.start) {
    live.pace ??= pace(total);
    now = live.pace.note(performance.now(), done);
  }
  if (now) {
    const perIter = d.start.train_size / d.start.iters_per_epoch;
    const sps = Math.round(now.itersPerS * perIter).toLocaleString();
    const left = done < total ? ` · about ${duration(now.secondsLeft)} left` : " · evaluating";
    return `${sps} samples/s${left}`;
  }
  return d.sps ? `${Math.round(d.sps).toLocaleString()} samples/s` : "";
}

async function finish(run, status) {
  if (live !== run) return;
  redrawLive();
  const info = await api.getRun(run.id);
  if (live !== run) return;
  setStatus(status, info.resumable);
  const msg = ui.livePanel.querySelector(".run-message");
  msg.hidden = !info.message;
  msg.textContent = info.message;
  msg.className = `run-message ${["done", "paused"].includes(status) ? "muted" : "error"}`;
  if (info.metrics) ui.livePanel.querySelector(".run-results").replaceChildren(results(info.metrics, run.id));
  await refreshRuns();
}

// --- the runs list and comparison ----------------------------------------------

const SETTINGS = [
  ["dataset", "Dataset"], ["batch_size", "Batch"], ["epochs", "Epochs"], ["lr", "LR"],
  ["optimizer", "Optimizer"], ["loss", "Loss"], ["init", "Init"], ["l1", "L1"], ["l2", "L2"],
  ["l2_mode", "L2 as"], ["normalize", "Inputs"], ["seed", "Seed"],
  ["per_class", "Per class"], ["init_from", "Init from"], // issue 7: transfer runs
  ["val_split", "Val split"],
];

function accText(r) {
  return r.accuracy == null ? "" : `${(100 * r.accuracy).toFixed(1)}%`;
}

async function refreshRuns() {
  if (!root) return;
  const runs = await api.listRuns();
  const wrap = ui.runsPanel.querySelector(".runs-table-wrap");
  const ticked = new Set([...wrap.querySelectorAll("input:checked")].map((i) => i.value));
  if (!runs.length) {
    wrap.replaceChildren(h("p", { class: "muted" }, "No runs yet."));
    return;
  }
  const rows = runs.map((r) =>
    h("tr", { "data-run": r.id }, [
      h("td", {}, h("input", { type: "checkbox", value: r.id, checked: ticked.has(r.id), "aria-label": `compare ${r.network}`, onchange: () => showCompare(runs) })),
      h("td", {}, r.network),
      h("td", { title: r.config.dataset }, r.config.dataset.startsWith("upload:") ? datasets.find((d) => d.name === r.config.dataset)?.title ?? "deleted upload" : r.config.dataset),
      h("td", {}, `${r.config.optimizer} ${r.config.lr}`),
      h("td", {}, `${r.config.batch_size} x ${r.config.epochs}`),
      h("td", {}, h("span", { class: "badge", "data-status": r.status }, r.position ? `queued #${r.position}` : r.status)),
      h("td", { class: "num" }, accText(r)),
      h("td", { class: "run-actions" }, [
        h("button", { type: "button", class: "link", "aria-label": "view run", onclick: () => follow(r.id, r.network, r.status) }, "View"),
        r.resumable ? h("button", { type: "button", class: "link", "aria-label": "resume run", onclick: () => resume(r.id, r.network) }, "Resume") : null,
        isStopped(r.status) ? h("button", { type: "button", class: "link", "aria-label": "delete run", onclick: async () => { await api.deleteRun(r.id); refreshRuns(); } }, "Delete") : null,
      ]),
    ]),
  );
  wrap.replaceChildren(
    h("table", { class: "runs-table" }, [
      h("thead", {}, h("tr", {}, ["", "Network", "Data", "Optimizer", "Batch x epochs", "Status", "Accuracy", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows),
    ]),
  );
  showCompare(runs);
}

// Tick exactly these runs in the list and overlay them (the transfer section's race).
async function compareRuns(ids) {
  await refreshRuns();
  if (!root) return;
  ui.runsPanel.querySelectorAll(".runs-table input[type=checkbox]").forEach((i) => {
    i.checked = ids.includes(i.value);
  });
  await showCompare(await api.listRuns());
}

function loadEvents(id) {
  if (compare.cache.has(id)) return compare.cache.get(id);
  const p = new Promise((resolve) => {
    const d = emptyData();
    const f = api.followRun(id, { onEvent: (e) => absorb(d, e), onEnd: () => resolve(d) });
    compare.follows.push(f);
  });
  compare.cache.set(id, p);
  return p;
}

async function showCompare(runs) {
  const box = ui.runsPanel.querySelector(".compare");
  const ids = [...ui.runsPanel.querySelectorAll(".runs-table input:checked")].map((i) => i.value);
  compare.charts.forEach((c) => c.destroy());
  compare.charts = [];
  if (ids.length < 2) {
    box.replaceChildren();
    return;
  }
  const chosen = ids.map((id) => runs.find((r) => r.id === id)).filter(Boolean);
  const datas = await Promise.all(chosen.map((r) => loadEvents(r.id)));
  const label = (r, i) => `#${i + 1} ${r.network}`;
  const series = chosen.map((r, i) => ({ label: label(r, i), color: COLORS[i % COLORS.length], points: true }));
  const table = h("table", { class: "compare-table" }, [
    h("thead", {}, h("tr", {}, [h("th", {}, "Setting"), ...chosen.map((r, i) => h("th", { style: `color:${COLORS[i % COLORS.length]}` }, label(r, i)))])),
    h("tbody", {}, [
      ...SETTINGS.map(([k, t]) => {
        const vals = chosen.map((r) => String(r.config[k] ?? "none"));
        const differs = new Set(vals).size > 1;
        return h("tr", { class: differs ? "differs" : "" }, [h("th", { scope: "row" }, t), ...vals.map((v) => h("td", {}, v))]);
      }),
      h("tr", {}, [h("th", { scope: "row" }, "Accuracy"), ...chosen.map((r) => h("td", { class: "num" }, accText(r) || r.status))]),
    ]),
  ]);
  const lossEl = h("div", { class: "chart" });
  const accEl = h("div", { class: "chart" });
  box.replaceChildren(h("h3", {}, `Comparing ${chosen.length} runs`), h("div", { class: "charts" }, [lossEl, accEl]), table);
  const pad = (xs, n) => Array.from({ length: n }, (_, i) => xs[i] ?? null);
  const maxIter = Math.max(...datas.map((d) => d.iter.length));
  const maxEpoch = Math.max(...datas.map((d) => d.epoch.length));
  const loss = lineChart(lossEl, { title: "Training loss (smoothed)", xLabel: "iteration", yLabel: "loss", series: series.map((s) => ({ ...s, points: false })) });
  loss.set([Array.from({ length: maxIter }, (_, i) => i + 1), ...datas.map((d) => pad(ema(d.loss, 0.9), maxIter))]);
  const acc = lineChart(accEl, { title: "Held-out accuracy per epoch", xLabel: "epoch", yLabel: "accuracy", range: [0, 1], integerX: true, series });
  acc.set([Array.from({ length: maxEpoch }, (_, i) => i + 1), ...datas.map((d) => pad(d.vaAcc, maxEpoch))]);
  compare.charts.push(loss, acc);
}
