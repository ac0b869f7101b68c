// The Train view's runs list (tick runs to compare them: their settings side by side and
// their curves overlaid) over GET /api/runs. `on`: alive() while the view is mounted,
// datasets() (upload titles), follow(id, name, status) and resume(id, name).
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { ranOnText, ranOnTitle } from "../../lib/cluster.js";
import { isStopped, queueText, runTimes, scoreText, scoreTitle } from "../../lib/runs.js";
import { COLORS, ema, lineChart } from "../../widgets/charts.js";
import { absorb, emptyData } from "./events.js";

const SETTINGS = [
  ["dataset", "Dataset"], ["batch_size", "Batch"], ["epochs", "Epochs"], ["lr", "LR"],
  ["optimizer", "Optimizer"], ["loss", "Loss"], ["init", "Init"], ["l1", "L1"], ["l2", "L2"],
  ["l2_mode", "L2 as"], ["normalize", "Inputs"], ["seed", "Seed"],
  ["per_class", "Per class"], ["init_from", "Init from"], // issue 7: transfer runs
  ["val_split", "Val split"],
];

/** The list in `panel` (its .runs-table-wrap and .compare); returns refresh(), compare(ids)
 * (tick exactly these and overlay them) and destroy() (close streams, drop charts). */
export function runsTable(panel, on) {
  const compare = { charts: [], cache: new Map(), follows: [] };

  /** Started (local time, created_at) and how long it took or has run so far. */
  function timeCells(r) {
    const t = runTimes(r);
    return [
      h("td", { class: "num", "data-testid": "run-started", title: r.created_at ?? "" }, t.started),
      h("td", { class: "num", "data-testid": "run-took" }, t.took),
    ];
  }

  /** The status badge, and under it where the run trained (issue 15). */
  function statusCell(r) {
    const where = ranOnText(r.ran_on);
    return h("td", {}, [
      h("span", { class: "badge", "data-status": r.status }, r.status === "queued" ? queueText(r) : r.status),
      where ? h("small", { class: "ran-on muted", "data-testid": "ran-on", title: ranOnTitle(r.ran_on) }, where) : null,
    ]);
  }

  async function refreshRuns() {
    if (!on.alive()) return;
    const runs = await api.listRuns();
    const wrap = panel.querySelector(".runs-table-wrap");
    const ticked = new Set([...wrap.querySelectorAll("input:checked")].map((i) => i.value));
    if (!runs.length) {
      wrap.replaceChildren(h("p", { class: "muted" }, "No runs yet."));
      return;
    }
    const rows = runs.map((r) =>
      h("tr", { "data-run": r.id }, [
        h("td", {}, h("input", { type: "checkbox", value: r.id, checked: ticked.has(r.id), "aria-label": `compare ${r.network}`, onchange: () => showCompare(runs) })),
        h("td", {}, r.network),
        h("td", { title: r.config.dataset }, r.config.dataset.startsWith("upload:") ? on.datasets().find((d) => d.name === r.config.dataset)?.title ?? "deleted upload" : r.config.dataset),
        h("td", {}, `${r.config.optimizer} ${r.config.lr}`),
        h("td", {}, `${r.config.batch_size} x ${r.config.epochs}`),
        statusCell(r),
        h("td", { class: "num", "data-testid": "run-score", title: scoreTitle(r) }, scoreText(r)),
        ...timeCells(r),
        h("td", { class: "run-actions" }, [
          h("button", { type: "button", class: "link", "aria-label": "view run", onclick: () => on.follow(r.id, r.network, r.status) }, "View"),
          r.resumable ? h("button", { type: "button", class: "link", "aria-label": "resume run", onclick: () => on.resume(r.id, r.network) }, "Resume") : null,
          isStopped(r.status) ? h("button", { type: "button", class: "link", "aria-label": "delete run", onclick: async () => { await api.deleteRun(r.id); refreshRuns(); } }, "Delete") : null,
        ]),
      ]),
    );
    wrap.replaceChildren(
      h("table", { class: "runs-table" }, [
        h("thead", {}, h("tr", {}, ["", "Network", "Data", "Optimizer", "Batch x epochs", "Status", "Score", "Started", "Took", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows),
      ]),
    );
    showCompare(runs);
  }

  // Tick exactly these runs in the list and overlay them (the transfer section's race).
  async function compareRuns(ids) {
    await refreshRuns();
    if (!on.alive()) return;
    panel.querySelectorAll(".runs-table input[type=checkbox]").forEach((i) => {
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
    const box = panel.querySelector(".compare");
    const ids = [...panel.querySelectorAll(".runs-table input:checked")].map((i) => i.value);
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
        h("tr", {}, [h("th", { scope: "row" }, "Score"), ...chosen.map((r) => h("td", { class: "num", title: scoreTitle(r) }, scoreText(r) || r.status))]),
        h("tr", {}, [h("th", { scope: "row" }, "Trained on"), ...chosen.map((r) => h("td", { title: ranOnTitle(r.ran_on) }, ranOnText(r.ran_on) || "–"))]),
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

  function destroy() {
    compare.follows.forEach((f) => f.close());
    compare.charts.forEach((c) => c.destroy());
    compare.follows = [];
    compare.charts = [];
    compare.cache = new Map();
  }

  return { refresh: refreshRuns, compare: compareRuns, destroy };
}
