// The convolution animator (#conv): a filter slides over a padded input, step by
// step, with torch's numbers from POST /api/convolve. The whole setup lives in
// the hash (#conv/in=textbook&op=conv&...), so a state is a shareable link.
// Per step only classes and a few texts change: no re-layout of the big grids.
import * as api from "../api.js";
import { h } from "../dom.js";
import { cellAt, convStep, fmt, isPadding, poolStep, stepCount } from "../lib/conv_geometry.js";

const TEXTBOOK_W = [0, 1, 2, 2, 2, 0, 0, 1, 2];
// Two 3-channel 3x3 filters for the RGB walk-through: c' = 2 output channels.
const RGB_W = [
  [1, 0, -1, 1, 0, -1, 1, 0, -1], [0, 0, 0, 0, 1, 0, 0, 0, 0], [1, 0, -1, 1, 0, -1, 1, 0, -1],
  [1, 1, 1, 0, 0, 0, -1, -1, -1], [0, 1, 0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0],
].flat();
const INPUTS = {
  textbook: { label: "Textbook 5×5", k: "custom", w: TEXTBOOK_W, co: 1, p: 0 },
  "textbook-rgb": { label: "Textbook RGB 3×5×5", k: "custom", w: RGB_W, co: 2, p: 0 },
  mnist: { label: "MNIST digit", k: "sobel_x", p: 1 },
  china: { label: "Photo: China", k: "sobel_x", p: 1 },
  flower: { label: "Photo: flower", k: "sobel_x", p: 1 },
};
const DEFAULTS = { in: "textbook", op: "conv", k: "custom", w: TEXTBOOK_W.join(","), co: "1",
  f: "3", p: "0", s: "1", d: "1", b: "0", ch: "0", idx: "0", fo: "" };
const OPS = { conv: "Convolution", maxpool: "Max pooling", avgpool: "Average pooling" };
const CHANNEL_NAMES = { 3: ["R", "G", "B"] };

let root = null;
let state = { ...DEFAULTS };
let lastHash = null;
let ready = false; // the kernel presets are loaded: the hash can be applied
let kernels = [];
let data = null; // the server's answer for the current state
let view = null; // DOM handles of the current stage
let step = 0;
let playing = false;
let speed = 2; // steps per second
let raf = 0;
let lastT = 0;
let acc = 0;
let abort = null;

const channels = () => (state.in === "textbook-rgb" || isPhoto() ? 3 : 1);
const isPhoto = () => ["china", "flower"].includes(state.in) || state.in.startsWith("upload:");

function parse(rest) {
  const q = new URLSearchParams(rest);
  const s = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) if (q.has(key)) s[key] = q.get(key);
  return s;
}

function hashOf(s) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v !== DEFAULTS[k] || k === "in") q.set(k, v);
  return `#conv/${q.toString()}`;
}

function go(changes) {
  const next = { ...state, ...changes };
  location.hash = hashOf(next); // -> onHash -> apply
}

function inputDefaults(name) {
  const preset = INPUTS[name] ?? { k: "sobel_x", p: 1 };
  return { in: name, k: preset.k, w: (preset.w ?? TEXTBOOK_W).join(","), co: String(preset.co ?? 1),
    p: String(preset.p), f: "3", s: "1", d: "1", b: preset.co === 2 ? "0,0" : "0", ch: "0", fo: "" };
}

function request() {
  const s = state;
  const body = { op: s.op, stride: +s.s, padding: +s.p, dilation: +s.d };
  if (s.in.startsWith("upload:")) Object.assign(body, { image_id: s.in.slice(7), mode: "RGB" });
  else body.preset = s.in;
  if (s.in === "mnist") body.index = +s.idx;
  if (isPhoto() && !s.in.startsWith("upload:")) body.mode = "RGB";
  if (s.fo) body.focus = s.fo.split(",").map(Number);
  if (s.op !== "conv") {
    body.kernel_size = +s.f;
    return body;
  }
  if (s.k !== "custom") body.kernel_name = s.k;
  else {
    const co = +s.co;
    const c = channels();
    const f = +s.f;
    const w = s.w.split(",").map(Number);
    if (w.length !== co * c * f * f || w.some(Number.isNaN)) {
      throw new Error(`the kernel needs ${co}×${c}×${f}×${f} = ${co * c * f * f} numbers`);
    }
    body.kernel = Array.from({ length: co }, (_, o) => Array.from({ length: c }, (_, ch) =>
      Array.from({ length: f }, (_, a) => w.slice(((o * c + ch) * f + a) * f, ((o * c + ch) * f + a + 1) * f))));
  }
  const bias = s.b.split(",").map(Number);
  const co = s.k === "custom" ? +s.co : 1;
  body.bias = Array.from({ length: co }, (_, i) => bias[i] ?? 0);
  return body;
}

export async function mount(el, rest) {
  root = el;
  ready = false;
  root.replaceChildren(skeleton());
  kernels = await api.convKernels().catch(() => []);
  if (root !== el) return; // left (or remounted) while the kernels loaded
  fillKernelSelect();
  ready = true;
  // The hash as it is now: a control changed while the kernels loaded moved it past `rest`.
  await onHash(location.hash.includes("/") ? location.hash.slice(location.hash.indexOf("/") + 1) : rest);
}

export function unmount() {
  pause();
  abort?.abort();
  root = null;
  ready = false;
  view = null;
  lastHash = null;
}

export async function onHash(rest) {
  if (!root || !ready || rest === lastHash) return; // mount() applies the hash once ready
  lastHash = rest;
  state = parse(rest);
  syncControls();
  await load();
}

async function load() {
  abort?.abort();
  abort = new AbortController();
  const err = root.querySelector("[data-error]");
  let body;
  try {
    body = request();
  } catch (e) {
    return showError(e.message);
  }
  root.querySelector("[data-busy]").hidden = false;
  try {
    const answer = await api.convolve(body, { signal: abort.signal });
    if (!root) return;
    err.hidden = true;
    data = answer;
    pause();
    step = 0;
    buildStage();
    render();
  } catch (e) {
    if (e.name !== "AbortError") showError(e.message);
  } finally {
    if (root) root.querySelector("[data-busy]").hidden = true;
  }
}

function showError(msg) {
  const err = root.querySelector("[data-error]");
  err.textContent = msg;
  err.hidden = false;
}

// --- controls ------------------------------------------------------------------

function field(label, input, hint) {
  return h("label", { class: "conv-field" }, h("span", {}, label), input, hint ? h("small", { class: "muted" }, hint) : null);
}

function num(name, min, max) {
  return h("input", { type: "number", name, min, max, step: 1, inputmode: "numeric",
    onchange: (e) => go({ [name]: String(e.target.value), fo: "" }) });
}

function skeleton() {
  const inSel = h("select", { name: "in", onchange: (e) => onInput(e.target.value) },
    Object.entries(INPUTS).map(([k, v]) => h("option", { value: k }, v.label)),
    h("option", { value: "upload" }, "Upload an image…"));
  const file = h("input", { type: "file", name: "file", accept: "image/png,image/jpeg,image/webp,image/gif,image/bmp",
    hidden: true, onchange: (e) => upload(e.target.files[0]) });
  const opSel = h("select", { name: "op", onchange: (e) => go({ op: e.target.value }) },
    Object.entries(OPS).map(([k, v]) => h("option", { value: k }, v)));
  const kSel = h("select", { name: "k", onchange: (e) => onKernel(e.target.value) });
  return h("section", { class: "conv" },
    h("header", { class: "conv-head" },
      h("h1", {}, "Convolution, step by step"),
      h("p", { class: "muted" }, "A filter slides over the zero-padded input; at each stop it multiplies, sums, adds the bias and fills one output cell. All numbers come from PyTorch.")),
    h("div", { class: "conv-layout" },
      h("form", { class: "conv-controls panel", onsubmit: (e) => e.preventDefault() },
        field("Input", inSel), file,
        h("label", { class: "conv-field", "data-mnist": "" }, h("span", {}, "Digit #"), num("idx", 0, 9999)),
        field("Operation", opSel),
        h("label", { class: "conv-field", "data-conv-only": "" }, h("span", {}, "Kernel"), kSel),
        h("div", { class: "conv-row" },
          field("f", num("f", 1, 15), "kernel"), field("p", num("p", 0, 16), "padding"),
          field("s", num("s", 1, 16), "stride"), field("d", num("d", 1, 16), "dilation")),
        h("label", { class: "conv-field", "data-conv-only": "" }, h("span", {}, "Bias"),
          h("input", { name: "b", onchange: (e) => go({ b: e.target.value.replace(/\s+/g, "") }) })),
        h("p", { class: "conv-note", "data-note": "" })),
      h("div", { class: "conv-main" },
        h("div", { class: "conv-formula panel" },
          h("span", { class: "muted" }, "Output size "),
          h("code", { "data-formula": "" }),
          h("span", { class: "conv-shape", "data-shape": "" }),
          h("span", { class: "conv-busy muted", "data-busy": "", hidden: true }, " computing…")),
        h("p", { class: "error", "data-error": "", hidden: true, role: "alert" }),
        h("div", { class: "conv-stage panel", "data-stage": "" }),
        h("div", { class: "conv-images panel", "data-images": "" }))));
}

function fillKernelSelect() {
  const sel = root.querySelector("select[name=k]");
  sel.replaceChildren(...kernels.map((k) => h("option", { value: k.name }, k.title)),
    h("option", { value: "custom" }, "Custom numbers"));
}

function syncControls() {
  const form = root.querySelector(".conv-controls");
  form.in.value = state.in.startsWith("upload:") ? "upload" : state.in;
  for (const name of ["op", "k", "f", "p", "s", "d", "b", "idx"]) form[name].value = state[name];
  form.querySelector("[data-mnist]").hidden = state.in !== "mnist";
  form.querySelectorAll("[data-conv-only]").forEach((el) => { el.hidden = state.op !== "conv"; });
  form.f.disabled = state.op === "conv" && state.k !== "custom";
  const k = kernels.find((x) => x.name === state.k);
  root.querySelector("[data-note]").textContent = state.op !== "conv"
    ? (state.op === "maxpool" ? "Max pooling keeps the largest value in each window: the strongest response survives, position detail is dropped."
      : "Average pooling replaces each window by its mean (padding counts as 0): a blur that also shrinks.")
    : k ? k.note : "Your own numbers: type into the filter cells.";
}

function onInput(value) {
  if (value === "upload") {
    root.querySelector("input[name=file]").click();
    syncControls();
    return;
  }
  go({ ...inputDefaults(value), op: state.op });
}

async function upload(file) {
  if (!file) return;
  try {
    const { id } = await api.convUpload(file);
    go({ ...inputDefaults(`upload:${id}`), op: state.op });
  } catch (e) {
    showError(`Upload failed: ${e.message}`);
  }
}

function onKernel(name) {
  if (name !== "custom") return go({ k: name, f: "3" });
  // Start from the numbers on screen.
  const w = data?.weight ? data.weight.flat(3).map((v) => +fmt(v)) : TEXTBOOK_W;
  go({ k: "custom", w: w.join(","), co: String(data?.weight?.length ?? 1), f: String(data?.kernel_size ?? 3) });
}

function editWeight(o, c, a, b, value) {
  const w = data.weight.map((fo) => fo.map((ch) => ch.map((row) => row.map((v) => +fmt(v)))));
  w[o][c][a][b] = Number(value);
  go({ k: "custom", w: w.flat(3).join(","), co: String(w.length), f: String(data.kernel_size) });
}

// --- the stage: built once per answer -------------------------------------------

function grid(rows, cols, cls, make) {
  const el = h("div", { class: `grid ${cls}`, style: `--cols:${cols}` });
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const row = [];
    for (let c = 0; c < cols; c++) {
      const cell = make(r, c);
      el.append(cell);
      row.push(cell);
    }
    cells.push(row);
  }
  return { el, cells };
}

function buildStage() {
  const d = data;
  const win = d.window;
  const [C, H, W] = d.input_shape;
  const f = d.kernel_size;
  const o = Math.min(+state.ch, d.output_shape[0] - 1);
  const names = CHANNEL_NAMES[C] ?? Array.from({ length: C }, (_, i) => `ch ${i}`);
  const geomPad = { inRow: win.in_row, inCol: win.in_col, p: d.padding, n: [H, W] };
  const rows = win.output[0].length;
  const cols = win.output[0][0].length;
  const padShown = d.pad_value === "-inf" ? "−∞" : "0";

  const inputs = win.padded.map((plane, ch) => grid(plane.length, plane[0].length, "grid-in", (r, c) => {
    const pad = isPadding(r, c, geomPad);
    return h("div", { class: pad ? "cell pad" : "cell", "data-in-row": r, "data-in-col": c },
      pad ? padShown : fmt(plane[r][c]));
  }));
  const kernelsEl = d.weight
    ? d.weight[o].map((plane, ch) => grid(f, f, "grid-k", (a, b) =>
      h("input", { class: "cell kcell", value: fmt(plane[a][b]), "aria-label": `filter ${o} channel ${ch} row ${a} col ${b}`,
        onchange: (e) => editWeight(o, ch, a, b, e.target.value) })))
    : null;
  const products = win.padded.map(() => grid(f, f, "grid-prod", () => h("div", { class: "cell" })));
  const out = grid(rows, cols, "grid-out", (i, j) =>
    h("div", { class: "cell out", "data-out-row": win.out_row + i, "data-out-col": win.out_col + j }));

  const big = H * W > 100 || rows * cols < d.output_shape[1] * d.output_shape[2];
  const colIn = h("div", { class: "stage-col" },
    inputs.map((g, ch) => h("figure", {}, h("figcaption", {}, C > 1 ? `Padded input · ${names[ch]}` : "Padded input"), g.el)));
  const colK = h("div", { class: "stage-col" },
    win.padded.map((_, ch) => h("figure", {},
      h("figcaption", {}, d.op === "conv" ? (C > 1 ? `Filter ${o + 1} · ${names[ch]}` : "Filter") : "Window"),
      h("div", { class: "kp" }, kernelsEl ? kernelsEl[ch].el : null,
        kernelsEl ? h("span", { class: "op-sign" }, "×") : null, products[ch].el))));
  const filterPick = d.output_shape[0] > 1 && d.op === "conv"
    ? h("div", { class: "filter-pick", role: "group", "aria-label": "Output channel" },
      d.weight.map((_, i) => h("button", { type: "button", class: i === o ? "primary" : "",
        onclick: () => go({ ch: String(i) }) }, `Filter ${i + 1}`)))
    : null;
  const colOut = h("div", { class: "stage-col" },
    h("figure", {}, h("figcaption", {}, d.output_shape[0] > 1 ? `Output channel ${o + 1} of ${d.output_shape[0]}` : "Output"), out.el),
    filterPick);
  const calc = h("div", { class: "conv-calc", "data-calc": "", "aria-live": "polite" });
  const why = d.op === "conv" && (C > 1 || d.output_shape[0] > 1)
    ? h("p", { class: "muted conv-why" }, `Each filter has ${C} channel${C > 1 ? "s" : ""} (one per input channel); its products are summed over all of them into one number. ${d.output_shape[0]} filter${d.output_shape[0] > 1 ? "s" : ""} → ${d.output_shape[0]} output channel${d.output_shape[0] > 1 ? "s" : ""}.`)
    : null;
  const scrub = h("input", { type: "range", min: 0, max: stepCount(rows, cols) - 1, value: 0, "aria-label": "Step",
    oninput: (e) => { pause(); step = +e.target.value; render(); } });
  const playBtn = h("button", { type: "button", class: "primary", "data-play": "", onclick: () => (playing ? pause() : play()) }, "▶ Play");
  const player = h("div", { class: "conv-player" },
    h("button", { type: "button", "data-back": "", "aria-label": "Step back", onclick: () => { pause(); go1(-1); } }, "◀ Step"),
    playBtn,
    h("button", { type: "button", "data-next": "", "aria-label": "Step forward", onclick: () => { pause(); go1(1); } }, "Step ▶"),
    scrub,
    h("span", { class: "muted", "data-step": "" }),
    h("label", { class: "speed" }, "Speed ",
      h("select", { "aria-label": "Speed", onchange: (e) => { speed = +e.target.value; } },
        [0.5, 1, 2, 4, 8, 20].map((v) => h("option", { value: v, selected: v === speed }, `${v}/s`)))));
  const stage = root.querySelector("[data-stage]");
  const note = big ? h("p", { class: "muted conv-why" }, `Showing output cells ${win.out_row}–${win.out_row + rows - 1} × ${win.out_col}–${win.out_col + cols - 1} of ${d.output_shape[1]}×${d.output_shape[2]}; click the output image to move there.`) : null;
  stage.replaceChildren(...[h("div", { class: "stage-grid" }, colIn, colK, colOut), calc, why, note, player].filter(Boolean));
  view = { inputs, products, out, calc, scrub, playBtn, rows, cols, o, names, prev: [], f, C };

  root.querySelector("[data-formula]").textContent = d.formula;
  root.querySelector("[data-shape]").textContent =
    ` → output ${d.output_shape.join("×")} from input ${d.input_shape.join("×")}`;
  buildImages();
}

function buildImages() {
  const d = data;
  const box = root.querySelector("[data-images]");
  const [, Ho, Wo] = d.output_shape;
  const rows = view.rows;
  const cols = view.cols;
  const img = d.output_images[view.o];
  const marker = h("div", { class: "marker", style:
    `top:${(100 * d.window.out_row) / Ho}%;left:${(100 * d.window.out_col) / Wo}%;height:${(100 * rows) / Ho}%;width:${(100 * cols) / Wo}%` });
  const outFig = h("figure", { class: "img-fig" },
    h("figcaption", {}, `Output ${Ho}×${Wo}`, h("span", { class: "muted" }, ` · ${fmt(img.min)} (black) to ${fmt(img.max)} (white)`)),
    h("div", { class: "img-wrap", title: "Click to animate this region",
      onclick: (e) => {
        const rect = e.currentTarget.getBoundingClientRect();
        const r = Math.floor(((e.clientY - rect.top) / rect.height) * Ho);
        const c = Math.floor(((e.clientX - rect.left) / rect.width) * Wo);
        go({ fo: `${r},${c}` });
      } },
      h("img", { src: img.src, alt: `filtered output, ${Ho} by ${Wo}`, "data-output-image": "" }), marker));
  const inFig = h("figure", { class: "img-fig" },
    h("figcaption", {}, `Input ${d.input_shape[1]}×${d.input_shape[2]}`),
    h("div", { class: "img-wrap" }, h("img", { src: d.input_image.src, alt: "input image", "data-input-image": "" })));
  box.replaceChildren(inFig, h("span", { class: "arrow", "aria-hidden": "true" }, "→"), outFig);
}

// --- one step: update classes and a few texts -----------------------------------

function render() {
  if (!view) return;
  const d = data;
  const win = d.window;
  const { rows, cols, o, f } = view;
  const total = stepCount(rows, cols);
  step = Math.max(0, Math.min(step, total - 1));
  const { i, j } = cellAt(step, cols);
  const geom = { f, s: d.stride, d: d.dilation };
  for (const el of view.prev) el.classList.remove("win", "chosen");
  view.prev = [];
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
    }
  }
  view.scrub.value = step;
  root.querySelector("[data-step]").textContent = `step ${step + 1} of ${total}`;
  root.querySelector("[data-stage]").dataset.currentStep = String(step);
}

function go1(delta) {
  step += delta;
  render();
}

function play() {
  if (!view) return;
  if (step >= view.rows * view.cols - 1) step = -1;
  playing = true;
  view.playBtn.textContent = "⏸ Pause";
  lastT = performance.now();
  acc = 1000; // first step at once
  raf = requestAnimationFrame(tick);
}

function pause() {
  playing = false;
  cancelAnimationFrame(raf);
  if (view) view.playBtn.textContent = "▶ Play";
}

function tick(t) {
  if (!playing || !view) return;
  acc += (t - lastT) * speed;
  lastT = t;
  if (acc >= 1000) {
    acc = 0;
    step += 1;
    render();
    if (step >= view.rows * view.cols - 1) return pause();
  }
  raf = requestAnimationFrame(tick);
}
