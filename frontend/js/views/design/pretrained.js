// Pretrained weights in the designer (issue 17): the "New from…" zoo picker marks the
// architectures whose official ImageNet weights are ready or downloadable; a panel says
// where the current zoo network's weights stand, links to Feature maps (where the one-click
// download lives) and imports a file (a torchvision checkpoint, or a cnnplay .safetensors
// for the design) into the weights library.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { compact } from "../../lib/format.js";
import { imagenetByZoo, importChoices, torchvisionZoos, zooMark } from "../../lib/pretrained.js";
import { importControl } from "../../widgets/weights_import.js";

/** The zoo list and GET /api/pretrained, each [] when unavailable. */
export async function loadPretrained() {
  const [zoo, items] = await Promise.all([api.zooList().catch(() => []), api.pretrainedList().catch(() => [])]);
  return { zoo, items };
}

/** A zoo option's text: "ResNet-18 (11.7M params) · ImageNet weights ready". */
export function zooOptionText(z, byZoo) {
  const mark = zooMark(byZoo.get(z.name));
  const input = z.input_shape ? `, input ${z.input_shape.join("x")}` : "";
  return `${z.title ?? z.name} (${compact(z.params)} params${input})${mark ? ` · ${mark}` : ""}`;
}

const featuresLink = (net, text) =>
  h("a", { href: `#features/net=${net}`, class: "button" }, text);

/** The panel: `getSpec()` the current design, `load(spec)` opens one in the designer.
 * Returns {show(spec, zooName?)}: called on every refresh; `zooName` when a zoo network was
 * just loaded (else the architecture is the one whose title is the design's name). */
export function pretrainedPanel(el, { zoo, items }, { getSpec, load }) {
  const byZoo = imagenetByZoo(items);
  const tv = torchvisionZoos(zoo, items);
  let arch = null;
  let shownName = null;
  let done = null; // the last import's result line

  function status() {
    const item = byZoo.get(arch);
    if (!item) return h("p", { class: "muted" }, `ImageNet weights: ${tv.length} zoo architectures have torchvision's official ones; load one from “New from…”.`);
    const title = zoo.find((z) => z.name === arch)?.title ?? arch;
    return h("div", { class: "d-pre-status" },
      h("p", {}, h("strong", {}, title), `: ${zooMark(item)}`),
      item.status === "ready"
        ? featuresLink(`weights:${item.name}`, "Open in Feature maps")
        : featuresLink(`zoo:${arch}`, "Download in Feature maps"));
  }

  function render() {
    const spec = getSpec();
    const choices = importChoices(spec?.name ?? "this design", tv);
    el.replaceChildren(
      h("h2", {}, "Pretrained weights"),
      status(),
      importControl({
        prefix: "d",
        choices,
        chosen: byZoo.has(arch) ? `zoo:${arch}` : "spec",
        hint: "A torchvision checkpoint (.pth) of a zoo architecture, or a .safetensors file for this design: every key and shape is checked.",
        onImport: async (file, choice) => {
          const title = file.name.replace(/\.(safetensors|pth|pt)$/i, "");
          const entry = choice.startsWith("zoo:")
            ? await api.importTorchvision(file, choice.slice(4), title)
            : await api.importWeights(file, getSpec(), title);
          done = imported(entry);
          render();
        },
      }),
      done ?? "",
    );
  }

  function imported(entry) {
    return h("div", { class: "d-pre-done", id: "d-imported" },
      h("p", {}, `Imported “${entry.title}” into the weights library.`),
      featuresLink(`weights:${entry.id}`, "Open in Feature maps"),
      h("button", { type: "button", onclick: () => load(entry.spec) }, "Use its network here"));
  }

  return {
    show(spec, zooName = null) {
      const guess = zooName ?? (spec?.name === shownName ? arch : zoo.find((z) => z.title === spec?.name)?.name ?? null);
      if (guess === arch && spec?.name === shownName) return; // nothing changed
      arch = guess;
      shownName = spec?.name ?? null;
      render();
    },
  };
}
