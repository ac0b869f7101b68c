// Transfer learning section of the Train view (issue 7): start from shipped weights
// trained on a source task (digits 0-4), train on a few images of a target task (digits
// 5-9, scikit-learn's digits, the synthetic shapes, your own upload) in one of three
// modes, and race it against the same network from scratch. ImageNet networks (issue 17)
// are sources too, once downloaded (a Download button here); they train alone: the same
// network from scratch is past the training limit. Frozen paths and the new head come from
// the server (POST /api/transfer/plan).
import * as api from "../../api.js";
import { isFinished } from "../../lib/runs.js";
import { encodeSpec } from "../../lib/hash_codec.js";
import { lockSuffix } from "../../lib/locks.js";
import { h } from "../../dom.js";
import { percent } from "../../lib/format.js";
import { DIGITS_5_9, GUIDE, MODES, PER_CLASS, PRESET_NET, STEPS_FOR } from "./transfer_guide.js";
import { raceProgress } from "./race.js";
import { designerLocks } from "./transfer_paths.js";

const pct = (x) => (x == null ? "n/a" : percent(x));

function lead(t, s) {
  const d = 100 * (t - s);
  if (Math.abs(d) < 0.05) return "a tie";
  return `${d > 0 ? "transfer" : "scratch"} ahead by ${Math.abs(d).toFixed(1)} points`;
}

/** Target tasks from the dataset list: digits 5-9 first, then every ready set that a
 * 1- or 3-channel network can read (grey <-> RGB is converted by the server). */
function targetsFrom(list) {
  const out = [DIGITS_5_9];
  for (const d of list ?? []) {
    if (d.name === "mnist" || (d.status && d.status !== "ready")) continue;
    if (d.channels != null && ![1, 3].includes(d.channels)) continue;
    const names = d.class_names?.length ? `: ${d.class_names.slice(0, 6).join(", ")}${d.class_names.length > 6 ? ", ..." : ""}` : "";
    out.push({
      key: d.name,
      label: `${d.title ?? d.name} (${d.num_classes} classes${names})`,
      short: d.name.startsWith("upload:") ? `your images (${d.title ?? d.name})` : d.name,
      dataset: d.name,
      classes: null,
      k: d.num_classes,
      trainSize: d.train_size,
    });
  }
  return out;
}

// hooks: {follow(id, name), refreshRuns(), compareRuns(ids)} from the Train view.
export function transferSection(hooks) {
  const state = { nets: [], spec: null, frozen: [], pretrainedLr: null, busy: false, targets: [DIGITS_5_9] };
  const q = (s) => el.querySelector(s);
  const netSelect = h("select", { name: "pretrained", "data-testid": "pretrained", onchange: () => refresh() });
  const targetSelect = h("select", { name: "target", "data-testid": "target", onchange: () => pickSize(choice().n) }, h("option", { value: DIGITS_5_9.key }, DIGITS_5_9.label));
  const perClass = h(
    "div",
    { class: "seg", role: "radiogroup", "aria-label": "Target images per class" },
    PER_CLASS.map((n) =>
      h("label", {}, [h("input", { type: "radio", name: "per_class", value: n, checked: n === 10, onchange: () => pickSize(n) }), h("span", {}, String(n))]),
    ),
  );
  const modes = h(
    "div",
    { class: "modes", role: "radiogroup", "aria-label": "Transfer mode" },
    Object.entries(MODES).map(([key, m]) =>
      h("label", { class: "mode" }, [
        h("input", { type: "radio", name: "mode", value: key, checked: key === GUIDE[0].mode, onchange: () => refresh() }),
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
        h("button", { type: "button", class: `guide-card${i === 0 ? " preset" : ""}`, "data-mode": g.mode, title: "Set this up and run it", onclick: () => pickScenario(g) }, [
          h("strong", {}, `${g.data}, ${g.problem}`),
          h("span", { class: "guide-mode" }, MODES[g.mode].title),
          h("small", { class: "muted" }, g.why),
          g.measured ? h("small", { class: "measured" }, g.measured) : null,
          i === 0 ? h("span", { class: "badge" }, "the preset: digits 0-4 -> 5-9, 10 per class") : null,
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
        h("div", { class: "download", "data-testid": "imagenet-download", hidden: true }),
        h("label", { class: "field" }, [h("span", {}, "Target task"), targetSelect, h("small", { class: "muted target-note" })]),
        h("div", { class: "field" }, [h("span", {}, "Target images per class"), perClass]),
        h("div", { class: "field" }, [h("span", {}, "Mode"), modes]),
        h("div", { class: "row2" }, [
          h("label", { class: "field" }, [h("span", {}, "Epochs"), num("t_epochs", 40, { min: 1, max: 100, onchange: () => showSteps() })]),
          h("label", { class: "field" }, [h("span", {}, "Learning rate"), num("t_lr", 0.003, { step: "any", min: 0 })]),
        ]),
        h("div", { class: "row2" }, [
          h("label", { class: "field" }, [h("span", {}, "Batch size"), num("t_batch", 25, { min: 1, max: 4096, onchange: () => showSteps() })]),
          h("label", { class: "field" }, [h("span", {}, "Seed"), num("t_seed", 0, { min: 0 })]),
        ]),
        h("small", { class: "muted steps", "data-testid": "steps" }),
        h("button", { type: "button", class: "primary", "data-testid": "run-transfer", onclick: () => run() }, "Run transfer vs. from scratch"),
        h("p", { class: "error", role: "alert", hidden: true }),
      ]),
      h("div", { class: "transfer-info" }, [
        h("h3", {}, "What this mode freezes"),
        h("div", { class: "counts", "data-testid": "param-counts" }),
        h("div", { class: "frozen-paths", "data-testid": "frozen-paths" }),
        h("div", { class: "locks-from", "data-testid": "locks-from" }),
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
    const target = state.targets.find((t) => t.key === targetSelect.value) ?? DIGITS_5_9;
    return { n, mode, target, net: state.nets.find((x) => x.name === netSelect.value) };
  }

  function pickSize(n, silent = false) {
    el.querySelector(`input[name="per_class"][value="${n}"]`).checked = true;
    setEpochs();
    if (!silent) refresh();
  }

  /** Training images and steps per epoch of the chosen target and size. */
  function sizes() {
    const { n, target } = choice();
    const images = Math.min(n * target.k, target.trainSize ?? Infinity);
    return { images, perEpoch: Math.ceil(images / Math.max(1, Number(field("t_batch").value))) };
  }

  function setEpochs() {
    const { n } = choice();
    field("t_epochs").value = Math.min(100, Math.max(1, Math.round(STEPS_FOR[n] / sizes().perEpoch)));
  }

  // A guide card sets the target (digits 5-9 is similar to the source task, scikit-learn's
  // 8x8 digits look different), the data size and the mode, and runs the race: one click.
  // A click before the section's first load (the network list) waits for it.
  async function pickScenario(g) {
    await loaded;
    if (state.busy) return;
    if (state.targets.some((t) => t.key === g.target)) targetSelect.value = g.target;
    if (state.nets.some((x) => x.name === PRESET_NET)) netSelect.value = PRESET_NET;
    pickSize(g.n, true);
    el.querySelector(`input[name="mode"][value="${g.mode}"]`).checked = true;
    await refresh();
    await run();
  }

  /** Steps per run: both runs take exactly as many, whatever the mode. */
  function showSteps() {
    const { images, perEpoch } = sizes(); // per_class caps each class; a class may have fewer
    const epochs = Number(field("t_epochs").value);
    q(".steps").textContent = `Up to ${images.toLocaleString()} training images: ${epochs} epoch(s) x ${perEpoch} step(s) = ${(epochs * perEpoch).toLocaleString()} steps for each run.`;
  }

  function setError(text) {
    const e = q(".error");
    e.hidden = !text;
    e.textContent = text ?? "";
  }

  // The server's plan for this mode; in "later", the designer's locks win when the stored
  // design is this network.
  async function planFor(mode, net, k) {
    const plan = await api.transferPlan({ source: net.name, mode, classes: k, lr: lrNow() });
    const mine = mode === "later" ? designerLocks(plan.spec) : null;
    const frozen = mine ? { paths: mine, from: "designer" } : { paths: plan.frozen, from: mode === "later" ? "default" : null };
    return { plan, frozen };
  }

  const ready = (net) => net.kind !== "imagenet" || net.status === "ready";
  // "mnist_cnn (MNIST digits 0-9)"; "ResNet-18 · ImageNet-1k (not downloaded)".
  const sourceLabel = (x) => (x.kind === "imagenet" ? `${x.title ?? x.name}${ready(x) ? "" : " (not downloaded)"}` : `${x.name} (${x.source_data})`);

  // An ImageNet source not on the server yet: its status, and a button that downloads it
  // (a progress line while it comes; the list refreshes when it is ready).
  function showDownload(net) {
    const box = q(".download");
    box.hidden = ready(net);
    if (ready(net)) return box.replaceChildren();
    const mb = net.bytes ? ` (${Math.round(net.bytes / 1e6)} MB)` : "";
    const line = h("small", { class: "muted", "data-testid": "download-status" }, net.status === "failed" ? `The download failed: ${net.error}` : `Not downloaded yet${mb}.`);
    const button = h("button", { type: "button", "data-testid": "download-imagenet", disabled: net.status === "downloading" || net.status === "converting", onclick: () => download(net.name) }, "Download the ImageNet weights");
    box.replaceChildren(line, button);
  }

  async function download(name) {
    try {
      let item = await api.downloadPretrained(name);
      while (item.status === "downloading" || item.status === "converting") {
        const p = item.progress;
        q('[data-testid="download-status"]').textContent = p?.total ? `${item.status}: ${Math.round((100 * p.done) / p.total)}%` : `${item.status}...`;
        await new Promise((res) => setTimeout(res, 300));
        item = await api.pretrainedItem(name);
      }
      state.nets = state.nets.map((x) => (x.name === name ? item : x));
      const option = [...netSelect.options].find((o) => o.value === name);
      if (option) option.textContent = sourceLabel(item);
      await refresh();
    } catch (err) {
      setError(err.message);
    }
  }

  function locksNote(mode, frozen, spec, net) {
    if (mode !== "later") return [];
    const open = h(
      "a",
      { href: `#design/${encodeSpec(spec)}${lockSuffix(frozen.paths)}`, "data-testid": "edit-locks" },
      frozen.from === "designer" ? "Change them in the designer" : "Choose them in the designer",
    );
    return frozen.from === "designer"
      ? [h("p", {}, [h("strong", {}, "Your locks from the designer: "), frozen.paths.join(", "), ". "]), open]
      : [h("p", { class: "muted" }, [`The default: the first conv stage. Lock layers of ${net.zoo} in the designer (a lock on each layer row) to choose which stay frozen. `]), open];
  }

  async function refresh() {
    const { mode, net, target } = choice();
    if (!net) return;
    const overlap = target.dataset === "mnist" && net.classes ? net.classes.filter((c) => target.classes.includes(c)) : [];
    const images = net.train_size ? ` (${net.train_size.toLocaleString()} images)` : "";
    q(".source").textContent =
      `Trained on ${net.source_data}${images}, ${pct(net.heldout_accuracy)} held-out accuracy` +
      (overlap.length ? `. It has already seen the target digits.` : "");
    showDownload(net);
    q('[data-testid="run-transfer"]').textContent = net.kind === "imagenet" ? "Fine-tune" : "Run transfer vs. from scratch";
    if (!ready(net)) {
      state.spec = null;
      return;
    }
    q(".target-note").textContent =
      target.dataset === "mnist"
        ? "New digits, same kind of image as the source task."
        : `A new ${target.k}-way head; the images are resized (and made grey) to the network's input.`;
    el.querySelectorAll(".guide-card").forEach((c, i) => {
      const g = GUIDE[i];
      c.classList.toggle("active", g.mode === mode && g.target === target.key && g.n === choice().n);
    });
    showSteps();
    try {
      const { plan, frozen } = await planFor(mode, net, target.k);
      const spec = plan.spec;
      state.spec = spec;
      state.frozen = frozen.paths;
      state.pretrainedLr = plan.pretrained_lr;
      const report = await api.shapesFrozen(spec, frozen.paths);
      const frozenCount = report.total_params - report.trainable_params;
      q(".counts").replaceChildren(
        h("div", { class: "count" }, [h("span", { class: "value" }, report.trainable_params.toLocaleString()), h("small", {}, "trainable parameters")]),
        h("div", { class: "count frozen" }, [h("span", { class: "value" }, frozenCount.toLocaleString()), h("small", {}, "frozen parameters")]),
      );
      const types = Object.fromEntries(report.layers.map((l) => [l.path, l.type]));
      q(".frozen-paths").replaceChildren(
        frozen.paths.length
          ? h("div", { class: "chips" }, frozen.paths.map((p) => h("code", { class: "chip" }, `${p} ${types[p] ?? ""}`)))
          : h("p", { class: "muted" }, `No layer is frozen; pretrained layers train at lr / 10 = ${state.pretrainedLr}.`),
      );
      q(".locks-from").replaceChildren(...locksNote(mode, frozen, spec, net));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }

  function lrNow() {
    return Number(field("t_lr").value);
  }

  function configs(n, mode, net, target) {
    const common = {
      dataset: target.dataset,
      per_class: n,
      epochs: Number(field("t_epochs").value),
      batch_size: Number(field("t_batch").value),
      lr: lrNow(),
      seed: Number(field("t_seed").value),
    };
    if (target.classes) common.classes = target.classes;
    const transfer = { ...common, init_from: net.name, frozen: state.frozen };
    if (state.pretrainedLr != null) transfer.pretrained_lr = state.pretrainedLr;
    return { transfer, scratch: common };
  }

  async function run() {
    await loaded;
    if (state.busy) return;
    const { n, mode, net, target } = choice();
    if (!net || !state.spec) return; // not downloaded yet, or the plan's error is shown
    setError(null);
    state.busy = true;
    const button = q('[data-testid="run-transfer"]');
    button.disabled = true;
    const verdict = q(".verdict");
    verdict.hidden = false;
    verdict.className = "verdict muted";
    verdict.textContent = "Starting both runs…";
    let race = null; // both runs' progress and curves while they train (train/race.js)
    try {
      const c = configs(n, mode, net, target);
      const tName = `Transfer: ${MODES[mode].title.toLowerCase()} (${target.short}, ${n}/class)`;
      const sName = `From scratch (${target.short}, ${n}/class)`;
      const t = await api.startRun({ ...state.spec, name: tName }, c.transfer);
      hooks.follow(t.id, tName);
      if (net.kind === "imagenet") {
        await hooks.refreshRuns();
        const tr = await waitEnd(t.id);
        await hooks.refreshRuns();
        verdict.className = "verdict";
        verdict.replaceChildren(
          h("strong", {}, `fine-tuned: ${pct(tr.accuracy)}`),
          h("small", { class: "muted" }, ` held-out accuracy on ${target.short} after ${c.transfer.epochs} epoch(s), from ${net.title ?? net.name}.`),
        );
        return;
      }
      const s = await api.startRun({ ...state.spec, name: sName }, c.scratch);
      verdict.className = "verdict race";
      race = raceProgress(verdict, [{ id: t.id, label: "transfer" }, { id: s.id, label: "from scratch" }]);
      await hooks.refreshRuns();
      const [tr, sc] = await Promise.all([waitEnd(t.id), waitEnd(s.id)]);
      race.destroy();
      await hooks.compareRuns([t.id, s.id]);
      verdict.className = "verdict";
      verdict.replaceChildren(
        h("strong", {}, `transfer: ${pct(tr.accuracy)} vs scratch: ${pct(sc.accuracy)}`),
        h("span", { class: "lead" }, ` ${lead(tr.accuracy, sc.accuracy)}.`),
        h("small", { class: "muted" }, ` held-out accuracy on ${target.short} after ${c.scratch.epochs} epoch(s) on ${n} images per class; curves overlaid under Runs.`),
      );
    } catch (err) {
      race?.destroy();
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
      if (isFinished(r.status)) {
        if (r.status !== "done") throw new Error(`${r.network}: ${r.status}${r.message ? ` (${r.message})` : ""}`);
        return r;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  async function loadTargets() {
    try {
      state.targets = targetsFrom(await api.trainDatasets());
    } catch {
      state.targets = [DIGITS_5_9]; // the list is optional: digits 5-9 always works
    }
    const keep = targetSelect.value;
    targetSelect.replaceChildren(...state.targets.map((t) => h("option", { value: t.key, selected: t.key === keep }, t.label)));
  }

  async function load() {
    try {
      const [nets] = await Promise.all([api.pretrainedList(), loadTargets()]);
      state.nets = nets;
      netSelect.replaceChildren(
        ...state.nets.map((x) => h("option", { value: x.name, selected: x.name === PRESET_NET }, sourceLabel(x))),
      );
      field("t_lr").addEventListener("change", refresh);
      await refresh();
    } catch (err) {
      setError(err.message);
    }
  }

  const loaded = load();
  return el;
}
