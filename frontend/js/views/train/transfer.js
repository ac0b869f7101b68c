// Transfer learning section of the Train view (issue 7): start from shipped weights
// trained on a source task (digits 0-4), train on a few images of a target task (digits
// 5-9) in one of three modes, and race it against the same network from scratch.
import * as api from "../../api.js";
import { h } from "./dom.js";

const TARGET = { label: "MNIST digits 5-9", classes: [5, 6, 7, 8, 9] };
const PER_CLASS = [10, 50, 500];
const FINISHED = ["done", "failed", "cancelled", "diverged"];
const MODES = {
  frozen: {
    title: "Frozen feature extractor",
    hint: "Only the classifier trains; every conv stage keeps its pretrained filters.",
  },
  later: {
    title: "Fine-tune the later layers",
    hint: "The first conv stage (generic strokes and edges) stays frozen; the rest adapts.",
  },
  all: {
    title: "Fine-tune everything, smaller learning rate",
    hint: "Nothing frozen; pretrained layers learn at lr / 10, the new head at lr.",
  },
};
// The textbook's four scenarios: target data size x similarity to the source problem.
const GUIDE = [
  { data: "Little data", problem: "similar problem", mode: "frozen", why: "fine-tuning would overfit; the source features already fit" },
  { data: "Much data", problem: "similar problem", mode: "all", why: "enough data to adapt every layer without overfitting" },
  { data: "Little data", problem: "different problem", mode: "later", why: "keep only the generic early filters, retrain the specific ones" },
  { data: "Much data", problem: "different problem", mode: "all", why: "pretrained weights are still a better start than random ones" },
];

// Top-level layers up to and including the first flatten (server: feature_extractor_paths).
function featurePaths(spec) {
  const types = spec.layers.map((l) => l.type);
  const end = types.includes("flatten") ? types.indexOf("flatten") + 1 : types.length - 1;
  return types.slice(0, end).map((_, i) => `layers.${i}`);
}

// The first conv stage: layers up to and including the first pooling layer after a conv.
function firstStagePaths(spec) {
  const types = spec.layers.map((l) => l.type);
  const conv = types.findIndex((t) => t.startsWith("conv"));
  if (conv < 0) return [];
  const pool = types.findIndex((t, i) => i > conv && t.includes("pool"));
  const end = pool < 0 ? conv + 1 : pool + 1;
  return types.slice(0, end).map((_, i) => `layers.${i}`);
}

function frozenFor(mode, spec) {
  if (mode === "frozen") return featurePaths(spec);
  if (mode === "later") return firstStagePaths(spec);
  return [];
}

// The zoo network with its last linear layer resized to the target's number of classes.
function withHead(spec, k) {
  const out = structuredClone(spec);
  const last = out.layers.findLastIndex((l) => l.type === "linear");
  out.layers[last] = { ...out.layers[last], out_features: k };
  return out;
}

const pct = (x) => (x == null ? "n/a" : `${(100 * x).toFixed(1)}%`);

function lead(t, s) {
  const d = 100 * (t - s);
  if (Math.abs(d) < 0.05) return "a tie";
  return `${d > 0 ? "transfer" : "scratch"} ahead by ${Math.abs(d).toFixed(1)} points`;
}

// hooks: {follow(id, name), refreshRuns(), compareRuns(ids)} from the Train view.
export function transferSection(hooks) {
  const state = { nets: [], zoo: new Map(), spec: null, busy: false };
  const q = (s) => el.querySelector(s);
  const netSelect = h("select", { name: "pretrained", "data-testid": "pretrained", onchange: () => refresh() });
  const perClass = h(
    "div",
    { class: "seg", role: "radiogroup", "aria-label": "Target images per class" },
    PER_CLASS.map((n) =>
      h("label", {}, [h("input", { type: "radio", name: "per_class", value: n, checked: n === 10, onchange: () => refresh() }), h("span", {}, String(n))]),
    ),
  );
  const modes = h(
    "div",
    { class: "modes", role: "radiogroup", "aria-label": "Transfer mode" },
    Object.entries(MODES).map(([key, m]) =>
      h("label", { class: "mode" }, [
        h("input", { type: "radio", name: "mode", value: key, checked: key === "frozen", onchange: () => refresh() }),
        h("span", { class: "mode-title" }, m.title),
        h("small", { class: "muted" }, m.hint),
      ]),
    ),
  );
  const num = (name, value, attrs) => h("input", { name, type: "number", value, ...attrs });
  const guide = h("div", { class: "guide" }, [
    h("h3", {}, "Which mode? A guide"),
    h(
      "div",
      { class: "guide-grid" },
      GUIDE.map((g, i) =>
        h("button", { type: "button", class: `guide-card${i === 0 ? " preset" : ""}`, "data-mode": g.mode, onclick: () => pickMode(g.mode) }, [
          h("strong", {}, `${g.data}, ${g.problem}`),
          h("span", { class: "guide-mode" }, MODES[g.mode].title),
          h("small", { class: "muted" }, g.why),
          i === 0 ? h("span", { class: "badge" }, "this preset: digits 0-4 -> 5-9") : null,
        ]),
      ),
    ),
  ]);
  const el = h("section", { class: "panel train-transfer", "data-testid": "transfer" }, [
    h("div", { class: "live-head" }, [
      h("h2", {}, "Transfer learning"),
      h("span", { class: "muted" }, "reuse a network trained on another task"),
    ]),
    h("div", { class: "transfer-grid" }, [
      h("div", { class: "transfer-form train-form" }, [
        h("label", { class: "field" }, [h("span", {}, "Pretrained network"), netSelect, h("small", { class: "muted source" })]),
        h("label", { class: "field" }, [h("span", {}, "Target task"), h("select", { name: "target" }, h("option", {}, TARGET.label))]),
        h("div", { class: "field" }, [h("span", {}, "Target images per class"), perClass]),
        h("div", { class: "field" }, [h("span", {}, "Mode"), modes]),
        h("div", { class: "row2" }, [
          h("label", { class: "field" }, [h("span", {}, "Epochs"), num("t_epochs", 5, { min: 1, max: 50 })]),
          h("label", { class: "field" }, [h("span", {}, "Learning rate"), num("t_lr", 0.003, { step: "any", min: 0 })]),
        ]),
        h("div", { class: "row2" }, [
          h("label", { class: "field" }, [h("span", {}, "Batch size"), num("t_batch", 25, { min: 1, max: 4096 })]),
          h("label", { class: "field" }, [h("span", {}, "Seed"), num("t_seed", 0, { min: 0 })]),
        ]),
        h("button", { type: "button", class: "primary", "data-testid": "run-transfer", onclick: () => run() }, "Run transfer vs. from scratch"),
        h("p", { class: "error", role: "alert", hidden: true }),
      ]),
      h("div", { class: "transfer-info" }, [
        h("h3", {}, "What this mode freezes"),
        h("div", { class: "counts", "data-testid": "param-counts" }),
        h("div", { class: "frozen-paths", "data-testid": "frozen-paths" }),
        h("p", { class: "muted note" }, "Frozen batch-norm layers keep their running statistics: they normalise with the source task's mean and variance and do not update them."),
        h("div", { class: "verdict", "data-testid": "verdict", hidden: true }),
        guide,
      ]),
    ]),
  ]);

  function field(name) {
    return el.querySelector(`[name="${name}"]`);
  }

  function choice() {
    const n = Number(el.querySelector('input[name="per_class"]:checked').value);
    const mode = el.querySelector('input[name="mode"]:checked').value;
    return { n, mode, net: state.nets.find((x) => x.name === netSelect.value) };
  }

  function pickMode(mode) {
    el.querySelector(`input[name="mode"][value="${mode}"]`).checked = true;
    refresh();
  }

  function setError(text) {
    const e = q(".error");
    e.hidden = !text;
    e.textContent = text ?? "";
  }

  async function specFor(net) {
    if (!state.zoo.has(net.zoo)) state.zoo.set(net.zoo, await api.zooSpec(net.zoo));
    return withHead(state.zoo.get(net.zoo), TARGET.classes.length);
  }

  async function refresh() {
    const { mode, net } = choice();
    if (!net) return;
    const overlap = net.classes.filter((c) => TARGET.classes.includes(c));
    q(".source").textContent =
      `Trained on ${net.source_data} (${net.train_size?.toLocaleString() ?? "?"} images), ${pct(net.heldout_accuracy)} held-out accuracy` +
      (overlap.length ? `. It has already seen the target digits.` : "");
    el.querySelectorAll(".guide-card").forEach((c) => c.classList.toggle("active", c.dataset.mode === mode));
    try {
      const spec = await specFor(net);
      state.spec = spec;
      const frozen = frozenFor(mode, spec);
      const report = await api.shapesFrozen(spec, frozen);
      const frozenCount = report.total_params - report.trainable_params;
      q(".counts").replaceChildren(
        h("div", { class: "count" }, [h("span", { class: "value" }, report.trainable_params.toLocaleString()), h("small", {}, "trainable parameters")]),
        h("div", { class: "count frozen" }, [h("span", { class: "value" }, frozenCount.toLocaleString()), h("small", {}, "frozen parameters")]),
      );
      const types = Object.fromEntries(report.layers.map((l) => [l.path, l.type]));
      q(".frozen-paths").replaceChildren(
        frozen.length
          ? h("div", { class: "chips" }, frozen.map((p) => h("code", { class: "chip" }, `${p} ${types[p] ?? ""}`)))
          : h("p", { class: "muted" }, `No layer is frozen; pretrained layers train at lr / 10 = ${lrNow() / 10}.`),
      );
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }

  function lrNow() {
    return Number(field("t_lr").value);
  }

  function configs(n, mode, net) {
    const common = {
      dataset: "mnist",
      classes: TARGET.classes,
      per_class: n,
      epochs: Number(field("t_epochs").value),
      batch_size: Number(field("t_batch").value),
      lr: lrNow(),
      seed: Number(field("t_seed").value),
    };
    const transfer = { ...common, init_from: net.name, frozen: frozenFor(mode, state.spec) };
    if (mode === "all") transfer.pretrained_lr = lrNow() / 10;
    return { transfer, scratch: common };
  }

  async function run() {
    if (state.busy) return;
    const { n, mode, net } = choice();
    if (!net || !state.spec) return;
    setError(null);
    state.busy = true;
    const button = q('[data-testid="run-transfer"]');
    button.disabled = true;
    const verdict = q(".verdict");
    verdict.hidden = false;
    verdict.className = "verdict muted";
    verdict.textContent = "Training both networks...";
    try {
      const c = configs(n, mode, net);
      const tName = `Transfer: ${MODES[mode].title.toLowerCase()} (${n}/class)`;
      const sName = `From scratch (${n}/class)`;
      const t = await api.startRun({ ...state.spec, name: tName }, c.transfer);
      const s = await api.startRun({ ...state.spec, name: sName }, c.scratch);
      hooks.follow(t.id, tName);
      await hooks.refreshRuns();
      const [tr, sc] = await Promise.all([waitEnd(t.id), waitEnd(s.id)]);
      await hooks.compareRuns([t.id, s.id]);
      verdict.className = "verdict";
      verdict.replaceChildren(
        h("strong", {}, `transfer: ${pct(tr.accuracy)} vs scratch: ${pct(sc.accuracy)}`),
        h("span", { class: "lead" }, ` ${lead(tr.accuracy, sc.accuracy)}.`),
        h("small", { class: "muted" }, ` held-out accuracy on digits 5-9 after ${c.scratch.epochs} epoch(s) on ${n} images per digit; curves overlaid under Runs.`),
      );
    } catch (err) {
      verdict.hidden = true;
      setError(err.message);
    } finally {
      state.busy = false;
      button.disabled = false;
    }
  }

  async function waitEnd(id) {
    for (;;) {
      const r = await api.getRun(id);
      if (FINISHED.includes(r.status)) {
        if (r.status !== "done") throw new Error(`${r.network}: ${r.status}${r.message ? ` (${r.message})` : ""}`);
        return r;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  async function load() {
    try {
      state.nets = await api.pretrainedList();
      netSelect.replaceChildren(
        ...state.nets.map((x) => h("option", { value: x.name, selected: x.name === "mnist_cnn_digits04" }, `${x.name} (${x.source_data})`)),
      );
      field("t_lr").addEventListener("change", refresh);
      await refresh();
    } catch (err) {
      setError(err.message);
    }
  }

  load();
  return el;
}
