// A U-Net's encoder and decoder maps side by side (issue 16): for each level k, the
// encoder's last output beside the decoder's last output at the same resolution (the
// decoder's maps have seen the deeper levels through the skip block; compare how sharp
// and how semantic they are). Above the per-layer grids; nothing for other networks.
import { h } from "../../dom.js";
import { shapeText } from "../../lib/format.js";
import { unetLevels } from "../../lib/unet_levels.js";
import { loadPage } from "./grids.js";

/** Prepends the panel to #fm-grids when `layers` form a U-Net; ctx as for loadPage. */
export function unetPanel(root, layers, ctx) {
  const levels = unetLevels(layers);
  if (!levels.length) return;
  const byPath = new Map(layers.map((l) => [l.path, l]));
  const side = (label, path) => {
    const l = byPath.get(path);
    const grid = h("div", { class: "fm-grid" }, h("p", { class: "muted" }, "Loading…"));
    const box = h("div", { class: "fm-level-side", "data-testid": `unet-${label}` }, [
      h("h4", {}, [label, " ", h("code", {}, path), h("span", { class: "muted" }, ` ${shapeText(l.shape)}`)]),
      grid,
    ]);
    loadPage(ctx, path, 0, grid);
    return box;
  };
  const rows = levels.map(({ level, encoder, decoder }) =>
    h("div", { class: "fm-level", "data-level": level }, [
      h("h3", {}, decoder ? `Level ${level}` : `Level ${level}: the bottleneck`),
      h("div", { class: "fm-level-pair" }, [side("encoder", encoder), decoder ? side("decoder", decoder) : null]),
    ]),
  );
  const panel = h("section", { class: "fm-layer fm-unet", "data-testid": "unet-levels" }, [
    h("header", {}, [h("h3", {}, "U-Net: encoder and decoder by level"), h("span", { class: "muted" }, "each level's encoder output beside its decoder output, same size")]),
    ...rows,
  ]);
  root.querySelector("#fm-grids").prepend(panel);
}
