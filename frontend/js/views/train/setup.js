// The Train view's setup form: network, dataset, hyperparameters, gradient-flow probe.
// `setupForm()` builds it; `readConfig(form)` reads the TrainConfig it describes.
import { h } from "../../dom.js";
import { loadDesign } from "../../lib/design_store.js";
import { datasetPicker } from "./datasets.js";
import { probeConfig, probeField } from "./gradflow.js";

const MAX_PARAMS = 5_000_000; // the server's CNNPLAY_MAX_TRAIN_PARAMS default
const OPTIONS = {
  optimizer: ["adam", "adamw", "sgd", "momentum", "rmsprop"],
  loss: ["cross_entropy", "mse"],
  init: ["default", "xavier", "kaiming", "normal", "zeros"],
  normalize: ["standardize", "scale", "none"],
  l2_mode: ["penalty", "weight_decay"],
};
const DEFAULTS = { batch_size: 64, epochs: 2, lr: 0.001, l1: 0, l2: 0, seed: 0 };

function field(label, input, hint) {
  return h("label", { class: "field" }, [h("span", {}, label), input, hint ? h("small", { class: "muted" }, hint) : null]);
}

function select(name, values, value, labels = {}) {
  return h(
    "select",
    { name },
    values.map((v) => h("option", { value: v, selected: v === value }, labels[v] ?? v.replace("_", " "))),
  );
}

function number(name, value, attrs = {}) {
  return h("input", { name, type: "number", value, ...attrs });
}

/** The form for `zoo` (1-channel nets small enough to train) and `datasets`; `on`: start(),
 * stop(), datasets(list) when the picker's list changes. */
export function setupForm(zoo, datasets, on) {
  const nets = zoo.filter((z) => z.input_shape[0] === 1 && z.params <= MAX_PARAMS);
  const design = loadDesign();
  const netSelect = h("select", { name: "network" }, [
    design ? h("option", { value: "design:" }, `Your design: ${design.name ?? "Untitled"}`) : null,
    ...nets.map((z) =>
      h("option", { value: `zoo:${z.name}`, selected: z.name === "mlp" && !design }, `${z.title} (${z.params.toLocaleString()} params)`),
    ),
  ]);
  // Every dataset with its status, Download and zip upload (issue 6).
  const picker = datasetPicker(datasets, { onChange: (list) => { datasets = list; on.datasets(list); showIters(form, datasets); } });
  const form = h("form", { class: "train-form", onsubmit: (e) => { e.preventDefault(); on.start(); } }, [
    h("h2", {}, "Set up a run"),
    field("Network", netSelect),
    field("Dataset", picker.select),
    picker.panel,
    h("div", { class: "row2" }, [
      field("Batch size", number("batch_size", DEFAULTS.batch_size, { min: 1, max: 4096 })),
      field("Epochs", number("epochs", DEFAULTS.epochs, { min: 1, max: 100 })),
    ]),
    field("Validation split", number("val_split", "", { step: 0.01, min: 0.05, max: 0.5, placeholder: "dataset's own" }), h("span", { "data-testid": "split-sizes" })),
    h("p", { class: "iters muted", "data-testid": "iters-per-epoch" }),
    h("div", { class: "row2" }, [
      field("Learning rate", number("lr", DEFAULTS.lr, { step: "any", min: 0 })),
      field("Optimizer", select("optimizer", OPTIONS.optimizer, "adam", { sgd: "SGD", momentum: "SGD + momentum", rmsprop: "RMSprop", adam: "Adam", adamw: "AdamW" })),
    ]),
    h("div", { class: "row2" }, [
      field("Loss", select("loss", OPTIONS.loss, "cross_entropy", { cross_entropy: "cross-entropy", mse: "MSE on one-hot" })),
      field("Init", select("init", OPTIONS.init, "default", { default: "PyTorch default" })),
    ]),
    h("div", { class: "row2" }, [
      field("L1", number("l1", DEFAULTS.l1, { step: "any", min: 0 })),
      field("L2", number("l2", DEFAULTS.l2, { step: "any", min: 0 })),
    ]),
    h("div", { class: "row2" }, [
      field("L2 as", select("l2_mode", OPTIONS.l2_mode, "penalty", { penalty: "loss penalty", weight_decay: "weight decay" })),
      field("Inputs", select("normalize", OPTIONS.normalize, "standardize", { standardize: "standardize", scale: "scale to [0, 1]", none: "raw pixels" })),
    ]),
    field("Seed", number("seed", DEFAULTS.seed, { min: 0 })),
    probeField(), // issue 8: gradient flow
    h("div", { class: "actions" }, [
      h("button", { class: "primary", type: "submit", "data-testid": "start" }, "Start training"),
      h("button", { type: "button", "data-testid": "stop", disabled: true, onclick: on.stop }, "Stop"),
    ]),
    h("p", { class: "error", role: "alert", hidden: true }),
  ]);
  const update = () => showIters(form, datasets);
  form.addEventListener("input", update);
  return { form, picker, showIters: update };
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
    init: f.get("init"),
    l1: num("l1"),
    l2: num("l2"),
    l2_mode: f.get("l2_mode"),
    normalize: f.get("normalize"),
    seed: num("seed"),
    val_split: f.get("val_split") ? num("val_split") : null, // null: the dataset's own split
    ...probeConfig(f),
  };
}

/** The split sizes and iterations per epoch under the form, as the settings change. */
function showIters(form, datasets) {
  const c = readConfig(form);
  const d = datasets.find((x) => x.name === c.dataset);
  const el = form.querySelector(".iters");
  const sizes = d && splitSizes(d, c.val_split);
  form.querySelector("[data-testid=split-sizes]").textContent = sizes
    ? `${sizes[0].toLocaleString()} train / ${sizes[1].toLocaleString()} held out`
    : d ? "a fraction from 0.05 to 0.5, or empty" : "";
  if (!sizes || !(c.batch_size > 0)) {
    el.textContent = "";
    return;
  }
  const per = Math.ceil(sizes[0] / c.batch_size);
  el.textContent = `${per.toLocaleString()} iterations per epoch = ceil(${sizes[0].toLocaleString()} samples / ${c.batch_size}); ${(per * (c.epochs || 0)).toLocaleString()} in all`;
}

// [train, held out] for a validation split (null: the dataset's own; out of range: null):
// the two parts pooled, fraction * total held out, rounded half up (datasets.held_count).
function splitSizes(d, fraction) {
  if (fraction == null) return [d.train_size, d.val_size];
  if (!(fraction >= 0.05 && fraction <= 0.5)) return null;
  const total = d.train_size + d.val_size;
  const held = Math.floor(total * fraction + 0.5);
  return [total - held, held];
}
