// The transfer race while it trains (issue 18: two minutes of "Training both networks..."
// with nothing moving): each run's progress bar, iteration count and status from its event
// stream, the time since the race began, and both runs' smoothed loss on one chart.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { duration } from "../../lib/pace.js";
import { COLORS, ema, lineChart } from "../../widgets/charts.js";
import { absorb, emptyData } from "./events.js";

/** Into `el`: one row per run of `runs` ([{id, label}]). Returns {destroy()}. */
export function raceProgress(el, runs) {
  const began = performance.now();
  const clock = h("span", { class: "race-clock", "data-testid": "race-clock" }, "0 s");
  const chartEl = h("div", { class: "chart race-chart" });
  const rows = runs.map((r, i) => {
    const bar = h("div", { class: "bar", style: `background:${COLORS[i % COLORS.length]}` });
    const meter = h("div", { class: "progress", role: "progressbar", "aria-label": `${r.label}: progress`, "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0 }, bar);
    const text = h("span", { class: "race-text", "data-testid": "race-text" }, "queued");
    return { ...r, data: emptyData(), bar, meter, text, status: "queued", follow: null };
  });
  el.replaceChildren(
    h("p", { class: "race-head" }, "Training both networks · ", clock, " so far"),
    ...rows.map((r) => h("div", { class: "race-row", "data-testid": "race-row" }, h("strong", {}, r.label), r.meter, r.text)),
    chartEl,
  );
  const chart = lineChart(chartEl, {
    title: "Training loss (smoothed), both runs",
    xLabel: "iteration",
    yLabel: "loss",
    series: rows.map((r, i) => ({ label: r.label, color: COLORS[i % COLORS.length] })),
  });
  let pending = false;
  const draw = () => {
    pending = false;
    for (const r of rows) {
      const total = r.data.start?.total_iters ?? 0;
      const done = r.data.iter.at(-1) ?? 0;
      const pct = total ? (100 * done) / total : 0;
      r.bar.style.width = `${pct}%`;
      r.meter.setAttribute("aria-valuenow", pct.toFixed(0));
      r.text.textContent = r.status === "running" && total
        ? `iteration ${done.toLocaleString()} of ${total.toLocaleString()}`
        : r.status;
    }
    const n = Math.max(0, ...rows.map((r) => r.data.iter.length));
    const x = Array.from({ length: n }, (_, i) => i + 1);
    chart.set([x, ...rows.map((r) => Array.from({ length: n }, (_, i) => ema(r.data.loss, 0.9)[i] ?? null))]);
  };
  const later = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  };
  for (const r of rows) {
    r.follow = api.followRun(r.id, {
      onEvent: (e) => {
        absorb(r.data, e);
        if (e.kind !== "end") r.status = "running";
        later();
      },
      onEnd: (status) => {
        r.status = status;
        later();
      },
    });
  }
  const tick = setInterval(() => {
    clock.textContent = duration((performance.now() - began) / 1000);
  }, 1000);
  return {
    destroy() {
      clearInterval(tick);
      rows.forEach((r) => r.follow?.close());
      chart.destroy();
    },
  };
}
