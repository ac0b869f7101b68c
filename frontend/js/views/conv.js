// The convolution animator (#conv): a filter slides over a padded input, step by
// step, with torch's numbers from POST /api/convolve. The whole setup lives in
// the hash (#conv/in=textbook&op=conv&...), so a state is a shareable link.
// Per step only classes and a few texts change: no re-layout of the big grids.
import * as api from "../api.js";
import { h } from "../dom.js";
import { fmt } from "../lib/conv_geometry.js";
import { resizeKernel } from "../lib/kernel_resize.js";
import { flash, linkControls } from "./conv/highlight.js";
import { Player } from "./conv/player.js";
import { buildStage } from "./conv/stage.js";
import { renderStep } from "./conv/step.js";

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

let root = null;
let state = { ...DEFAULTS };
let lastHash = null;
let ready = false; // the kernel presets are loaded: the hash can be applied
let kernels = [];
let data = null; // the server's answer for the current state
let view = null; // DOM handles of the current stage
const player = new Player((step) => (view ? renderStep(root, data, view, step) : step));
let abort = null;
let pendingFlash = null; // the control (f, p, s, d) whose change the next stage shows

const channels = () => (state.in === "textbook-rgb" || isPhoto() ? 3 : 1);
const isPhoto = () => ["china", "flower"].includes(state.in) || state.in.startsWith("upload:");

// A link names only what differs from its input's own defaults: "#conv/in=china" is the
// photo with its Sobel kernel, not the textbook's custom numbers on three channels.
const defaultsFor = (name) => ({ ...DEFAULTS, ...inputDefaults(name ?? DEFAULTS.in) });

function parse(rest) {
  const q = new URLSearchParams(rest);
  const s = defaultsFor(q.get("in"));
  for (const key of Object.keys(DEFAULTS)) if (q.has(key)) s[key] = q.get(key);
  return s;
}

function hashOf(s) {
  const base = defaultsFor(s.in);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v !== base[k] || k === "in") q.set(k, v);
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
  linkControls(root);
  ready = true;
  // The hash as it is now: a control changed while the kernels loaded moved it past `rest`.
  await onHash(location.hash.includes("/") ? location.hash.slice(location.hash.indexOf("/") + 1) : rest);
}

export function unmount() {
  player.pause();
  abort?.abort();
  root = null;
  ready = false;
  view = null;
  player.view = null;
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
  const changed = pendingFlash;
  pendingFlash = null;
  root.querySelector("[data-busy]").hidden = false;
  try {
    const answer = await api.convolve(body, { signal: abort.signal });
    if (!root) return;
    err.hidden = true;
    data = answer;
    player.pause();
    player.step = 0;
    view = buildStage(root, data, +state.ch, {
      go,
      editWeight,
      scrub: (step) => {
        player.pause();
        player.show(step);
      },
      by: (delta) => player.by(delta),
      toggle: () => player.toggle(),
      speed: player.speed,
      setSpeed: (v) => {
        player.speed = v;
      },
    });
    player.view = view;
    player.show(0);
    if (changed) flash(root, changed); // show where the number that just changed acts
  } catch (e) {
    if (e.name !== "AbortError") showError(e.message);
  } finally {
    if (root) root.querySelector("[data-busy]").hidden = true;
  }
}

/** The error, and nothing left on screen that belongs to the previous numbers: a formula
 * or grid out of step with the controls reads as the answer to them. */
function showError(msg) {
  const err = root.querySelector("[data-error]");
  err.textContent = msg;
  err.hidden = false;
  player.pause();
  view = null;
  player.view = null;
  for (const sel of ["[data-formula]", "[data-shape]", "[data-terms]"]) root.querySelector(sel).replaceChildren();
  for (const sel of ["[data-stage]", "[data-images]"]) root.querySelector(sel).replaceChildren();
}

// --- controls ------------------------------------------------------------------

function field(label, input, hint) {
  return h("label", { class: "conv-field" }, h("span", {}, label), input, hint ? h("small", { class: "muted" }, hint) : null);
}

function num(name, min, max) {
  return h("input", { type: "number", name, min, max, step: 1, inputmode: "numeric",
    onchange: (e) => {
      pendingFlash = name;
      go({ [name]: String(e.target.value), fo: "", ...(name === "f" ? resizedCustom(e.target.value) : {}) });
    } });
}

/** With custom numbers, a new f resizes the kernel (centred, zeros around) instead of
 * leaving numbers for the old f: the grid, the hash and the formula stay in step. */
function resizedCustom(value) {
  const f = Number(value);
  const f0 = Number(state.f);
  const w = state.w.split(",").map(Number);
  const co = Number(state.co);
  if (state.op !== "conv" || state.k !== "custom" || !(f >= 1) || w.length !== co * channels() * f0 * f0) return {};
  return { w: resizeKernel(w, co, channels(), f0, f).join(",") };
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
          h("span", { class: "conv-terms", "data-terms": "" }),
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
