// Feature maps (issue 5): pick a network and an image, see every layer's channels.
// State lives in the hash: #features/net=zoo:resnet18&img=flower&scale=shared
// (net=weights:<id> opens any entry of the weights library: shipped, a run, an import).
import * as api from "../api.js";
import { loadDesign } from "../lib/design_store.js";
import { decodeSpec } from "../lib/hash_codec.js";
import { shapeText } from "../lib/format.js";
import { torchvisionZoos } from "../lib/pretrained.js";
import { h } from "../dom.js";
import { drawPad } from "../widgets/draw.js";
import { renderFilters, renderNote, renderPredictions, renderPrep } from "./features/cards.js";
import { openChannel } from "./features/channel.js";
import { loadPage, renderLayers as drawLayers } from "./features/grids.js";
import { layout } from "./features/layout.js";
import { unetPanel } from "./features/levels.js";
import { imagenetControl } from "./features/imagenet.js";
import { weightGroups, weightsControls } from "./features/library.js";


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
let imagenet = []; // GET /api/pretrained's official ImageNet items (kept current by their control)

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
  pad = drawPad(280, onStroke);
  root.replaceChildren(layout(pad, {
    net: onNet,
    source: showSource,
    preset: onPreset,
    dragOver: onDragOver,
    dragLeave: onDragLeave,
    drop: onDrop,
    upload,
    normalize: (v) => {
      state.normalize = v;
      run();
    },
    invert: (on) => {
      state.invert = on;
      run();
    },
    scale: (v) => {
      state.scale = v;
      writeHash();
      renderLayers();
    },
  }));
  const [zoo, presets, weights, pretrained] = await Promise.all([
    api.zooList().catch(() => []),
    api.featurePresets(),
    api.weightsList().catch(() => []),
    api.pretrainedList().catch(() => []),
  ]);
  if (!root) return;
  zooList = zoo;
  entries = weights;
  imagenet = pretrained.filter((p) => p.kind === "imagenet");
  fillNetworks();
  fillPresets(presets);
  if (!state.image) state.image = defaultImage();
  showSource(state.source || "presets");
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

/** ImageNet weights, Import / Download / Delete for the picked network. */
function renderWeights() {
  const box = $("#fm-weights-box");
  if (!box) return;
  const entry = pickedEntry();
  const [kind, name] = splitNet();
  const specName = entry?.spec.name ?? view?.network.name ?? (kind === "zoo" ? name : kind === "design" ? loadDesign()?.name : state.spec?.name) ?? "this network";
  const zoo = entry?.zoo ?? (kind === "zoo" ? name : null); // the picked network's architecture
  const titles = new Map(zooList.map((z) => [z.name, z.title ?? z.name]));
  // The architecture's own ImageNet weights stand in the card; for other networks the
  // control waits folded with the import (a digit net has no ImageNet weights to show).
  const ours = imagenet.some((i) => i.zoo === zoo);
  const control = imagenet.length ? imagenetControl({
    items: imagenet,
    zoo,
    titles,
    onReady: (id, started) => {
      if (started && state.net !== `weights:${id}`) switchTo(`weights:${id}`);
    },
    onRemoved: (id) => switchTo(state.net === `weights:${id}` ? `zoo:${id.replace(/^imagenet-/, "")}` : state.net),
  }) : "";
  $("#fm-imagenet-box").replaceChildren(ours ? control : "");
  $("#fm-imagenet-folded").replaceChildren(ours ? "" : control);
  if (entry?.kind === "upload") $("#fm-more-weights").open = true; // its Delete in view
  box.replaceChildren(weightsControls({
    entry,
    specName,
    zoos: torchvisionZoos(zooList, imagenet),
    zoo,
    getSpec: currentSpec,
    onImported: (added) => switchTo(`weights:${added.id}`),
    onDeleted: () => switchTo("weights:mnist_cnn"),
    onError: (text) => status(text, true),
  }));
}

/** Open another network (a new or removed library entry): the list again, then run it. */
async function switchTo(net) {
  entries = await api.weightsList();
  state.net = net;
  state.normalize = null;
  view = null;
  fillNetworks();
  run();
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
  $(".fm").dataset.src = src; // Draw: the prediction right above the canvas (features.css)
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
    renderNote(root, view);
    renderWeights();
    renderPrep(root, view, (box) => loadPage(grids, "input", 0, box, { small: true }));
    renderPredictions(root, view);
    if (!light) {
      renderFilters(root, view);
      renderLayers();
    }
    const n = res.layers.length;
    status(`${n} layer${n === 1 ? "" : "s"} · input ${shapeText(res.input.shape)} · click a channel to inspect it`);
  } catch (err) {
    if (my === seq) status(err.message, true);
  }
}

// What the grids need from the view: the request body, the colour scale, the request
// sequence (newer wins), the top-5 (naming the output strip's classes) and the channel dialog.
const grids = {
  body: (extra) => body(extra),
  scale: () => state.scale,
  seq: () => seq,
  top: () => view?.prediction?.top5 ?? null,
  openChannel: (layer, channel) =>
    openChannel($("#fm-detail"), body, layer, channel, view?.layers.find((l) => l.path === layer)?.labels),
};

function renderLayers() {
  observer?.disconnect();
  observer = drawLayers(root, view.layers, grids);
  unetPanel(root, view.layers, grids); // issue 16: encoder | decoder per level
}
