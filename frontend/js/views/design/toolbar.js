// The designer's toolbar actions that need no view state: the start menu, sharing a link,
// exporting. `say(text, bad)` writes the toolbar's status line.
import * as api from "../../api.js";
import { download, h } from "../../dom.js";
import { encodeSpec } from "../../lib/hash_codec.js";
import { lockSuffix } from "../../lib/locks.js";
import { imagenetByZoo } from "../../lib/pretrained.js";
import { zooOptionText } from "./pretrained.js";

/** The "New from…" menu: blank, the templates, the zoo by category, each zoo network
 * marked with its ImageNet weights (`data`: loadPretrained()'s {zoo, items}). */
export function fillStartMenu(sel, { zoo, items }) {
  const byZoo = imagenetByZoo(items);
  const opt = (value, text, title) => h("option", { value, title }, text);
  sel.replaceChildren(
    opt("", "New from…"),
    opt("blank", "Blank network"),
    h(
      "optgroup",
      { label: "Templates" },
      opt("t:small_cnn", "Small CNN"),
      opt("t:residual_demo", "Residual demo"),
    ),
    ...[...new Set(zoo.map((z) => z.category ?? "zoo"))].map((cat) =>
      h(
        "optgroup",
        { label: `Zoo: ${cat}` },
        zoo
          .filter((z) => (z.category ?? "zoo") === cat)
          .map((z) => opt(`zoo:${z.name}`, zooOptionText(z, byZoo), z.description)),
      ),
    ),
  );
}

/** A link to the design (spec + locks in the hash), copied to the clipboard when allowed. */
export async function share(ui, spec, locked, say) {
  const locks = lockSuffix(locked);
  const link = `${location.origin}${location.pathname}#design/${encodeSpec(spec)}${locks}`;
  ui.shareLink.value = link;
  ui.shareBox.hidden = false;
  try {
    await navigator.clipboard.writeText(link);
    say("Link copied to the clipboard.");
  } catch {
    say("Copy the link below to share this design.");
    ui.shareLink.select();
  }
}

/** A file name from the network's name: letters, digits, '.', '-' and '_' only. */
export const fileName = (spec) => (spec.name || "network").replace(/[^\w.-]+/g, "_");

/** Download the design as ONNX or as PyTorch code, from the server's exporters. */
export async function exportAs(kind, spec, say) {
  try {
    say(`Exporting ${kind === "onnx" ? "ONNX" : "PyTorch"}…`);
    if (kind === "onnx") download(await api.exportOnnx(spec), `${fileName(spec)}.onnx`);
    else
      download(
        new Blob([await api.exportPytorch(spec)], { type: "text/x-python" }),
        `${fileName(spec)}.py`,
      );
    say("Exported.");
  } catch (e) {
    say(`Export failed: ${e.message}`, true);
  }
}
