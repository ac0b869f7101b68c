// While another network or image loads (VGG-16 takes seconds), the old grids, badge,
// prediction and preparation must not stand beside the new name (issue 18): they are
// cleared and a loading line says what is coming. Also the picked network's spec, fetched
// once per network, for the readable layer names.
import { h } from "../../dom.js";

/** Clear what belonged to the previous network and show `what` as loading. */
export function clearResults(root, what) {
  const put = (sel, ...kids) => root.querySelector(sel)?.replaceChildren(...kids);
  const loading = () => h("p", { class: "fm-loading", "data-testid": "fm-loading" }, h("span", { class: "fm-spinner", "aria-hidden": "true" }), `Loading ${what}…`);
  put("#fm-note", loading());
  put("#fm-preds", h("li", { class: "muted fm-nopred" }, "…"));
  delete root.querySelector("#fm-preds")?.dataset.top;
  put("#fm-prep");
  put("#fm-filters");
  put("#fm-layers");
  put("#fm-grids", loading());
  root.querySelector(".fm-main")?.setAttribute("aria-busy", "true");
}

export function doneLoading(root) {
  root.querySelector(".fm-main")?.removeAttribute("aria-busy");
}

/** specs.get(net) -> the spec fetched for `net` (or null); specs.load(net, getSpec) reads
 * a zoo or library network once (a design or a linked spec is read again each time). */
export function specCache() {
  const known = new Map();
  return {
    get: (net) => known.get(net) ?? null,
    async load(net, getSpec) {
      if (known.has(net) && /^(zoo|weights):/.test(net)) return known.get(net);
      const spec = await getSpec().catch(() => null);
      if (spec) known.set(net, spec);
      return spec;
    },
  };
}
