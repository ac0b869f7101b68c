// Train view (issue 6): pick a network, a dataset and hyperparameters, start a run and
// watch its loss and accuracy live (Server-Sent Events); pause it (the worker checkpoints and
// frees its slot) and resume it later, even after a server restart; afterwards the per-class
// metrics, a confusion matrix and the misclassified examples; tick runs in the list to
// overlay their curves.
import * as api from "../api.js";
import { loadDesign } from "../lib/design_store.js";
import { duration, pace } from "../lib/pace.js";
import { isStopped, queueText } from "../lib/runs.js";
import { COLORS, ema, lineChart } from "../widgets/charts.js";
import { h } from "../dom.js";
import { clusterCard } from "./train/cluster.js";
import { fitHead } from "./train/datasets.js";
import { absorb, emptyData } from "./train/events.js";
import { leaveGuard, stillRunningNote } from "./train/leave.js";
import { applySetupHash, syncSetupHash } from "./train/setup_hash.js";
import { flowCard } from "./train/gradflow.js";
import { insideCard } from "./train/inside.js";
import { maskCard } from "./train/masks.js";
import { results } from "./train/results.js";
import { runsTable } from "./train/runs_table.js";
import { readConfig, setupForm } from "./train/setup.js";
import { transferSection } from "./train/transfer.js";

let root = null;
let ui = null; // elements
let live = null; // the followed run: {id, follow, data, charts}
let runs = null; // the runs list (train/runs_table.js)
let capacity = null; // where runs train, polled while the view is open (train/cluster.js)
let datasets = [];

let guard = null; // asks before the page closes on a running run (train/leave.js)
let queuePoll = null;

export async function mount(el, rest) {
  const me = (root = h("div", { class: "train" }));
  el.append(root);
  const [zoo, ds, schema] = await Promise.all([api.zooList().catch(() => []), api.listDatasets(), api.trainSchema()]);
  if (root !== me) return;
  datasets = ds;
  build(zoo, schema);
  const linked = applySetupHash(ui.form, rest); // a shared link's setup wins
  const design = loadDesign();
  if (design && !linked.includes("network")) {
    api.shapes(design).then((r) => root === me && ui.preferDesign(r), () => root === me && ui.preferDesign(null));
  }
  ui.writeHash();
  await refreshAll();
}

export function onHash(rest) {
  if (ui) applySetupHash(ui.form, rest);
}

/** The runs list, and the note on runs still going from before this page opened. */
async function refreshAll() {
  const list = await api.listRuns().catch(() => []);
  if (!ui) return;
  stillRunningNote(ui.note, list, {
    onStop: async (id) => {
      await api.cancelRun(id).catch((e) => setError(e.message));
      refreshAll();
    },
    onView: (r) => follow(r.id, r.network, r.status),
  });
  await refreshRuns();
}

export function unmount() {
  guard?.destroy();
  guard = null;
  clearInterval(queuePoll);
  ui?.picker?.destroy();
  live?.follow?.close();
  live?.charts.forEach((c) => c.destroy());
  live?.flow.destroy();
  live?.inside.destroy();
  live?.masks.destroy();
  runs?.destroy();
  capacity?.destroy();
  live = null;
  runs = null;
  capacity = null;
  root = null;
  ui = null;
}

function build(zoo, schema) {
  const { form, picker, showIters, preferDesign } = setupForm(zoo, datasets, schema, {
    start,
    stop,
    datasets: (list) => {
      datasets = list;
    },
  });

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
    h("div", { class: "progress", role: "progressbar", "aria-label": "Training progress", "aria-valuemin": 0, "aria-valuemax": 100 }, h("div", { class: "bar" })),
    h("p", { class: "muted progress-text" }, "Start a run to see its curves here."),
    h("label", { class: "smooth" }, [h("span", {}, "Smoothing"), smooth, h("output", {}, "0.60")]),
    h("div", { class: "live-body" }, [
      h("div", { class: "charts" }, [
        h("div", { class: "chart", "data-chart": "iter-loss" }),
        h("div", { class: "chart", "data-chart": "iter-acc" }),
        h("div", { class: "chart", "data-chart": "epoch-loss" }),
        h("div", { class: "chart", "data-chart": "epoch-acc" }),
      ]),
      h("div", { class: "train-inside", "data-testid": "inside-card", hidden: true }), // issue 19
    ]),
    h("div", { class: "train-gradflow", "data-testid": "gradflow-card", hidden: true }),
    h("div", { class: "train-masks", "data-testid": "mask-card", hidden: true }), // issue 16
    h("p", { class: "run-message", hidden: true }),
    h("div", { class: "run-results" }),
  ]);
  const runsPanel = h("section", { class: "panel train-runs" }, [
    h("div", { class: "runs-head" }, [
      h("div", { class: "live-head" }, [h("h2", {}, "Runs"), h("span", { class: "muted" }, "tick two or more to compare")]),
      h("section", { class: "cluster-card", "data-testid": "cluster-card", "aria-label": "Where runs train" }), // issue 15
    ]),
    h("div", { class: "runs-table-wrap" }),
    h("div", { class: "compare" }),
  ]);
  guard = leaveGuard(() => (live && !isStopped(live.status) ? [live.id] : []));
  livePanel.querySelector(".live-head").after(guard.control);
  const note = h("div", { class: "still-running", "data-testid": "still-running", role: "status", hidden: true });
  guard.control.after(note); // at the top, where a returning user looks first
  capacity = clusterCard(runsPanel.querySelector(".cluster-card"));
  runs = runsTable(runsPanel, { alive: () => root !== null, datasets: () => datasets, follow, resume });
  const transferPanel = transferSection({ follow, refreshRuns, compareRuns: (ids) => runs?.compare(ids) }); // issue 7
  root.append(h("aside", { class: "panel train-setup" }, form), livePanel, transferPanel, runsPanel);
  ui = { form, livePanel, runsPanel, smooth, picker, preferDesign, note, error: form.querySelector(".error") };
  ui.writeHash = syncSetupHash(form);
  showIters();
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
    const run = await api.startRun(spec, readConfig(ui.form));
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

function follow(id, name, status = "queued") {
  live?.follow?.close();
  live?.charts.forEach((c) => c.destroy());
  live?.flow.destroy();
  live?.inside.destroy();
  live?.masks.destroy();
  const q = (s) => ui.livePanel.querySelector(s);
  const chart = (key, opts) => lineChart(q(`[data-chart="${key}"]`), opts);
  const charts = [
    chart("iter-loss", { title: "Training loss per iteration", xLabel: "iteration", yLabel: "loss", series: [{ label: "raw", color: "#b6c8e0", width: 1 }, { label: "smoothed", color: COLORS[0] }] }),
    chart("iter-acc", { title: "Batch accuracy per iteration", xLabel: "iteration", yLabel: "accuracy", range: [0, 1], series: [{ label: "raw", color: "#f3c7b3", width: 1 }, { label: "smoothed", color: COLORS[1] }] }),
    chart("epoch-loss", { title: "Loss per epoch", xLabel: "epoch", yLabel: "loss", integerX: true, series: [{ label: "train", color: COLORS[0], points: true }, { label: "held-out", color: COLORS[1], points: true }] }),
    chart("epoch-acc", { title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy", range: [0, 1], integerX: true, series: [{ label: "train", color: COLORS[0], points: true }, { label: "held-out", color: COLORS[1], points: true }] }),
  ];
  const flow = flowCard(q(".train-gradflow"));
  const inside = insideCard(q(".train-inside"));
  const masks = maskCard(q(".train-masks"));
  live = { id, name, data: emptyData(), charts, flow, inside, masks, follow: null, status: "queued", seq: 0 };
  // nothing of the previous run stays: a queued run shows its place in the queue
  q(".progress .bar").style.width = "0%";
  q(".progress").setAttribute("aria-valuenow", "0");
  q(".progress-text").textContent = status === "queued" ? "queued" : "waiting for the first events…";
  q(".speed").textContent = "";
  listen(live, status);
  watchQueue(live);
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
      mine.inside.event(e);
      mine.masks.event(e);
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

/** While the followed run is queued, its place in the queue, every 2 s. */
function watchQueue(mine) {
  clearInterval(queuePoll);
  const check = async () => {
    if (live !== mine || mine.status !== "queued") return clearInterval(queuePoll);
    const info = await api.getRun(mine.id).catch(() => null);
    if (live !== mine || mine.status !== "queued" || !info) return;
    if (info.status !== "queued") return;
    ui.livePanel.querySelector(".progress-text").textContent = queueText(info);
  };
  check();
  queuePoll = setInterval(check, 2000);
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

function setStatus(status, resumable = status === "paused") {
  if (live && live.status !== status) capacity?.refresh(); // a slot taken or freed
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

function refreshRuns() {
  capacity?.refresh();
  return runs?.refresh();
}
