// The designer (issue 3): build a network from a palette, see every layer's shape,
// params and MACs from the server as you type, draw it, save/share/export it.
// State: the spec (undoable), the selected layer, the last /api/shapes report.
// The whole spec lives in the hash (#design/<base64url>) so a link restores it.
import * as api from "../api.js";
import { loadDesign, saveDesign } from "../lib/design_store.js";
import { decodeSpec, encodeSpec } from "../lib/hash_codec.js";
import { History } from "../lib/history.js";
import * as L from "../lib/locks.js";
import * as E from "../lib/spec_edit.js";
import { renderDiagram } from "./design/diagram.js";
import { designActions } from "./design/actions.js";
import { countLayers, foldDeep } from "./design/folding.js";
import { mountFormulaLab } from "./design/formula_lab.js";
import { renderLayerForm } from "./design/layer_form.js";
import { renderLayerList } from "./design/layer_list.js";
import { renderPalette } from "./design/palette.js";
import { skeleton } from "./design/skeleton.js";
import { renderInputEditor, renderLayerStats, renderTotals } from "./design/summary.js";
import { loadPretrained, pretrainedPanel } from "./design/pretrained.js";
import { BLANK, TEMPLATES } from "./design/templates.js";
import { exportAs, fileName, fillStartMenu, share } from "./design/toolbar.js";

const DEBOUNCE_MS = 150;

let st = null; // the mounted view's state; null when unmounted
const act = designActions({
  state: () => st,
  spec: () => spec(),
  load: (s) => load(s),
  relock: (paths) => relock(paths),
  refresh: () => refresh(),
  readOnly: (net) => setReadOnly(net),
});
const { say, onStart, loadZoo, save, copy, refreshSaved } = act;
let kept = null; // the design when the view was left for another tab, restored on return
// The current design is also kept in localStorage, where the feature-map and training
// views pick it up as "the design" (lib/design_store.js), and a reload without a link restores it.

export async function mount(el, hashRest) {
  const ui = skeleton({
    onStart,
    rename: (name) => commit(E.setField(spec(), "", "name", name), { key: "name", keepForm: true }),
    undo: () => {
      st.history.undo();
      refresh();
    },
    redo: () => {
      st.history.redo();
      refresh();
    },
    save,
    copy,
    share: () => share(st.ui, spec(), [...st.locked], say),
    exportAs: (kind) => exportAs(kind, spec(), say),
    fileName: () => fileName(spec()),
  });
  el.replaceChildren(ui.root);
  st = {
    ui,
    types: {},
    network: null,
    history: new History(structuredClone(BLANK)),
    selected: null,
    insertStack: null,
    report: null,
    problem: null,
    seq: 0,
    ctl: null,
    timer: null,
    savedId: null,
    readOnly: null, // another user's shared design, open to read and copy
    lastHash: null,
    collapsed: new Set(), // paths of folded blocks
    locked: new Set(), // layer paths frozen for transfer learning (lib/locks.js)
    pretrained: null, // the pretrained-weights panel (design/pretrained.js)
  };
  document.addEventListener("keydown", onKey);
  const me = st;
  let schemas = null;
  try {
    schemas = await api.layerSchemas();
  } catch (e) {
    ui.status.textContent = `Could not load the layer types: ${e.message}`;
  }
  if (st !== me) return; // left for another view while loading
  st.types = schemas?.types ?? {};
  st.network = schemas?.network ?? null;
  renderPalette(ui.palette, st.types, addLayer);
  loadPretrained().then((data) => {
    if (st !== me) return;
    st.zoo = data.zoo;
    fillStartMenu(ui.start, data); // the zoo, marked with its ImageNet weights (issue 17)
    st.pretrained = pretrainedPanel(ui.pretrained, data, { getSpec: spec, load: (s) => load(s) });
    st.pretrained.show(spec());
  });
  mountFormulaLab(ui.lab);
  const [specText, hashLocks] = L.splitHash(hashRest ?? "");
  const fromHash = specText ? decodeSpec(specText) : null;
  st.locked = new Set(fromHash ? hashLocks : L.storedLocks());
  st.history.reset(fromHash ?? kept ?? loadDesign() ?? structuredClone(BLANK));
  st.collapsed = foldDeep(spec());
  refresh();
  refreshSaved();
}

export function unmount() {
  document.removeEventListener("keydown", onKey);
  kept = st ? spec() : kept;
  st?.ctl?.abort();
  clearTimeout(st?.timer);
  st = null;
}

export function onHash(rest) {
  if (!st || rest === st.lastHash) return;
  const [specText, locks] = L.splitHash(rest);
  const spec = decodeSpec(specText);
  if (spec) {
    st.locked = new Set(locks);
    st.history.reset(spec);
    st.collapsed = foldDeep(spec);
    st.selected = null;
    st.savedId = null;
    setReadOnly(null);
    refresh();
  }
}

const spec = () => st.history.present;

// --- edits --------------------------------------------------------------------------

/** Apply a new spec: one undo step (coalesced by key), the hash, a shapes request. */
function commit(next, { key = null, select, keepForm = false } = {}) {
  st.history.push(next, key);
  if (select !== undefined) st.selected = select;
  refresh({ keepForm });
}

function addLayer(type) {
  const layer = E.newLayer(type, st.types[type]);
  let stack = "layers";
  let index = spec().layers.length;
  if (st.insertStack && E.getAt(spec(), st.insertStack)) {
    stack = st.insertStack;
    index = E.getAt(spec(), stack).length;
  } else if (st.selected && E.exists(spec(), st.selected)) {
    const at = E.splitPath(st.selected);
    stack = at.stack;
    index = at.index + 1;
  }
  relock(L.afterInsert([...st.locked], stack, index));
  commit(E.insertAt(spec(), stack, index, layer), { select: `${stack}.${index}` });
}

const handlers = {
  select(path, { fromDiagram = false } = {}) {
    st.selected = path;
    st.insertStack = null;
    refresh({ noShapes: true, focus: !fromDiagram });
    // on a phone the panels stack: bring the selected layer's settings into view
    if (!fromDiagram && matchMedia("(max-width: 720px)").matches) {
      st.ui.form.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  },
  move(path, delta) {
    const [next, to] = E.moveBy(spec(), path, delta);
    if (to !== path) {
      relock(L.afterMove([...st.locked], path, to));
      commit(next, { select: to });
    }
    focusRow(to);
  },
  moveTo(from, stack, index) {
    if (!from) return;
    const [next, to] = E.moveTo(spec(), from, stack, index);
    if (next !== spec()) {
      relock(L.afterMove([...st.locked], from, to));
      commit(next, { select: to });
    }
  },
  duplicate(path) {
    const { stack, index } = E.splitPath(path);
    relock(L.afterInsert([...st.locked], stack, index + 1));
    commit(E.duplicateAt(spec(), path), { select: `${stack}.${index + 1}` });
  },
  remove(path) {
    const { stack, index } = E.splitPath(path);
    const next = E.removeAt(spec(), path);
    relock(L.afterRemove([...st.locked], path));
    const list = E.getAt(next, stack) ?? [];
    const sel = list.length ? `${stack}.${Math.min(index, list.length - 1)}` : null;
    commit(next, { select: sel });
    if (sel) focusRow(sel);
  },
  fold(path) {
    if (!st.collapsed.delete(path)) st.collapsed.add(path);
    refresh({ noShapes: true });
  },
  target(stackPath) {
    st.insertStack = st.insertStack === stackPath ? null : stackPath;
    refresh({ noShapes: true });
  },
  addBranch(path) {
    commit(E.addBranch(spec(), path));
  },
  removeBranch(path, i) {
    relock(L.afterRemove([...st.locked], `${path}.branches.${i}`));
    commit(E.removeBranch(spec(), path, i));
  },
  lock(path) {
    if (!st.locked.delete(path)) st.locked.add(path);
    refresh({ keepForm: true });
  },
};

/** Locks follow their layers when an edit shifts paths (lib/locks.js). */
function relock(paths) {
  st.locked = new Set(paths);
}

function focusRow(path) {
  requestAnimationFrame(() =>
    st?.ui.list.querySelector(`[data-path="${path}"] > .row-main`)?.focus(),
  );
}

function load(next, { undoable = true } = {}) {
  st.collapsed = foldDeep(next);
  delete st.ui.diagram.dataset.zoom; // a new network opens at a zoom that fits its width
  st.selected = null;
  st.insertStack = null;
  st.savedId = null;
  setReadOnly(null);
  st.locked = new Set();
  if (undoable) commit(next);
  else {
    st.history.reset(next);
    refresh();
  }
}

/** A shared design of another user (`net`) can be read, not changed: its editors are inert
 * and the toolbar offers a copy; null makes the designer editable again. */
function setReadOnly(net) {
  st.readOnly = net ? { id: net.id, name: net.name ?? net.spec?.name ?? "Untitled" } : null;
  const { ui } = st;
  for (const el of [ui.name, ui.palette, ui.main, ui.inspector]) el.inert = Boolean(net);
  ui.save.disabled = Boolean(net);
  ui.undo.disabled = Boolean(net) || !st.history.canUndo;
  ui.redo.disabled = Boolean(net) || !st.history.canRedo;
  ui.root.classList.toggle("read-only", Boolean(net));
  ui.readOnly.hidden = !net;
  ui.readOnlyText.textContent = net ? `“${st.readOnly.name}” is shared with the class: you can look, not change it. ` : "";
}

function onKey(e) {
  if (!st || st.readOnly || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z") return;
  const t = e.target;
  if (t instanceof HTMLInputElement && t.type === "text") return; // the field's own undo
  e.preventDefault();
  if (e.shiftKey) st.history.redo();
  else st.history.undo();
  refresh();
}

// --- rendering ----------------------------------------------------------------------

function refresh({ keepForm = false, keepInput = false, noShapes = false, focus = false } = {}) {
  const s = spec();
  if (st.selected && !E.exists(s, st.selected)) st.selected = null;
  st.locked = new Set(L.pruneLocks([...st.locked], (p) => E.exists(s, p)));
  writeHash(s);
  const { ui } = st;
  if (document.activeElement !== ui.name) ui.name.value = s.name ?? "";
  if (!keepInput) renderInputEditor(ui.input, s, st.network, onInput);
  ui.undo.disabled = !st.history.canUndo || Boolean(st.readOnly);
  ui.redo.disabled = !st.history.canRedo || Boolean(st.readOnly);
  if (!keepForm) {
    const layer = st.selected ? E.getAt(s, st.selected) : null;
    renderLayerForm(ui.form, layer, layer && st.types[layer.type], st.selected, onField);
  }
  renderShapes(focus);
  st.pretrained?.show(s);
  if (!noShapes) requestShapes();
}

/** Everything that depends on the report: rows, totals, diagram, selected stats. */
function renderShapes(focus = false) {
  const s = spec();
  const { ui, report } = st;
  renderLayerList(ui.list, {
    spec: s,
    report,
    selected: st.selected,
    insertStack: st.insertStack,
    collapsed: st.collapsed,
    locked: st.locked,
    types: st.types,
    on: handlers,
    focus,
    starters: [
      ["Small CNN", () => load(structuredClone(TEMPLATES.small_cnn))],
      ["Residual demo", () => load(structuredClone(TEMPLATES.residual_demo))],
      ["LeNet-5 (zoo)", () => loadZoo("lenet5")],
      ["ResNet-18 (zoo)", () => loadZoo("resnet18")],
    ],
  });
  renderTotals(ui.totals, report, st.problem);
  const n = countLayers(s.layers);
  ui.count.textContent = `${n} ${n === 1 ? "layer" : "layers"}`;
  renderDiagram(ui.diagram, {
    spec: s,
    report,
    selected: st.selected,
    collapsed: st.collapsed,
    onSelect: (path) => handlers.select(path, { fromDiagram: true }),
    onFold: handlers.fold,
  });
  const row = report?.layers.find((r) => r.path === st.selected);
  const err = report?.error?.layer === st.selected ? report.error : null;
  renderLayerStats(ui.stats, row, err);
}

function onField(key, value) {
  commit(E.setField(spec(), st.selected, key, value), {
    key: `${st.selected}/${key}`,
    keepForm: true,
  });
}

function onInput(key, value) {
  commit(E.setInput(spec(), key, value), { key: `input/${key}`, keepInput: true });
}

function writeHash(s) {
  const enc = encodeSpec(s) + L.lockSuffix([...st.locked]);
  st.lastHash = enc;
  saveDesign(s);
  L.storeLocks([...st.locked]);
  const want = `#design/${enc}`;
  if (location.hash !== want) history.replaceState(null, "", want);
}

/** Debounced; an older answer arriving late is dropped (abort + sequence number). */
function requestShapes() {
  clearTimeout(st.timer);
  st.timer = setTimeout(async () => {
    if (!st) return;
    const mine = ++st.seq;
    st.ctl?.abort();
    st.ctl = new AbortController();
    try {
      const opts = { signal: st.ctl.signal };
      const r = st.locked.size
        ? await api.shapesFrozen(spec(), [...st.locked], opts)
        : await api.shapes(spec(), opts);
      if (!st || mine !== st.seq) return;
      st.report = r;
      st.problem = null;
    } catch (e) {
      if (e.name === "AbortError" || !st || mine !== st.seq) return;
      st.report = null;
      st.problem = e.message;
    }
    renderShapes();
  }, DEBOUNCE_MS);
}
