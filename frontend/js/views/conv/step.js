// One step of the convolution animation: the window's input cells, its products, the sum
// and the output cells filled so far. Only classes and texts change (no re-layout).
import { h } from "../../dom.js";
import { cellAt, convStep, fmt, isPadding, poolStep, stepCount, windowCells } from "../../lib/conv_geometry.js";

/** Show step `step` (clamped to the window's cells) on a built stage; returns the step shown. */
export function renderStep(root, d, view, step) {
  const win = d.window;
  const { rows, cols, o, f } = view;
  const total = stepCount(rows, cols);
  step = Math.max(0, Math.min(step, total - 1));
  const { i, j } = cellAt(step, cols);
  const geom = { f, s: d.stride, d: d.dilation };
  for (const el of view.prev) el.classList.remove("win", "chosen", "next");
  view.prev = [];
  // The next window, one stride on: outlined when s is highlighted (conv/highlight.js).
  if (step + 1 < total) {
    const next = cellAt(step + 1, cols);
    for (const t of windowCells(next.i, next.j, geom)) {
      for (const g of view.inputs) {
        g.cells[t.r][t.c].classList.add("next");
        view.prev.push(g.cells[t.r][t.c]);
      }
    }
  }
  const ch0 = d.op === "conv" ? null : 0;
  let text;
  if (d.op === "conv") {
    const res = convStep(win.padded, d.weight[o], i, j, geom);
    res.channels.forEach((chan, ch) => {
      for (const t of chan.terms) {
        const el = view.inputs[ch].cells[t.r][t.c];
        el.classList.add("win");
        view.prev.push(el);
        view.products[ch].cells[t.a][t.b].textContent = fmt(t.y);
      }
    });
    const b = d.bias ? d.bias[o] : 0;
    const parts = res.channels.map((chan, ch) => (view.C > 1 ? `${view.names[ch]} ${fmt(chan.sum)}` : fmt(chan.sum)));
    const sumText = view.C > 1 ? `${parts.join(" + ")} = ${fmt(res.total)}` : `sum of products = ${fmt(res.total)}`;
    text = [sumText, `+ bias ${fmt(b)}`, `= ${fmt(win.output[o][i][j])}`];
  } else {
    win.padded.forEach((plane, ch) => {
      const chosen = win.indices ? win.indices[ch][i][j] : null;
      for (const t of poolStep(plane, i, j, geom, chosen)) {
        const el = view.inputs[ch].cells[t.r][t.c];
        el.classList.add("win");
        if (t.chosen) el.classList.add("chosen");
        view.prev.push(el);
        const pcell = view.products[ch].cells[t.a][t.b];
        const pad = isPadding(t.r, t.c, { inRow: win.in_row, inCol: win.in_col, p: d.padding, n: d.input_shape.slice(1) });
        pcell.textContent = pad ? (d.op === "maxpool" ? "−∞" : "0") : fmt(t.x);
        pcell.classList.toggle("chosen", t.chosen);
      }
    });
    const v = win.output[ch0 ?? 0][i][j];
    text = d.op === "maxpool"
      ? [`max of the ${f * f} window values`, `= ${fmt(v)}`]
      : [`mean of the ${f * f} window values (padding counts as 0)`, `= ${fmt(v)}`];
  }
  view.calc.replaceChildren(h("span", {}, `Output (${win.out_row + i}, ${win.out_col + j}): `),
    ...text.map((t, k) => h("span", { class: k === text.length - 1 ? "result" : "" }, ` ${t}`)));
  // Output cells: filled up to this step, the current one outlined.
  const plane = win.output[d.op === "conv" ? o : 0];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const el = view.out.cells[r][c];
      const k = r * cols + c;
      const shown = k <= step;
      if (shown) {
        el.textContent = fmt(plane[r][c]);
        el.dataset.value = String(plane[r][c]);
      } else if (el.dataset.value !== undefined) {
        el.textContent = "";
        delete el.dataset.value;
      }
      el.classList.toggle("filled", shown);
      el.classList.toggle("current", k === step);
      el.classList.toggle("next", k === step + 1);
    }
  }
  view.scrub.value = step;
  root.querySelector("[data-step]").textContent = `step ${step + 1} of ${total}`;
  root.querySelector("[data-stage]").dataset.currentStep = String(step);
  return step;
}
