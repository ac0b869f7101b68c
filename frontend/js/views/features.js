// Feature maps (issue 5): pick a network and an image, see every layer's channels.
// State lives in the hash: #features/net=zoo:resnet18&img=flower&scale=shared
// (net=weights:<id> opens any entry of the weights library: shipped, a run, an import).
import * as api from "../api.js";
import { loadDesign } from "../lib/design_store.js";
import { decodeSpec } from "../lib/hash_codec.js";
import { reading as fmt, shapeText } from "../lib/format.js";
import { h } from "../dom.js";
import { drawPad } from "../widgets/draw.js";
import { finetunePanel } from "./features/finetune.js";
import { weightGroups, weightsControls } from "./features/library.js";
import { atlasPixels, cssColor, filterCanvas, floats, range, tileCanvas, valuesCanvas } from "./features/render.js";

const PAGE = 64; // channels per layer request

let root = null;
let state = null;
let view = null; // the last overview
let observer = null;
let seq = 0; // newer requests win
let pad = null;
let drawTimer = null;
let drawBusy = false;
let drawAgain = false;
let entries = []; // GET /api/weights
let zooList = []; // GET /api/zoo

function parseHash(rest) {
  const p = new URLSearchParams(rest || "");
  return {
    net: p.get("net") || "weights:mnist_cnn",
    spec: p.get("spec") ? safeDecode(p.get("spec")) : null,
    image: p.get("img") || null,
    normalize: p.get("norm") || null,
    invert: p.get("inv") === "1",
    scale: p.get("scale") === "shared" ? "shared" : "channel",
    source: p.get("src") || null,
  };
}

function safeDecode(text) {
  try {
    return decodeSpec(text);
  } catch {
    return null;
  }
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("net", state.net);
  if (state.image) p.set("img", state.image);
  if (state.normalize) p.set("norm", state.normalize);
  if (state.invert) p.set("inv", "1");
  if (state.scale === "shared") p.set("scale", "shared");
  if (state.source) p.set("src", state.source);
  const spec = new URLSearchParams(location.hash.split("/").slice(1).join("/")).get("spec");
  if (state.net === "spec" && spec) p.set("spec", spec);
  history.replaceState(null, "", `#features/${p.toString()}`);
}

function splitNet(net = state.net) {
  const i = net.indexOf(":");
  return i < 0 ? [net, ""] : [net.slice(0, i), net.slice(i + 1)];
}

/** The library entry of the picked network, if it is one. */
function pickedEntry() {
  const [kind, id] = splitNet();
  return kind === "weights" ? entries.find((e) => e.id === id) ?? null : null;
}

function netRef() {
  const [kind, name] = splitNet();
  if (kind === "weights") return { weights: name };
  if (kind === "zoo") return { zoo: name };
  if (kind === "design") return { spec: loadDesign() };
  return { spec: state.spec };
}


function body(extra = {}) {
  return {
    net: netRef(),
    image: state.image,
    normalize: state.normalize,
    invert: state.invert,
    ...extra,
  };
}

export async function mount(el, rest) {
  root = el;
  state = parseHash(rest);
  root.replaceChildren(layout());
  const [zoo, presets, weights] = await Promise.all([
    api.zooList().catch(() => []),
    api.featurePresets(),
    api.weightsList().catch(() => []),
  ]);
  if (!root) return;
  zooList = zoo;
  entries = weights;
  fillNetworks();
  fillPresets(presets);
  if (!state.image) state.image = defaultImage();
  showSource(state.source || (state.image.startsWith("mnist") ? "presets" : "presets"));
  await run();
}

export function unmount() {
  observer?.disconnect();
  clearTimeout(drawTimer);
  root = null;
}

export function onHash(rest) {
  const next = parseHash(rest);
  if (next.net !== state.net || next.image !== state.image) {
    state = { ...next, image: next.image || state.image };
    fillNetworks(); // an id from a new link is listed too
    run();
  }
}

function layout() {
  pad = drawPad(280, onStroke);
  return h(
    "div",
    { class: "fm" },
    h(
      "aside",
      { class: "fm-side" },
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Network"),
        h("select", { id: "fm-net", "aria-label": "Network", onchange: onNet }),
        h("p", { id: "fm-note", class: "fm-note" }),
        h("div", { id: "fm-weights-box" }),
      ),
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Image"),
        h(
          "div",
          { class: "fm-seg", role: "tablist" },
          ["presets", "upload", "draw"].map((s) =>
            h("button", { type: "button", "data-src": s, role: "tab", onclick: () => showSource(s) },
              { presets: "Presets", upload: "Upload", draw: "Draw" }[s]),
          ),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "presets" },
          h("select", { id: "fm-preset", "aria-label": "Preset image", onchange: onPreset }),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "upload" },
          h(
            "label",
            { class: "fm-drop", id: "fm-drop", ondragover: onDragOver, ondragleave: onDragLeave, ondrop: onDrop },
            h("strong", {}, "Drop an image here"),
            h("span", { class: "muted" }, "or click to choose · PNG, JPEG, WebP, GIF, BMP"),
            h("input", { type: "file", id: "fm-file", accept: "image/png,image/jpeg,image/webp,image/gif,image/bmp", onchange: (e) => upload(e.target.files[0]) }),
          ),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "draw" },
          pad.canvas,
          h("div", { class: "fm-row" },
            h("button", { type: "button", id: "fm-clear", onclick: () => { pad.clear(); } }, "Clear"),
            h("span", { class: "muted" }, "Draw a digit; the trained MNIST net predicts as you draw.")),
        ),
      ),
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Preparation"),
        h("div", { id: "fm-prep", class: "fm-prep" }),
        h(
          "div",
          { class: "fm-row" },
          h("label", {}, "Normalise ",
            h("select", { id: "fm-norm", onchange: (e) => { state.normalize = e.target.value; run(); } },
              h("option", { value: "none" }, "none (0…1)"),
              h("option", { value: "mnist" }, "MNIST mean/std"),
              h("option", { value: "imagenet" }, "ImageNet mean/std"),
              h("option", { value: "trained", id: "fm-norm-trained" }, "as the weights were trained"))),
          h("label", {}, h("input", { type: "checkbox", id: "fm-invert", onchange: (e) => { state.invert = e.target.checked; run(); } }), " Invert"),
        ),
      ),
      h("section", { class: "fm-card", id: "fm-pred-card" }, h("h2", {}, "Prediction"), h("ol", { id: "fm-preds", class: "fm-preds" })),
      h("section", { class: "fm-card" }, h("h2", {}, "First-layer filters"), h("div", { id: "fm-filters", class: "fm-filters" })),
    ),
    h(
      "section",
      { class: "fm-main" },
      h(
        "div",
        { class: "fm-toolbar" },
        h("div", { id: "fm-status", class: "fm-status", role: "status" }),
        h("label", {}, "Colour scale ",
          h("select", { id: "fm-scale", onchange: (e) => { state.scale = e.target.value; writeHash(); renderLayers(); } },
            h("option", { value: "channel" }, "per channel"),
            h("option", { value: "shared" }, "shared by the layer"))),
      ),
      h("div", { class: "fm-body" },
        h("nav", { id: "fm-layers", class: "fm-layers", "aria-label": "Layers" }),
        h("div", { id: "fm-grids", class: "fm-grids" })),
    ),
    h("dialog", { id: "fm-detail", class: "fm-detail" }),
  );
}

const $ = (sel) => root?.querySelector(sel);

function fillNetworks() {
  const sel = $("#fm-net");
  const [kind, id] = splitNet();
  const yours = h("optgroup", { label: "Your designs (random weights)" });
  if (loadDesign()) yours.append(h("option", { value: "design" }, `Designer: ${loadDesign().name ?? "current design"}`));
  if (state.spec) yours.append(h("option", { value: "spec" }, `From the link: ${state.spec.name ?? "spec"}`));
  const group = h("optgroup", { label: "Zoo (random weights)" },
    zooList.map((z) => h("option", { value: `zoo:${z.name}` }, `${z.title ?? z.name}`)));
  sel.replaceChildren(...weightGroups(entries, kind === "weights" ? id : null));
  if (yours.children.length) sel.append(yours);
  sel.append(group);
  syncControls();
  renderWeights();
}

/** Import / Download / Delete for the picked network. */
function renderWeights() {
  const box = $("#fm-weights-box");
  if (!box) return;
  const entry = pickedEntry();
  const [kind, name] = splitNet();
  const specName = entry?.spec.name ?? view?.network.name ?? (kind === "zoo" ? name : kind === "design" ? loadDesign()?.name : state.spec?.name) ?? "this network";
  box.replaceChildren(weightsControls({
    entry,
    specName,
    getSpec: currentSpec,
    onImported: async (added) => {
      entries = await api.weightsList();
      state.net = `weights:${added.id}`;
      state.normalize = null;
      view = null;
      fillNetworks();
      run();
    },
    onDeleted: async () => {
      entries = await api.weightsList();
      state.net = "weights:mnist_cnn";
      state.normalize = null;
      view = null;
      fillNetworks();
      run();
    },
    onError: (text) => status(text, true),
  }));
}

/** The spec of the picked network (what imported weights must fit). */
async function currentSpec() {
  const [kind, name] = splitNet();
  if (kind === "weights") return pickedEntry()?.spec ?? null;
  if (kind === "zoo") return api.zooSpec(name);
  if (kind === "design") return loadDesign();
  return state.spec;
}

let presetList = [];
function fillPresets(presets) {
  presetList = presets;
  const sel = $("#fm-preset");
  sel.append(h("option", { value: "", disabled: true }, "Choose a preset…"),
    ...presets.map((p) => h("option", { value: p.id }, p.title)));
  syncControls();
}

function syncControls() {
  if (!root) return;
  $("#fm-net").value = state.net;
  if (presetList.some((p) => p.id === state.image)) $("#fm-preset").value = state.image;
  $("#fm-scale").value = state.scale;
  $("#fm-invert").checked = state.invert;
}

/** Input channels of a picked network value, from what the lists say (before running it). */
function channelsOf(net) {
  const [kind, name] = splitNet(net);
  if (kind === "weights") return entries.find((e) => e.id === name)?.spec.input.channels ?? 1;
  if (kind === "zoo") return zooList.find((z) => z.name === name)?.input_shape?.[0] ?? (name.includes("mnist") ? 1 : 3);
  if (kind === "design") return loadDesign()?.input?.channels ?? 1;
  return state.spec?.input?.channels ?? 1;
}

function inputChannels() {
  return view?.network.input_shape[0] ?? channelsOf(state.net);
}

function defaultImage() {
  return inputChannels() === 1 ? "mnist-7" : "flower";
}

function showSource(src) {
  state.source = src === "presets" ? null : src;
  root.querySelectorAll(".fm-seg button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.src === src)));
  root.querySelectorAll(".fm-src").forEach((p) => { p.hidden = p.dataset.panel !== src; });
  writeHash();
}

function onNet(e) {
  state.net = e.target.value;
  state.normalize = null;
  state.invert = false;
  view = null;
  if (presetList.some((p) => p.id === state.image)) {
    const photo = !state.image.startsWith("mnist");
    const wantsGray = channelsOf(state.net) === 1;
    if (photo === wantsGray) state.image = wantsGray ? "mnist-7" : "flower";
  }
  syncControls();
  renderWeights();
  run();
}

function onPreset(e) {
  state.image = e.target.value;
  run();
}

function onDragOver(e) {
  e.preventDefault();
  $("#fm-drop").classList.add("over");
}
function onDragLeave() {
  $("#fm-drop").classList.remove("over");
}
function onDrop(e) {
  e.preventDefault();
  onDragLeave();
  const file = e.dataTransfer?.files?.[0];
  if (file) upload(file);
}

async function upload(file) {
  if (!file) return;
  status(`Uploading ${file.name}…`);
  try {
    const res = await api.featureUpload(file);
    state.image = res.id;
    await run();
  } catch (err) {
    status(err.message, true);
  }
}

function onStroke(final) {
  clearTimeout(drawTimer);
  drawTimer = setTimeout(() => predictDrawing(final), final ? 0 : 250);
}

async function predictDrawing(final) {
  if (pad.isEmpty()) return;
  if (drawBusy) {
    drawAgain = true;
    return;
  }
  drawBusy = true;
  try {
    if (!state.net.startsWith("weights:") && final === false) return; // live: trained nets only
    const res = await api.featureUpload(new File([await pad.toBlob()], "drawing.png", { type: "image/png" }));
    state.image = res.id;
    await run({ light: !final });
  } catch (err) {
    status(err.message, true);
  } finally {
    drawBusy = false;
    if (drawAgain) {
      drawAgain = false;
      predictDrawing(true);
    }
  }
}

function status(text, error = false) {
  const el = $("#fm-status");
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("error", error);
}

async function run({ light = false } = {}) {
  if (!root || !state.image) return;
  writeHash();
  if (state.net === "design" && !loadDesign()) return status("No design saved by the designer yet.", true);
  if (state.net === "spec" && !state.spec) return status("The spec in the link could not be read.", true);
  const my = ++seq;
  status("Running the network…");
  try {
    const res = await api.featureOverview(body());
    if (my !== seq || !root) return;
    view = res;
    renderNote();
    renderWeights();
    renderPrep();
    renderPredictions();
    if (!light) {
      renderFilters();
      renderLayers();
    }
    const n = res.layers.length;
    status(`${n} layer${n === 1 ? "" : "s"} · input ${shapeText(res.input.shape)} · click a channel to inspect it`);
  } catch (err) {
    if (my === seq) status(err.message, true);
  }
}

function renderNote() {
  const net = view.network;
  const note = $("#fm-note");
  note.replaceChildren(
    h("span", { class: `fm-badge ${net.trained ? "ok" : "warn"}` },
      { shipped: "Trained", run: "Trained here", upload: "Imported" }[net.kind] ?? "Random weights"),
    " ",
    net.note,
  );
}

function renderPrep() {
  const inp = view.input;
  const trainedOpt = $("#fm-norm-trained");
  trainedOpt.disabled = !inp.stats;
  trainedOpt.textContent = inp.stats
    ? `as trained (mean ${inp.stats[0].map((v) => v.toFixed(3)).join(",")}, std ${inp.stats[1].map((v) => v.toFixed(3)).join(",")})`
    : "as trained (unknown for these weights)";
  $("#fm-norm").value = inp.normalize;
  $("#fm-invert").checked = inp.invert;
  const prev = h("div", { class: "fm-input-preview", id: "fm-input" });
  $("#fm-prep").replaceChildren(
    prev,
    h("p", {}, `${inp.original[0]}×${inp.original[1]} image → ${inp.mode}, resized to ${inp.shape[2]}×${inp.shape[1]}, ` +
      `normalised (${inp.normalize}) → values ${fmt(inp.min)} … ${fmt(inp.max)}`),
  );
  loadPage("input", 0, prev, { small: true });
}

function renderPredictions() {
  const list = $("#fm-preds");
  const card = $("#fm-pred-card");
  if (!view.predictions) {
    list.replaceChildren(h("li", { class: "muted fm-nopred" }, "Predictions need trained weights: pick shipped weights, one of your runs or imported weights."));
    card.classList.add("fm-dim");
    return;
  }
  card.classList.remove("fm-dim");
  list.replaceChildren(
    ...view.predictions.map((p, i) =>
      h("li", { class: i === 0 ? "top" : "" },
        h("span", { class: "fm-label" }, p.label),
        h("span", { class: "fm-bar" }, h("span", { style: `width:${(p.p * 100).toFixed(1)}%` })),
        h("span", { class: "fm-p" }, `${(p.p * 100).toFixed(1)}%`)),
    ),
  );
  list.dataset.top = view.predictions[0].label;
}

function renderFilters() {
  const box = $("#fm-filters");
  const f = view.filters;
  if (!f) {
    box.replaceChildren(h("p", { class: "muted" }, "This network has no convolution."));
    return;
  }
  const [out, cin, kh, kw] = f.shape;
  const w = floats(f);
  const [lo, hi] = range(w);
  const tiles = [];
  for (let o = 0; o < out; o++) {
    // An RGB filter is one colour image: each input channel is one colour.
    tiles.push(h("figure", { class: "fm-filter", title: `filter ${o} of ${f.layer}` }, filterCanvas(w, o, cin, kh, kw, lo, hi)));
  }
  box.replaceChildren(
    h("p", { class: "muted" }, `${f.layer}: ${out} filters of ${cin}×${kh}×${kw}${cin === 3 ? " (shown as RGB)" : cin > 1 ? " (first input channel)" : ""}`),
    view.finetune ? finetunePanel(view.finetune, f) : h("div", { class: "fm-filter-grid" }, tiles),
  );
}

function renderLayers() {
  observer?.disconnect();
  const nav = $("#fm-layers");
  const grids = $("#fm-grids");
  nav.replaceChildren(
    h("h2", {}, "Layers"),
    h("ol", {}, view.layers.map((l) =>
      h("li", { style: `--depth:${l.depth ?? 0}` },
        h("a", { href: `#features/${location.hash.split("/").slice(1).join("/")}`, "data-path": l.path, title: `${l.path} · ${l.type}`,
          onclick: (e) => { e.preventDefault(); grids.querySelector(`[data-layer="${l.path}"]`)?.scrollIntoView({ block: "start" }); } },
          h("code", {}, l.path), h("span", { class: "muted" }, ` ${l.type}`))))),
  );
  observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting || e.target.dataset.loaded) continue;
      e.target.dataset.loaded = "1";
      loadPage(e.target.dataset.layer, 0, e.target.querySelector(".fm-grid"));
    }
  }, { rootMargin: "300px" });
  grids.replaceChildren(
    ...view.layers.map((l) => {
      const sec = h("section", { class: "fm-layer", "data-layer": l.path },
        h("header", {},
          h("h3", {}, h("code", {}, l.path), " ", h("span", { class: "fm-type" }, l.type)),
          h("span", { class: "muted" }, `${shapeText(l.shape)} · ${l.channels} channel${l.channels === 1 ? "" : "s"} · range ${fmt(l.min)} … ${fmt(l.max)}`)),
        h("div", { class: "fm-grid" }, h("p", { class: "muted" }, "Loading…")));
      observer.observe(sec);
      return sec;
    }),
  );
}

async function loadPage(layer, start, grid, { small = false } = {}) {
  const my = seq;
  try {
    const { meta, png } = await api.featureLayer(body({ layer, start, count: PAGE, scale: state.scale }));
    if (my !== seq || !grid.isConnected) return;
    const atlas = await atlasPixels(png);
    if (start === 0) grid.replaceChildren();
    grid.querySelector(".fm-more")?.remove();
    const [th, tw] = meta.tile;
    // Previews fit 64px; grid tiles are whole multiples of their pixels, about 72px.
    const scale = small ? 64 / Math.max(th, tw) : Math.max(1, Math.floor(72 / Math.max(th, tw)));
    for (let i = 0; i < meta.count; i++) {
      const c = tileCanvas(atlas, meta, i);
      c.style.width = `${tw * scale}px`;
      c.style.height = `${th * scale}px`;
      const index = meta.start + i;
      const [lo, hi] = (meta.actual ?? meta.ranges)[i];
      grid.append(
        h("button", { type: "button", class: "fm-tile", "data-channel": index,
          title: `channel ${index}: ${fmt(lo)} … ${fmt(hi)}`, onclick: () => openChannel(layer, index) },
          c, h("span", {}, meta.vector ? `${meta.length} values` : `#${index}`)),
      );
    }
    const shown = meta.start + meta.count;
    if (shown < meta.channels) {
      grid.append(h("button", { type: "button", class: "fm-more", onclick: () => loadPage(layer, shown, grid) },
        `Show ${Math.min(PAGE, meta.channels - shown)} more of ${meta.channels - shown} channels`));
    }
  } catch (err) {
    grid.replaceChildren(h("p", { class: "error" }, err.message));
  }
}

async function openChannel(layer, channel) {
  const dlg = $("#fm-detail");
  dlg.replaceChildren(h("p", {}, "Loading…"));
  if (!dlg.open) dlg.showModal();
  try {
    const res = await api.featureChannel(body({ layer, channel }));
    const [rows, cols] = res.values.shape;
    const vals = floats(res.values);
    const limit = res.vector ? res.length : rows * cols;
    const [lo, hi] = range(vals.subarray(0, limit));
    const big = valuesCanvas(vals, rows, cols, lo, hi, limit);
    const px = Math.max(1, Math.floor(360 / Math.max(rows, cols)));
    big.style.width = `${cols * px}px`;
    big.style.height = `${rows * px}px`;
    big.className = "fm-big";
    const readout = h("p", { class: "fm-readout", id: "fm-readout" }, "Point at a pixel to read its exact value.");
    big.addEventListener("mousemove", (e) => {
      const r = big.getBoundingClientRect();
      const x = Math.min(cols - 1, Math.floor(((e.clientX - r.left) / r.width) * cols));
      const y = Math.min(rows - 1, Math.floor(((e.clientY - r.top) / r.height) * rows));
      const i = y * cols + x;
      if (i >= limit) return;
      readout.dataset.row = y;
      readout.dataset.col = x;
      readout.dataset.index = i;
      readout.dataset.value = String(vals[i]);
      readout.textContent = res.vector ? `value ${i}: ${vals[i]}` : `row ${y}, column ${x}: ${vals[i]}`;
    });
    const legend = h("div", { class: "fm-legend" }, h("span", {}, fmt(lo)),
      h("span", { class: "fm-ramp", style: `background:linear-gradient(90deg,${[0, 64, 128, 192, 255].map(cssColor).join(",")})` }),
      h("span", {}, fmt(hi)));
    dlg.replaceChildren(
      h("header", {}, h("h2", {}, h("code", {}, layer), ` · channel ${channel}`),
        h("button", { type: "button", class: "fm-close", "aria-label": "Close", onclick: () => dlg.close() }, "×")),
      h("div", { class: "fm-detail-body" },
        h("div", {}, big, legend, readout),
        res.filter ? filterView(res.filter) : null),
    );
  } catch (err) {
    dlg.replaceChildren(h("p", { class: "error" }, err.message), h("button", { onclick: () => dlg.close() }, "Close"));
  }
}

function filterView(filter) {
  const [cin, kh, kw] = filter.weights.shape;
  const w = floats(filter.weights);
  const [lo, hi] = range(w);
  const show = Math.min(cin, 16);
  const px = Math.max(4, Math.floor(48 / Math.max(kh, kw)));
  const tiles = [];
  for (let c = 0; c < show; c++) {
    const cv = valuesCanvas(w.subarray(c * kh * kw, (c + 1) * kh * kw), kh, kw, lo, hi);
    cv.style.width = `${kw * px}px`;
    cv.style.height = `${kh * px}px`;
    tiles.push(h("figure", { class: "fm-filter", title: `input channel ${c}` }, cv, h("figcaption", {}, `in ${c}`)));
  }
  const numbers = cin === 1 && kh * kw <= 49
    ? h("table", { class: "fm-numbers" }, Array.from({ length: kh }, (_, y) =>
      h("tr", {}, Array.from({ length: kw }, (_, x) => h("td", {}, w[y * kw + x].toFixed(3))))))
    : null;
  return h("div", { class: "fm-made-by" },
    h("h3", {}, "The filter that made it"),
    h("p", { class: "muted" }, `${cin}×${kh}×${kw} weights${filter.bias != null ? `, bias ${fmt(filter.bias)}` : ""}` +
      (cin > show ? ` (first ${show} input channels shown)` : "")),
    h("div", { class: "fm-filter-grid" }, tiles),
    numbers);
}
