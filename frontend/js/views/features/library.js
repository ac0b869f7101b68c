// The weights library in the network picker (issues 5, 7, 17): shipped weights, your
// finished runs, imported files and official ImageNet downloads, grouped, each labelled
// with its held-out accuracy; the disk they use; and the Import / Download / Delete
// controls for the picked entry.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { percent as pct } from "../../lib/format.js";
import { importChoices, sizeText } from "../../lib/pretrained.js";
import { importControl } from "../../widgets/weights_import.js";

export const GROUPS = [
  ["shipped", "Shipped (trained)"],
  ["imagenet", "ImageNet (torchvision's official weights)"],
  ["run", "Your runs (trained here)"],
  ["upload", "Imported weights"],
];


export function labelOf(entry) {
  const acc = entry.accuracy == null ? "" : ` · ${pct(entry.accuracy)} ${entry.kind === "imagenet" ? "top-1" : "held out"}`;
  return `${entry.title}${acc}`;
}

/** <optgroup>s for the entries, in GROUPS order; `picked` (an id) is listed even when gone. */
export function weightGroups(entries, picked) {
  const groups = GROUPS.map(([kind, label]) => {
    const mine = entries.filter((e) => e.kind === kind);
    return mine.length
      ? h("optgroup", { label, "data-kind": kind },
        mine.map((e) => h("option", { value: `weights:${e.id}` }, labelOf(e))))
      : null;
  }).filter(Boolean);
  if (picked && !entries.some((e) => e.id === picked)) {
    groups.push(h("optgroup", { label: "From the link" },
      h("option", { value: `weights:${picked}` }, `weights ${picked} (not in the library)`)));
  }
  return groups;
}

/** "Library: 3 files, 93.7 MB of 8589.9 MB" (GET /api/weights/usage). */
export const usageText = (u) =>
  `Weights library: ${u.files} file${u.files === 1 ? "" : "s"}, ${sizeText(u.bytes)} of ${sizeText(u.limit)} on disk`;

/** The rows under the picker: import a file (for the shown network's spec, or a torchvision
 * checkpoint of a zoo architecture: `zoos`, `zoo` preselected), download the picked weights,
 * delete an imported entry. `getSpec()` resolves the spec a cnnplay file is for. */
export function weightsControls({ entry, specName, zoos, zoo, getSpec, onImported, onDeleted, onError }) {
  const choices = importChoices(specName, zoos);
  const importer = importControl({
    prefix: "fm",
    choices,
    chosen: zoo && zoos.some((z) => z.name === zoo) ? `zoo:${zoo}` : choices[0]?.value,
    hint: "A .safetensors file for this network, or a torchvision checkpoint (.pth) of a zoo architecture: every key and shape is checked.",
    onImport: async (file, choice) => {
      const title = file.name.replace(/\.(safetensors|pth|pt)$/i, "");
      if (choice.startsWith("zoo:")) return onImported(await api.importTorchvision(file, choice.slice(4), title));
      const spec = await getSpec();
      if (!spec) throw new Error("no network spec to import weights for");
      return onImported(await api.importWeights(file, spec, title));
    },
  });
  const kids = [];
  if (entry) {
    kids.push(h("a", { id: "fm-download", class: "button", href: api.weightsFileUrl(entry.id), download: "" },
      "Download weights"));
    if (entry.kind === "upload") {
      kids.push(h("button", { type: "button", id: "fm-delete-weights", onclick: async () => {
        try {
          await api.deleteWeights(entry.id);
          onDeleted();
        } catch (err) {
          onError(err.message);
        }
      } }, "Delete"));
    }
  }
  const usage = h("p", { class: "muted fm-hint", id: "fm-usage" });
  api.weightsUsage().then((u) => { usage.textContent = usageText(u); }, () => {});
  return h("div", { class: "fm-weights" }, importer, kids.length ? h("div", { class: "fm-row" }, kids) : null, usage);
}
