// The Train view's setup form: network, dataset, hyperparameters, gradient-flow probe.
// `setupForm()` builds it; `readConfig(form)` reads the TrainConfig it describes. Options,
// defaults, bounds and the parameter limit come from the server (GET /api/train/schema,
// issue 12), never repeated here.
import { h } from "../../dom.js";
import { loadDesign } from "../../lib/design_store.js";
import { datasetPicker } from "./datasets.js";
import { datasetFor, SEGMENTATION, taskOf } from "./masks.js";
import { probeConfig, probeField } from "./gradflow.js";
import { insideField } from "./inside.js";

/** A TrainConfig field's rule in the schema: {enum?, minimum?, maximum?, default}; an
 * optional field (anyOf [..., null]) gives its non-null branch. */
export function rule(schema, name) {
  const p = schema.properties[name];
  const plain = p.anyOf ? p.anyOf.find((x) => x.type !== "null") : p;
  return { ...plain, default: p.default };
}

function field(label, input, hint) {
  return h("label", { class: "field" }, [h("span", {}, label), input, hint ? h("small", { class: "muted" }, hint) : null]);
}

function select(schema, name, labels = {}) {
  const r = rule(schema, name);
  return h(
    "select",
    { name },
    r.enum.map((v) => h("option", { value: v, selected: v === r.default }, labels[v] ?? v.replace("_", " "))),
  );
}

// A number input with the field's default and bounds (gt 0 shows as min 0).
function number(schema, name, attrs = {}) {
  const r = rule(schema, name);
  const min = r.minimum ?? r.exclusiveMinimum;
  return h("input", { name, type: "number", value: r.default ?? "", min, max: r.maximum, ...attrs });
}

export const DEFAULT_NET = "lenet5_mnist";
export const DEFAULT_DATA = "mnist";

/** The form for `zoo` (1-channel nets small enough to train) and `datasets` under the
 * server's `schema` (GET /api/train/schema); `on`: start(), stop(), datasets(list) when the
 * picker's list changes. */
export function setupForm(zoo, datasets, schema, on) {
  const inside = insideField(); // issue 19: snapshots and their probe
  const maxParams = schema["x-limits"].max_train_params; // CNNPLAY_MAX_TRAIN_PARAMS
  // 1-channel nets, and segmentation nets (3-channel U-Net, issue 16).
  const nets = zoo.filter((z) => (z.input_shape[0] === 1 || taskOf(z) === SEGMENTATION) && z.params <= maxParams);
  // A first Start must train: LeNet-5 on MNIST, unless the designer holds a valid design
  // (the view selects it once /api/shapes says so: preferDesign()).
  const design = loadDesign();
  const netSelect = h("select", { name: "network", "data-testid": "network", onchange: () => matchDataset() }, [
    design ? h("option", { value: "design:" }, `Your design: ${design.name ?? "Untitled"}`) : null,
    ...nets.map((z) =>
      h("option", { value: `zoo:${z.name}`, selected: z.name === DEFAULT_NET }, `${z.title} (${z.params.toLocaleString()} params)`),
    ),
  ]);
  // Every dataset with its status, Download and zip upload (issue 6).
  const split = rule(schema, "val_split");
  const picker = datasetPicker(datasets, { value: DEFAULT_DATA, onChange: (list) => { datasets = list; on.datasets(list); showIters(form, datasets, split); } });
  const form = h("form", { class: "train-form", onsubmit: (e) => { e.preventDefault(); on.start(); } }, [
    h("h2", {}, "Set up a run"),
    field("Network", netSelect),
    field("Dataset", picker.select),
    picker.panel,
    h("div", { class: "row2" }, [
      field("Batch size", number(schema, "batch_size")),
      field("Epochs", number(schema, "epochs")),
    ]),
    field("Validation split", number(schema, "val_split", { step: 0.01, placeholder: "dataset's own" }), h("span", { "data-testid": "split-sizes" })),
    h("p", { class: "iters muted", "data-testid": "iters-per-epoch" }),
    h("div", { class: "row2" }, [
      field("Learning rate", number(schema, "lr", { step: "any" })),
      field("Optimizer", select(schema, "optimizer", { sgd: "SGD", momentum: "SGD + momentum", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" })),
    ]),
    h("div", { class: "row2" }, [
      field("Loss", select(schema, "loss", { cross_entropy: "cross-entropy", mse: "MSE on one-hot" })),
      field("Init", select(schema, "init", { default: "PyTorch default" })),
    ]),
    // issue 16: rare classes (a mask's thin lines) weighed up in the cross-entropy.
    field("Class weights", select(schema, "class_weights", { none: "none", inverse_sqrt: "1/√(class share)" })),
    h("div", { class: "row2" }, [
      field("L1", number(schema, "l1", { step: "any" })),
      field("L2", number(schema, "l2", { step: "any" })),
    ]),
    h("div", { class: "row2" }, [
      field("L2 as", select(schema, "l2_mode", { penalty: "loss penalty", weight_decay: "weight decay" })),
      field("Inputs", select(schema, "normalize", { standardize: "standardize", scale: "scale to [0, 1]", none: "raw pixels" })),
    ]),
    field("Seed", number(schema, "seed")),
    probeField(), // issue 8: gradient flow
    inside.el,
    h("div", { class: "actions" }, [
      h("button", { class: "primary", type: "submit", "data-testid": "start" }, "Start training"),
      h("button", { type: "button", "data-testid": "stop", disabled: true, onclick: on.stop }, "Stop"),
    ]),
    h("p", { class: "error", role: "alert", hidden: true }),
  ]);
  form.insideConfig = inside.read;
  const update = () => showIters(form, datasets, split);
  // A segmentation network wants a dataset of masks, a classifier one of labels (issue 16).
  // A zoo net's own starting settings (its `train` in GET /api/zoo, e.g. the U-Net's
  // measured recipe, issue 16); fields a previous net set go back to the schema's default.
  let preset = {};
  function applyPreset(z) {
    for (const name of Object.keys(preset)) setField(name, rule(schema, name).default);
    preset = z?.train ?? {};
    for (const [name, value] of Object.entries(preset)) setField(name, value);
  }
  function setField(name, value) {
    const el = form.elements.namedItem(name);
    if (el && value !== undefined) el.value = String(value);
  }
  function matchDataset() {
    const z = nets.find((n) => `zoo:${n.name}` === netSelect.value);
    applyPreset(z);
    const d = z && datasetFor(taskOf(z), picker.current(), datasets);
    if (!d) return;
    picker.select.value = d.name;
    picker.select.dispatchEvent(new Event("change"));
    update();
  }
  form.addEventListener("input", update);
  /** Select the design when its shapes work out; else mark why it is not the default. */
  function preferDesign(report) {
    const opt = netSelect.querySelector('option[value="design:"]');
    if (!opt) return;
    const ok = report?.valid && design.layers?.length;
    if (ok) netSelect.value = "design:";
    else opt.textContent += design.layers?.length ? " (its shapes do not work out)" : " (empty)";
    netSelect.dispatchEvent(new Event("change", { bubbles: true })); // the hints and the hash
  }
  return { form, picker, showIters: update, preferDesign };
}

/** The TrainConfig the form describes. */
export function readConfig(form) {
  const f = new FormData(form);
  const num = (k) => Number(f.get(k));
  return {
    dataset: f.get("dataset"),
    batch_size: num("batch_size"),
    epochs: num("epochs"),
    lr: num("lr"),
    optimizer: f.get("optimizer"),
    loss: f.get("loss"),
    class_weights: f.get("class_weights"),
    init: f.get("init"),
    l1: num("l1"),
    l2: num("l2"),
    l2_mode: f.get("l2_mode"),
    normalize: f.get("normalize"),
    seed: num("seed"),
    val_split: f.get("val_split") ? num("val_split") : null, // null: the dataset's own split
    ...probeConfig(f),
    ...(form.insideConfig?.(f) ?? {}),
  };
}

/** The split sizes and iterations per epoch under the form, as the settings change. */
function showIters(form, datasets, split) {
  const c = readConfig(form);
  const d = datasets.find((x) => x.name === c.dataset);
  const el = form.querySelector(".iters");
  const sizes = d && splitSizes(d, c.val_split, split);
  form.querySelector("[data-testid=split-sizes]").textContent = sizes
    ? `${sizes[0].toLocaleString()} train / ${sizes[1].toLocaleString()} held out`
    : d ? `a fraction from ${split.minimum} to ${split.maximum}, or empty` : "";
  if (!sizes || !(c.batch_size > 0)) {
    el.textContent = "";
    return;
  }
  const per = Math.ceil(sizes[0] / c.batch_size);
  el.textContent = `${per.toLocaleString()} iterations per epoch = ceil(${sizes[0].toLocaleString()} samples / ${c.batch_size}); ${(per * (c.epochs || 0)).toLocaleString()} in all`;
}

// [train, held out] for a validation split (null: the dataset's own; outside the schema's
// bounds: null): the two parts pooled, fraction * total held out, rounded half up
// (subsets.held_count).
function splitSizes(d, fraction, split) {
  if (fraction == null) return [d.train_size, d.val_size];
  if (!(fraction >= split.minimum && fraction <= split.maximum)) return null;
  const total = d.train_size + d.val_size;
  const held = Math.floor(total * fraction + 0.5);
  return [total - held, held];
}
