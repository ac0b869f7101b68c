// Train vs eval mode: the same seeded batch through linear -> batchnorm1d -> relu -> dropout.
// Two heatmaps (rows: examples, columns: units) with dropped units hatched, and a table of the
// statistics batch norm used in each mode. Numbers come from POST /api/learning/modes.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, rangeWithOutput, showError } from "../../widgets/panel.js";
import { decimals3 as fmt } from "../../lib/format.js";

const BATCH = 12;

function heat(values, kept, max) {
  const cols = values[0]?.length || 1;
  return h(
    "div",
    { class: "md-heat", style: `grid-template-columns: repeat(${cols}, minmax(0, 1fr))` },
    values.flatMap((row, i) =>
      row.map((v, j) => {
        const a = max > 0 ? Math.min(1, v / max) : 0; // relu output: v >= 0
        const dropped = kept && !kept[i][j];
        return h("span", {
          class: dropped ? "dropped" : null,
          title: dropped ? `example ${i + 1}, unit ${j + 1}: dropped` : `example ${i + 1}, unit ${j + 1}: ${v.toFixed(3)}`,
          style: `background: rgba(11, 99, 206, ${(0.06 + 0.94 * a).toFixed(3)})`,
        });
      }),
    ),
  );
}

export function modesPanel(root) {
  const state = { p: 0.5, seq: 0 };
  const { input: slider, output: pOut } = rangeWithOutput(
    { name: "p", min: "0", max: "0.9", step: "0.05", value: "0.5", "aria-label": "dropout p" },
    2,
    (p) => {
      state.p = p;
      refresh();
    },
  );
  const bn = h("input", { type: "checkbox", name: "md-batchnorm", checked: true, onchange: () => refresh() });
  const sides = h("div", { class: "md-sides", "data-testid": "modes-sides" });
  const stats = h("div", { class: "md-stats-wrap" });
  const error = errorLine();
  root.append(
    ...intro("Train mode vs eval mode", [
      `The same batch of ${BATCH} examples through linear → batch norm → ReLU → dropout. In training, dropout `,
      "zeroes each unit with probability p and scales the survivors by 1/(1 − p), and batch norm uses this ",
      "batch's mean and variance. In evaluation, dropout does nothing and batch norm uses its running averages.",
    ]),
    h("div", { class: "md-controls" }, [
      h("label", { class: "slider" }, [h("span", {}, "dropout p"), slider, pOut]),
      h("label", { class: "check" }, [bn, h("span", {}, "Batch norm")]),
    ]),
    sides,
    h("p", { class: "md-legend" }, "Rows are examples, columns are units; darker blue is a larger activation, hatched cells were dropped."),
    stats,
    error,
  );

  async function refresh() {
    const my = ++state.seq;
    try {
      const data = await api.learningModes({ p: state.p, seed: 0, batch: BATCH, batchnorm: bn.checked });
      if (my !== state.seq) return;
      hideError(error);
      draw(data);
    } catch (e) {
      if (my !== state.seq) return;
      showError(error, e.message);
    }
  }

  function draw(d) {
    const all = [...d.train.output.flat(), ...d.eval.output.flat()];
    const max = Math.max(...all, 1e-9);
    const dropped = d.kept.flat().filter((k) => !k).length;
    const total = d.kept.flat().length;
    sides.replaceChildren(
      h("div", { class: "md-side", "data-mode": "train" }, [
        h("h3", {}, "model.train()"),
        h("p", {}, `${dropped} of ${total} activations dropped (hatched); the rest are multiplied by ${d.scale.toFixed(2)}.`),
        heat(d.train.output, d.kept, max),
      ]),
      h("div", { class: "md-side", "data-mode": "eval" }, [
        h("h3", {}, "model.eval()"),
        h("p", {}, "Nothing dropped, nothing rescaled: the expected value matches training."),
        heat(d.eval.output, null, max),
      ]),
    );
    if (!d.train.mean) {
      stats.replaceChildren(
        h("p", { class: "md-legend" }, "Without batch norm and with p = 0 the two modes give the same output."),
      );
      return;
    }
    stats.replaceChildren(
      h("table", { class: "md-stats", "data-testid": "modes-stats" }, [
        h("thead", {}, h("tr", {}, [
          h("th", {}, "unit"),
          h("th", {}, "batch mean (train)"), h("th", {}, "batch var (train)"),
          h("th", {}, "running mean (eval)"), h("th", {}, "running var (eval)"),
        ])),
        h("tbody", {}, d.train.mean.map((m, j) => h("tr", {}, [
          h("td", {}, String(j + 1)),
          h("td", {}, fmt(m)), h("td", {}, fmt(d.train.var[j])),
          h("td", {}, fmt(d.eval.mean[j])), h("td", {}, fmt(d.eval.var[j])),
        ]))),
      ]),
      h("p", { class: "md-legend" }, `Running statistics after ${d.warmup_batches} warm-up batches (momentum 0.1).`),
    );
  }

  refresh();
  return { destroy() { state.seq++; } };
}
