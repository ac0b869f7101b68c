// LSTM / GRU gates: one MNIST digit read row by row (28 steps of 28 pixels) by a shipped
// recurrent net. Heatmaps (rows: steps, columns: hidden units) of every gate, the cell state
// and the hidden state; hovering a step highlights the image row read at that step.
// Numbers come from POST /api/learning/gates (the layer unrolled with its own weights).
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";
import { drawPad } from "../../widgets/draw.js";

const ROW_PX = 8; // screen pixels per step (and per image row)
const UNIT_PX = 2; // screen pixels per hidden unit

const ABOUT = {
  input: ["i", "input gate", "how much of the candidate enters the cell", "sigmoid"],
  forget: ["f", "forget gate", "how much of the old cell state is kept", "sigmoid"],
  cell: ["g", "cell candidate", "new content proposed for the cell", "tanh"],
  output: ["o", "output gate", "how much of the cell shows in h", "sigmoid"],
  reset: ["r", "reset gate", "how much of h is used for the candidate", "sigmoid"],
  update: ["z", "update gate", "1: keep the old h, 0: take the candidate", "sigmoid"],
  new: ["n", "new (candidate)", "the proposed hidden state", "tanh"],
  c: ["c", "cell state", "the LSTM's memory, c = f·c + i·g", "signed"],
  h: ["h", "hidden state", "what the next step and the classifier see", "tanh"],
};

// [0, 1] -> white to blue; [-1, 1] -> red, white, blue.
function colour(v, signed) {
  if (!signed) {
    const t = Math.max(0, Math.min(1, v));
    return [255 - 244 * t, 255 - 156 * t, 255 - 49 * t];
  }
  const t = Math.max(-1, Math.min(1, v));
  return t >= 0 ? [255 - 244 * t, 255 - 156 * t, 255 - 49 * t] : [255 + 41 * t, 255 + 190 * t, 255 + 190 * t];
}

function heatCanvas(rows, signed, scale) {
  const T = rows.length;
  const H = rows[0].length;
  const canvas = h("canvas", { width: H, height: T, class: "gt-canvas" });
  canvas.style.width = `${H * UNIT_PX}px`;
  canvas.style.height = `${T * ROW_PX}px`;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(H, T);
  rows.forEach((row, t) =>
    row.forEach((v, j) => img.data.set([...colour(v / scale, signed), 255], (t * H + j) * 4)),
  );
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function imageCanvas(image) {
  const side = image.length;
  const width = image[0].length;
  const canvas = h("canvas", { width, height: side, class: "gt-canvas", "data-testid": "gates-image" });
  canvas.style.width = `${width * ROW_PX}px`;
  canvas.style.height = `${side * ROW_PX}px`;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(width, side);
  image.forEach((row, t) =>
    row.forEach((v, j) => {
      const g = Math.round(255 * (1 - v)); // ink dark on white
      img.data.set([g, g, g, 255], (t * width + j) * 4);
    }),
  );
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function gatesPanel(root) {
  const state = { seq: 0, weights: null, digit: 7, drawn: null, step: null, data: null };
  const netSelect = h("select", { name: "gates-net", "aria-label": "network", onchange: () => refresh() });
  const digits = h("div", { class: "gt-digits", role: "group", "aria-label": "digit" });
  const formula = h("p", { class: "gt-formula", "data-testid": "gates-formula" });
  const stepInfo = h("p", { class: "gt-step", "data-testid": "gates-step" }, "Hover a row of any map to follow one step.");
  const maps = h("div", { class: "gt-maps", "data-testid": "gates-maps" });
  const pred = h("p", { class: "gt-pred", "data-testid": "gates-prediction" });
  // Or draw a digit: the pad centres it in 28x28 as MNIST did; its pixels go to the server.
  const pad = drawPad(168, (done) => {
    if (done && !pad.isEmpty()) useDrawing();
  });
  const padBox = h("div", { class: "gt-pad", hidden: true }, [
    pad.canvas,
    h("div", {}, [
      h("p", { class: "md-legend" }, "Draw a digit; it is read row by row when you lift the pen."),
      h("button", { type: "button", onclick: () => pad.clear() }, "Clear"),
    ]),
  ]);
  const error = errorLine();
  root.append(
    ...intro("LSTM and GRU: gates, step by step", [
      "A recurrent net reads a digit one row at a time: 28 steps, each a row of 28 pixels. At every step ",
      "its gates (sigmoids between 0 and 1) decide what to forget, what to write and what to show. ",
      "Each map below has one row per step and one column per hidden unit; the last hidden state is classified.",
    ]),
    h("div", { class: "gt-controls" }, [h("label", {}, [h("span", {}, "Network"), netSelect]), digits]),
    padBox,
    formula,
    pred,
    stepInfo,
    maps,
    error,
  );

  function setStep(t) {
    if (t === state.step) return;
    state.step = t;
    root.dataset.step = t === null ? "" : String(t);
    root.querySelectorAll(".gt-mark").forEach((m) => {
      m.hidden = t === null;
      if (t !== null) m.style.top = `${t * ROW_PX}px`;
    });
    const d = state.data;
    if (!d || t === null) return;
    const mean = (rows) => rows[t].reduce((a, b) => a + b, 0) / rows[t].length;
    const parts = d.gate_names.map((n) => `${ABOUT[n][0]} ${mean(d.gates[n]).toFixed(2)}`);
    const ink = d.image[t].reduce((a, b) => a + b, 0);
    stepInfo.textContent =
      `Step ${t + 1} of ${d.steps}: image row ${t + 1} (${ink < 0.5 ? "blank" : `ink ${ink.toFixed(1)}`}). ` +
      `Mean over units: ${parts.join(", ")}.`;
  }

  function hoverable(el) {
    el.addEventListener("mousemove", (e) => {
      const r = el.getBoundingClientRect();
      const t = Math.floor((e.clientY - r.top) / ROW_PX);
      if (state.data) setStep(Math.max(0, Math.min(state.data.steps - 1, t)));
    });
    return el; // the last step hovered stays marked
  }

  function framed(canvas, label) {
    const mark = h("div", { class: "gt-mark", hidden: true });
    mark.style.height = `${ROW_PX}px`;
    const fig = h("figure", { class: "gt-map", "data-map": label }, [
      hoverable(h("div", { class: "gt-frame" }, [canvas, mark])),
    ]);
    fig.style.width = `calc(${canvas.style.width} + 2px)`; // the caption wraps to the map's width
    return fig;
  }

  function draw(d) {
    state.data = d;
    formula.textContent =
      `${d.kind.toUpperCase()} at ${d.path}: x_t has ${d.features} values, h has ${d.hidden} units. ` +
      `Parameters: ${d.formula}.` + (d.notes.length ? ` (${d.notes.join("; ")})` : "");
    const probs = d.probs || [];
    const top = probs.length ? probs[d.prediction] : null;
    const image = framed(imageCanvas(d.image), "image");
    image.prepend(
      h("figcaption", {}, [h("strong", {}, "x: the image"), h("span", {}, ` row t is read at step t (${d.features} values)`)]),
    );
    pred.replaceChildren(
      "Prediction ",
      h("strong", {}, d.labels[d.prediction] ?? String(d.prediction)),
      top !== null ? ` (${(top * 100).toFixed(1)}%)` : "",
      d.label !== null ? `, label ${d.label}` : "",
      ` · from h at the last step (step ${d.steps}) through the linear layer.`,
    );
    const names = [...d.gate_names, ...(d.c ? ["c"] : []), "h"];
    // The cell state is unbounded; a few units grow large, so colour by the 98th percentile.
    const sorted = d.c ? d.c.flat().map(Math.abs).sort((a, b) => a - b) : [];
    const cmax = d.c ? Math.max(1e-6, sorted[Math.floor(0.98 * (sorted.length - 1))]) : 1;
    maps.replaceChildren(
      image,
      ...names.map((n) => {
        const rows = n === "c" ? d.c : n === "h" ? d.h : d.gates[n];
        const [sym, title, what, range] = ABOUT[n];
        const signed = range !== "sigmoid";
        const fig = framed(heatCanvas(rows, signed, n === "c" ? cmax : 1), n);
        fig.prepend(
          h("figcaption", {}, [
            h("strong", {}, `${sym}: ${title}`),
            h("span", {}, ` ${what}; ${range === "signed" ? `±${cmax.toFixed(2)} (98% of values)` : range === "tanh" ? "−1…1" : "0…1"}`),
          ]),
        );
        return fig;
      }),
    );
    root.dataset.kind = d.kind;
    root.dataset.maps = String(names.length);
    const old = state.step;
    state.step = null;
    if (old !== null) setStep(old);
  }

  async function useDrawing() {
    const bitmap = await createImageBitmap(await pad.toBlob());
    const c = h("canvas", { width: 28, height: 28 });
    const ctx = c.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, 28, 28).data; // white ink on black
    state.drawn = Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => px[(y * 28 + x) * 4] / 255));
    refresh();
  }

  async function refresh() {
    const my = ++state.seq;
    state.weights = netSelect.value;
    const drawing = state.digit === "draw";
    padBox.hidden = !drawing;
    digits.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.digit === String(state.digit))));
    const index = state.indices?.[state.digit];
    const image = drawing ? (state.drawn ? { pixels: state.drawn } : null) : index === undefined ? null : { mnist_index: index };
    if (!state.weights || !image) return;
    root.setAttribute("aria-busy", "true");
    try {
      const d = await api.learningGates({ weights: state.weights, ...image });
      if (my !== state.seq) return;
      hideError(error);
      draw(d);
      root.dataset.weights = state.weights;
      root.dataset.digit = String(state.digit);
    } catch (e) {
      if (my !== state.seq) return;
      showError(error, e.message);
    } finally {
      if (my === state.seq) root.removeAttribute("aria-busy");
    }
  }

  (async () => {
    try {
      const p = await api.gatePresets();
      state.indices = Object.fromEntries(p.digits.map((x) => [x.digit, x.index]));
      // MNIST digits are 1x28x28: networks trained on another input size are left out.
      const nets = p.networks.filter((n) => n.input.join("x") === "1x28x28");
      netSelect.replaceChildren(
        ...nets.map((n) =>
          h("option", { value: n.weights }, `${n.layer.toUpperCase()} · ${n.title}${n.accuracy ? ` · ${(n.accuracy * 100).toFixed(1)}% held out` : ""}`),
        ),
      );
      digits.replaceChildren(
        h("span", {}, "Digit"),
        ...p.digits.map((x) =>
          h("button", {
            type: "button", "data-digit": String(x.digit), "aria-pressed": "false",
            onclick: () => { state.digit = x.digit; refresh(); },
          }, String(x.digit)),
        ),
        h("button", {
          type: "button", "data-digit": "draw", "aria-pressed": "false",
          onclick: () => { state.digit = "draw"; refresh(); },
        }, "✎ draw"),
      );
      if (!nets.length) throw new Error("No network with an LSTM or GRU layer is available.");
      refresh();
    } catch (e) {
      showError(error, e.message);
    }
  })();

  return { destroy() { state.seq++; } };
}
