// "Import weights": a file for a network, checked key by key by the server (issues 5, 17).
// Either a cnnplay .safetensors for the shown network's spec, or a torchvision checkpoint
// (.pth state_dict or .safetensors) of a zoo architecture. The view does the request
// (`onImport(file, choice)` returns a promise); a refusal lists every key it names.
import { h } from "../dom.js";
import { refusalParts } from "../lib/pretrained.js";

/** `choices`: [{value, label}] ("spec" or "zoo:<name>"), `chosen` the preselected value;
 * ids start with `prefix` (fm-import, fm-import-file, fm-import-for, fm-import-error). */
export function importControl({ prefix, choices, chosen, hint, onImport }) {
  const refused = h("div", { class: "error import-error", id: `${prefix}-import-error`, role: "alert", hidden: true });
  const pick = h("select", { id: `${prefix}-import-for`, "aria-label": "Import weights for" },
    choices.map((c) => h("option", { value: c.value, selected: c.value === chosen }, c.label)));
  const button = h("button", { type: "button", id: `${prefix}-import`, onclick: () => file.click() }, "Import weights…");
  const file = h("input", {
    type: "file", id: `${prefix}-import-file`, accept: ".pth,.pt,.safetensors,application/octet-stream", hidden: true,
    onchange: async (e) => {
      const f = e.target.files[0];
      e.target.value = "";
      if (!f) return;
      refused.hidden = true;
      button.disabled = true;
      button.textContent = `Importing ${f.name}…`;
      try {
        await onImport(f, pick.value);
      } catch (err) {
        showRefusal(refused, f.name, err.message);
      } finally {
        button.disabled = false;
        button.textContent = "Import weights…";
      }
    },
  });
  return h("div", { class: "import-weights" },
    h("div", { class: "import-row" }, button, choices.length > 1 ? pick : null, file),
    hint ? h("p", { class: "muted import-hint" }, hint) : null,
    refused);
}

function showRefusal(box, name, message) {
  const { head, keys } = refusalParts(message);
  box.replaceChildren(
    h("strong", {}, `Import refused (${name}): `), head,
    keys.length ? h("ul", {}, keys.map((k) => h("li", {}, h("code", {}, k.key), k.rest))) : null,
  );
  box.hidden = false;
  const fold = box.closest("details");
  if (fold) fold.open = true;
}
