// The palette: every layer type from /api/layers, grouped by its category.
import { h } from "../../dom.js";

const ORDER = [
  "convolution",
  "upsampling",
  "pooling",
  "activation",
  "normalization",
  "regularization",
  "dense",
  "recurrent",
  "block",
];

export function renderPalette(el, types, onAdd) {
  const groups = new Map();
  for (const [type, schema] of Object.entries(types)) {
    const cat = schema.category ?? "other";
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat).push([type, schema]);
  }
  const cats = [...groups.keys()].sort(
    (a, b) => ((ORDER.indexOf(a) + 99) % 99) - ((ORDER.indexOf(b) + 99) % 99),
  );
  el.replaceChildren(
    h("h2", {}, "Add a layer"),
    ...cats.map((cat) =>
      h(
        "div",
        { class: "pal-group" },
        h("h3", {}, cat),
        h(
          "div",
          { class: "pal-items" },
          groups.get(cat).map(([type, schema]) =>
            h(
              "button",
              {
                type: "button",
                class: "pal-item",
                "data-add": type,
                title: schema.description ?? "",
                onclick: () => onAdd(type),
              },
              schema.title ?? type,
            ),
          ),
        ),
      ),
    ),
  );
}
