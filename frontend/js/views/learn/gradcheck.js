// Gradient checking: backprop's gradient vs a centred finite difference, one bar per layer
// on a log scale with the "fine" (< 1e-7) and "bug" (>= 1e-3) bands. Numbers come from
// POST /api/learning/gradcheck; a "break a layer" toggle inserts a layer with a wrong backward.
import * as api from "../../api.js";
import { loadDesign } from "../../lib/design_store.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";
import { logPercent } from "../../lib/format.js";

const SMALL_ZOO = ["tiny_inception", "tiny_densenet", "tiny_resnet", "lenet5_mnist", "mnist_cnn"];
const LOG_MIN = -12; // bar axis: 1e-12 .. 1e0
const LOG_MAX = 0;


const pct = (rel) => logPercent(rel, LOG_MIN, LOG_MAX);

export function gradcheckPanel(root) {
  let seq = 0;
  const source = h("select", { name: "gc-net", "aria-label": "network" }, [
    h("option", { value: "tiny" }, "Tiny mixed net (conv, BN, residual, parallel, GRU, LSTM)"),
    loadDesign() ? h("option", { value: "design" }, "Your design") : null,
    ...SMALL_ZOO.map((n) => h("option", { value: `zoo:${n}` }, `Zoo: ${n}`)),
  ]);
  const broken = h("input", { type: "checkbox", name: "gc-broken" });
  const run = h("button", { class: "primary", "data-testid": "run-gradcheck", onclick: () => refresh() }, "Check gradients");
  const summary = h("p", { class: "gc-summary", "data-testid": "gc-summary" });
  const bars = h("div", { class: "gc-bars", "data-testid": "gc-bars" });
  const foot = h("p", { class: "muted gc-foot" });
  const error = errorLine();
  root.append(
    ...intro("Gradient checking", [
      "For a sample of each layer's weights, compare backprop's gradient g with the two-sided difference ",
      "(J(θ+ε) − J(θ−ε)) / 2ε, in float64. The relative difference ‖g",
      h("sub", {}, "num"), " − g‖ / (‖g", h("sub", {}, "num"), "‖ + ‖g‖) should be tiny.",
    ]),
    h("div", { class: "gc-controls" }, [
      h("label", { class: "opt-field" }, [h("span", {}, "Network"), source]),
      h("label", { class: "check" }, [broken, h("span", {}, "Break a layer (insert one with a wrong backward)")]),
      run,
    ]),
    summary,
    h("div", { class: "gc-row gc-head", "aria-hidden": "true" }, [
      h("span", {}, "layer"),
      h("span", { class: "gc-track gc-scale" }, [
        h("span", { class: "gc-band fine", style: `width:${pct(1e-7)}%` }, "fine"),
        h("span", { class: "gc-band closer", style: `width:${pct(1e-3) - pct(1e-7)}%` }, "look closer"),
        h("span", { class: "gc-band bug" }, "bug"),
      ]),
      h("span", {}, "rel. diff"),
      h("span", {}, "verdict"),
    ]),
    bars,
    h("div", { class: "gc-row gc-axis", "aria-hidden": "true" }, [
      h("span"),
      h("span", { class: "gc-ticks" },
        [-12, -9, -7, -5, -3, 0].map((e) => h("span", { style: `left:${pct(10 ** e)}%` }, `1e${e}`))),
    ]),
    foot,
    error,
  );

  async function specFor(value) {
    if (value === "tiny") return null;
    if (value === "design") return loadDesign();
    return api.zooSpec(value.slice(4));
  }

  async function refresh() {
    const my = ++seq;
    run.disabled = true;
    hideError(error);
    summary.textContent = "Checking…";
    try {
      const spec = await specFor(source.value);
      const body = { samples_per_layer: 10, eps: 1e-6, seed: 0, broken: broken.checked };
      if (spec) body.spec = spec;
      const data = await api.learningGradcheck(body);
      if (my !== seq) return;
      draw(data);
    } catch (e) {
      if (my !== seq) return;
      summary.textContent = "";
      showError(error, e.message);
    } finally {
      if (my === seq) run.disabled = false;
    }
  }

  function draw(data) {
    const bad = data.layers.filter((l) => l.verdict === "bug");
    summary.textContent = bad.length
      ? `${bad.length} of ${data.layers.length} layers disagree with the finite difference: ${bad.map((l) => l.path).join(", ")}.`
      : `All ${data.layers.length} layers agree with the finite difference.`;
    summary.className = `gc-summary ${bad.length ? "bad" : "good"}`;
    bars.replaceChildren(
      ...data.layers.map((l) =>
        h("div", { class: `gc-row ${l.verdict.replace(" ", "-")}`, "data-path": l.path, "data-verdict": l.verdict }, [
          h("span", { class: "gc-name", title: `${l.kind}, ${l.params} parameters, ${l.sampled} sampled` }, [
            h("code", {}, l.path), h("small", {}, l.inserted ? " inserted" : ` ${l.kind}`),
          ]),
          h("span", { class: "gc-track" }, [h("span", { class: "gc-bar", style: `width:${pct(l.rel_diff)}%` })]),
          h("span", { class: "gc-value" }, l.rel_diff.toExponential(1)),
          h("span", { class: "gc-verdict" }, l.verdict),
        ]),
      ),
    );
    foot.textContent = `Loss: ${data.loss}; ε = ${data.eps.toExponential(0)}. Run in ${data.mode}.`;
  }

  refresh();
  return { destroy() { seq++; } };
}
