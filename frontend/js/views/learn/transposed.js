// The transposed convolution (issue 16): each input value is spread over the output as
// value x kernel, the windows `stride` apart; where they overlap the values add up. The
// numbers come from POST /api/learning/transposed (torch's conv_transpose2d): the output
// after each input cell, and how many windows cover each output cell.
import * as api from "../../api.js";
import { h, s } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";

const CELL = 30;
const OVERLAP_FILL = ["#ffffff", "#dbeafe", "#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a"];

const fmtValue = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** An SVG grid of numbers; `fill(r, c)` colours a cell, `box` outlines [r0, c0, r1, c1). */
function grid(values, { label, fill = () => "#fff", box = null, testid, ink = () => "#0f172a" }) {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  const svg = s("svg", {
    width: cols * CELL + 2, height: rows * CELL + 2, viewBox: `-1 -1 ${cols * CELL + 2} ${rows * CELL + 2}`,
    role: "img", "aria-label": label, "data-testid": testid, "data-rows": rows, "data-cols": cols,
  });
  values.forEach((row, r) => row.forEach((v, c) => {
    svg.append(
      s("rect", { x: c * CELL, y: r * CELL, width: CELL, height: CELL, fill: fill(r, c), stroke: "#cbd5e1" }),
      s("text", { x: c * CELL + CELL / 2, y: r * CELL + CELL / 2 + 4, "text-anchor": "middle", "font-size": 11, fill: ink(r, c) }, fmtValue(v)),
    );
  }));
  if (box) {
    const [r0, c0, r1, c1] = box;
    svg.append(s("rect", {
      x: c0 * CELL, y: r0 * CELL, width: (c1 - c0) * CELL, height: (r1 - r0) * CELL,
      fill: "none", stroke: "#d9480f", "stroke-width": 3, "data-testid": testid && `${testid}-window`,
    }));
  }
  return svg;
}

const figure = (title, el, note) =>
  h("figure", { class: "tc-figure" }, h("figcaption", {}, title), el, note && h("p", { class: "muted" }, note));

function select(name, label, options, value, onchange) {
  return h("label", {}, h("span", {}, label), h("select", { name, onchange },
    options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text))));
}

export function transposedPanel(root) {
  const state = { n: 3, kernel_size: 3, stride: 2, padding: 0, input: "ramp", kernel: "ones", step: 0, seq: 0, data: null };
  const nums = (xs) => xs.map((x) => [x, String(x)]);
  const set = (key, number = true) => (e) => {
    state[key] = number ? Number(e.target.value) : e.target.value;
    load();
  };
  const controls = h("div", { class: "tc-controls" }, [
    select("tc-n", "input n × n", nums([2, 3, 4, 5, 6]), state.n, set("n")),
    select("tc-kernel", "kernel f", nums([1, 2, 3, 4, 5]), state.kernel_size, set("kernel_size")),
    select("tc-stride", "stride s", nums([1, 2, 3, 4]), state.stride, set("stride")),
    select("tc-padding", "padding p", nums([0, 1, 2]), state.padding, set("padding")),
    select("tc-values", "kernel values", [["ones", "all 1"], ["ramp", "1, 2, 3, ..."], ["random", "random"]], state.kernel, set("kernel", false)),
  ]);
  const slider = h("input", {
    type: "range", name: "tc-step", min: "0", max: "8", value: "0", "aria-label": "input cell",
    oninput: () => { state.step = Number(slider.value); draw(); },
  });
  const stepText = h("output", { "data-testid": "tc-step" });
  const back = h("button", { type: "button", onclick: () => move(-1) }, "◀ Back");
  const next = h("button", { type: "button", "data-testid": "tc-next", onclick: () => move(1) }, "Next ▶");
  const all = h("button", { type: "button", onclick: () => move(Infinity) }, "All cells");
  const formula = h("p", { class: "tc-formula", "data-testid": "tc-formula" });
  const figures = h("div", { class: "tc-figures" });
  const verdict = h("p", { class: "tc-verdict", "data-testid": "tc-verdict" });
  const error = errorLine();
  root.append(
    ...intro("Transposed convolution", [
      "A transposed convolution makes an image larger: each input value is multiplied by the kernel and ",
      h("strong", {}, "added onto the output"), " in a window that moves ", h("em", {}, "s"),
      " output cells per input cell. Where windows overlap their values add up, so when the kernel size is not a multiple of the stride some output cells get more windows than others: the checkerboard pattern of upsampling decoders.",
    ]),
    controls,
    h("div", { class: "tc-steps" }, [back, slider, next, all, stepText]),
    formula,
    figures,
    verdict,
    error,
  );

  function move(by) {
    const last = state.data ? state.data.steps.length - 1 : 0;
    state.step = Math.max(0, Math.min(last, state.step + by));
    slider.value = String(state.step);
    draw();
  }

  function draw() {
    const d = state.data;
    if (!d) return;
    const n = d.input.length;
    const f = d.kernel.length;
    const i = Math.floor(state.step / n);
    const j = state.step % n;
    const out = d.steps[state.step];
    const o = out.length;
    // the window of input (i, j) in the output, clipped to it (padding crops the edges)
    const r0 = i * d.stride - d.padding;
    const c0 = j * d.stride - d.padding;
    const box = [Math.max(0, r0), Math.max(0, c0), Math.min(o, r0 + f), Math.min(o, c0 + f)];
    const inWindow = (r, c) => r >= box[0] && r < box[2] && c >= box[1] && c < box[3];
    const done = (r, c) => r * n + c <= state.step;
    const maxOverlap = Math.max(...d.overlap.flat());
    const minOverlap = Math.min(...d.overlap.flat());
    figures.replaceChildren(
      figure(`input ${n} × ${n}`, grid(d.input, {
        label: "input", testid: "tc-input", box: [i, j, i + 1, j + 1],
        fill: (r, c) => (r === i && c === j ? "#ffedd5" : done(r, c) ? "#f1f5f9" : "#fff"),
      }), `cell (${i}, ${j}) = ${fmtValue(d.input[i][j])}`),
      figure(`kernel ${f} × ${f}`, grid(d.kernel, { label: "kernel", testid: "tc-kernel" })),
      figure(`output ${o} × ${o}, after ${state.step + 1} of ${n * n} cells`, grid(out, {
        label: "output so far", testid: "tc-output", box,
        fill: (r, c) => (inWindow(r, c) ? "#ffedd5" : "#fff"),
      }), `+ ${fmtValue(d.input[i][j])} × kernel here`),
      figure("windows covering each output cell", grid(d.overlap, {
        label: "overlap counts", testid: "tc-overlap",
        fill: (r, c) => OVERLAP_FILL[Math.min(OVERLAP_FILL.length - 1, d.overlap[r][c])],
        ink: (r, c) => (d.overlap[r][c] >= 3 ? "#fff" : "#0f172a"),
      }), minOverlap === maxOverlap ? `${maxOverlap} everywhere` : `from ${minOverlap} to ${maxOverlap} windows`),
    );
    stepText.textContent = `input cell ${state.step + 1} of ${n * n}`;
    back.disabled = state.step === 0;
    next.disabled = all.disabled = state.step === n * n - 1;
  }

  async function load() {
    const seq = ++state.seq;
    const body = { n: state.n, kernel_size: state.kernel_size, stride: state.stride, padding: state.padding, output_padding: 0, input: state.input, kernel: state.kernel, seed: 0 };
    try {
      const d = await api.learningTransposed(body);
      if (seq !== state.seq) return;
      hideError(error);
      state.data = d;
      state.step = Math.min(state.step, d.steps.length - 1);
      slider.max = String(d.steps.length - 1);
      slider.value = String(state.step);
      formula.replaceChildren("Output size (n − 1)s − 2p + d(f − 1) + output_padding + 1 = ", h("code", {}, d.formula));
      const f = state.kernel_size;
      const s_ = state.stride;
      verdict.dataset.checkerboard = String(d.checkerboard);
      verdict.replaceChildren(d.checkerboard
        ? `f = ${f} is not a multiple of s = ${s_}: the windows overlap unevenly, some cells add up ${Math.max(...d.overlap.flat())} values and their neighbours fewer. That uneven pattern is the checkerboard; a kernel size divisible by the stride (or upsampling, then a convolution) avoids it.`
        : `f = ${f} is a multiple of s = ${s_}: away from the border every output cell is covered by the same number of windows, so no checkerboard.`);
      draw();
    } catch (e) {
      if (seq === state.seq) showError(error, e.message);
    }
  }
  load();
  return { destroy: () => { state.seq += 1; } };
}
