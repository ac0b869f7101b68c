// Gradient flow in the Train view (issue 8). The run form's "Record gradient flow" box sets
// probe_every in the run's config; the training loop then emits a "gradflow" event on
// iterations 1, N+1, 2N+1, ... (server/net/lab/gradflow.py). The Live panel's card draws them as
// they arrive (or all at once when a finished run is opened with View): ‖dL/dW‖ of every
// conv/linear layer over iterations on a log scale, and the activation histograms of one
// probe, chosen with a slider that keeps to the newest probe until moved back.
import { histStrip, layerNormData, layerSeries, livePlot, logOpts } from "../../widgets/flow_charts.js";
import { sig3 as fmt } from "../../lib/format.js";
import { h } from "../../dom.js";
import { liveCard } from "../../widgets/live_card.js";

// One probe costs about 0.4-2 iterations (a second forward pass and per-layer statistics):
// every 50 iterations keeps the cost under 2% of the run.
export const PROBE_EVERY = 50;

/** The form's checkbox and "every N iterations" number (disabled while the box is off). */
export function probeField() {
  const every = h("input", { type: "number", name: "probe_every", value: PROBE_EVERY, min: 1, max: 1_000_000, step: 1, disabled: true, "aria-label": "probe every N iterations" });
  const box = h("input", {
    type: "checkbox",
    name: "probe",
    "data-testid": "probe",
    onchange: () => {
      every.disabled = !box.checked;
    },
  });
  return h("div", { class: "probe-field" }, [
    h("label", { class: "probe-box" }, [box, h("span", {}, "Record gradient flow")]),
    h("label", { class: "probe-every" }, [h("span", {}, "every"), every, h("span", {}, "iterations")]),
    h("small", { class: "muted" }, "Per-layer gradient norms and activation histograms; each probe costs about one iteration."),
  ]);
}

/** {probe_every: N} when the box is ticked, else nothing; f: the form's FormData. */
export function probeConfig(f) {
  return f.get("probe") ? { probe_every: Number(f.get("probe_every")) || PROBE_EVERY } : {};
}

/** The card in `slot` (hidden until the first gradflow event); feed it every run event. */
export function flowCard(slot) {
  let flows = [];
  let plot = null;
  const card = liveCard(slot, {
    slider: { "aria-label": "probe iteration", "data-testid": "gf-probe" },
    label: "gf-probe-label",
    word: "probe",
    row: "gf-train-slider",
    draw,
    onSlide: () => showProbe(),
  });
  const { slider, label } = card;
  const summary = h("p", { class: "muted gf-train-summary", "data-testid": "gf-train-summary" });
  const chart = h("div", { class: "gf-train-chart", "data-testid": "gf-chart" });
  const strip = h("div", { class: "gf-strip", "data-testid": "gf-strip" });

  function build() {
    card.open(h("h3", {}, "Gradient flow"), summary, chart, h("h4", {}, "Activations after each layer"), card.row, strip);
  }

  function showProbe() {
    const i = Math.min(Number(slider.value), flows.length - 1);
    const f = flows[i];
    label.textContent = `iteration ${f.iter} (probe ${i + 1} of ${flows.length})`;
    strip.replaceChildren(...histStrip(f.layers, { width: 132, height: 48 }));
    strip.dataset.iter = String(f.iter);
  }

  function draw() {
    if (!flows.length) {
      plot?.destroy();
      plot = null;
      slot.replaceChildren();
      slot.hidden = true;
      return;
    }
    if (slot.hidden) build();
    const data = layerNormData(flows);
    if (!plot) plot = livePlot(chart, logOpts(240, "iteration", "‖dL/dW‖", layerSeries(flows[0].layers)), data);
    else plot.plot.setData(data);
    chart.dataset.points = String(flows.length);
    chart.dataset.series = String(data.length - 1);
    const last = flows.at(-1);
    const first = last.layers[0];
    const end = last.layers.at(-1);
    summary.textContent =
      `‖dL/dW‖ of each conv/linear layer, every ${flows.length > 1 ? flows[1].iter - flows[0].iter : "few"} iterations ` +
      `(log scale; first layer blue, last orange). Iteration ${last.iter}: first layer ${fmt(first.grad_norm)}, ` +
      `last ${fmt(end.grad_norm)}` +
      (first.grad_norm > 0 && end.grad_norm > 0 ? ` (first ÷ last = ${fmt(first.grad_norm / end.grad_norm)}).` : ".");
    card.fit(flows.length);
    showProbe();
  }

  return {
    event(e) {
      if (e.kind === "gradflow" && e.layers?.length) {
        flows.push(e);
        card.schedule();
      } else if (e.kind === "resume" && flows.some((f) => f.iter > e.iter)) {
        flows = flows.filter((f) => f.iter <= e.iter); // a killed worker's probes past the checkpoint
        plot?.destroy();
        plot = null;
        card.schedule();
      }
    },
    destroy() {
      plot?.destroy();
      plot = null;
      flows = [];
      card.destroy();
    },
  };
}
