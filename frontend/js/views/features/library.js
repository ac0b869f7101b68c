// The weights library in the network picker (issues 5, 7): shipped weights, your finished
// runs and imported files, grouped, each labelled with its held-out accuracy; and the
// Import / Download / Delete controls for the picked entry.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { percent as pct } from "../../lib/format.js";

export const GROUPS = [
  ["shipped", "Shipped (trained)"],
  ["run", "Your runs (trained here)"],
  ["upload", "Imported weights"],
];


export function labelOf(entry) {
  const acc = entry.accuracy == null ? "" : ` · ${pct(entry.accuracy)} held out`;
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

/** The row under the picker: download the picked weights, import a file for the shown
 * network's spec, delete an imported entry. `getSpec()` resolves the spec to import for. */
export function weightsControls({ entry, specName, getSpec, onImported, onDeleted, onError }) {
  const refused = h("div", { class: "error fm-import-error", id: "fm-import-error", hidden: true });
  const file = h("input", {
    type: "file", id: "fm-import-file", accept: ".safetensors,application/octet-stream", hidden: true,
    onchange: async (e) => {
      const f = e.target.files[0];
      e.target.value = "";
      if (!f) return;
      refused.hidden = true;
      try {
        const spec = await getSpec();
        if (!spec) throw new Error("no network spec to import weights for");
        const title = f.name.replace(/\.safetensors$/i, "");
        onImported(await api.importWeights(f, spec, title));
      } catch (err) {
        showRefusal(refused, f.name, err.message);
      }
    },
  });
  const kids = [
    h("button", { type: "button", id: "fm-import", title: `Import a .safetensors file made for ${specName}`,
      onclick: () => file.click() }, "Import weights…"),
    file,
  ];
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
  return h("div", { class: "fm-row fm-weights" }, kids,
    h("p", { class: "muted fm-hint" }, `Import: a .safetensors file for ${specName} (keys and shapes are checked).`),
    refused);
}

/** The server names every bad key after "...: "; one list item per key. */
function showRefusal(box, name, message) {
  const at = message.indexOf("the network: ");
  const head = at < 0 ? message : message.slice(0, at + "the network".length);
  const items = at < 0 ? [] : message.slice(at + "the network: ".length).split("; ");
  box.replaceChildren(
    h("strong", {}, `Import refused (${name}): `), head.replace(/^file: /, ""),
    items.length ? h("ul", {}, items.map((t) => h("li", {}, h("code", {}, t.split(":")[0]), t.slice(t.indexOf(":"))))) : null,
  );
  box.hidden = false;
}
