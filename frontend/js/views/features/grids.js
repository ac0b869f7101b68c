// The feature maps: the layer list and each layer's channel tiles, loaded a page at a time
// as they scroll into view.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { reading as fmt, shapeText } from "../../lib/format.js";
import { probText } from "../../lib/pretrained.js";
import { atlasPixels, sizedTile } from "../../widgets/tiles.js";

const PAGE = 64; // channels per layer request

/** The layer list and one lazily loaded grid per layer; returns the observer that loads them.
 * `ctx`: {body, scale, seq, top, openChannel} (see loadPage; `top()` is the prediction's top-5). */
export function renderLayers(root, layers, ctx) {
  const nav = root.querySelector("#fm-layers");
  const grids = root.querySelector("#fm-grids");
  nav.replaceChildren(
    h("h2", {}, "Layers"),
    h("ol", {}, layers.map((l) =>
      h("li", { style: `--depth:${l.depth ?? 0}` },
        h("a", { href: `#features/${location.hash.split("/").slice(1).join("/")}`, "data-path": l.path, title: `${l.path} · ${l.type}`,
          onclick: (e) => { e.preventDefault(); grids.querySelector(`[data-layer="${l.path}"]`)?.scrollIntoView({ block: "start" }); } },
          h("code", {}, l.path), h("span", { class: "muted" }, ` ${l.type}`))))),
  );
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting || e.target.dataset.loaded) continue;
      e.target.dataset.loaded = "1";
      loadPage(ctx, e.target.dataset.layer, 0, e.target.querySelector(".fm-grid"));
    }
  }, { rootMargin: "300px" });
  grids.replaceChildren(
    ...layers.map((l) => {
      const sec = h("section", { class: "fm-layer", "data-layer": l.path },
        h("header", {},
          h("h3", {}, h("code", {}, l.path), " ", h("span", { class: "fm-type" }, l.type)),
          h("span", { class: "muted" }, `${shapeText(l.shape)} · ${l.channels} channel${l.channels === 1 ? "" : "s"} · range ${fmt(l.min)} … ${fmt(l.max)}`)),
        l.labels ? classLine(l.labels, ctx.top()) : null,
        h("div", { class: "fm-grid" }, h("p", { class: "muted" }, "Loading…")));
      observer.observe(sec);
      return sec;
    }),
  );
  return observer;
}

/** The output strip's units named: how many classes, and the most likely ones (`top`:
 * the prediction's top-5, {index, label, p}; the strip's unit i is class i). */
function classLine(labels, top) {
  const named = (top ?? []).map((p) => `${p.label} (unit ${p.index}) ${probText(p.p)}`).join(" · ");
  return h("p", { class: "fm-classes", "data-classes": labels.length },
    `${labels.length} units, one per class (${labels.slice(0, 3).join(", ")}, …)`,
    named ? h("span", {}, h("br"), `Highest: ${named}`) : null);
}

/** One page of a layer's channels into grid. `ctx`: {body, scale, seq, openChannel}; an
 * answer that a newer request has overtaken (ctx.seq() moved on) is dropped. */
export async function loadPage(ctx, layer, start, grid, { small = false } = {}) {
  const my = ctx.seq();
  try {
    const { meta, png } = await api.featureLayer(ctx.body({ layer, start, count: PAGE, scale: ctx.scale() }));
    if (my !== ctx.seq() || !grid.isConnected) return;
    const atlas = await atlasPixels(png);
    if (start === 0) grid.replaceChildren();
    grid.querySelector(".fm-more")?.remove();
    for (let i = 0; i < meta.count; i++) {
      // Previews fit 64px; grid tiles are whole multiples of their pixels, about 72px.
      const c = small ? sizedTile(atlas, meta, i, 64, true) : sizedTile(atlas, meta, i, 72);
      const index = meta.start + i;
      const [lo, hi] = (meta.actual ?? meta.ranges)[i];
      grid.append(
        h("button", { type: "button", class: "fm-tile", "data-channel": index,
          title: `channel ${index}: ${fmt(lo)} … ${fmt(hi)}`, onclick: () => ctx.openChannel(layer, index) },
          c, h("span", {}, meta.vector ? `${meta.length} values` : `#${index}`)),
      );
    }
    const shown = meta.start + meta.count;
    if (shown < meta.channels) {
      grid.append(h("button", { type: "button", class: "fm-more", onclick: () => loadPage(ctx, layer, shown, grid) },
        `Show ${Math.min(PAGE, meta.channels - shown)} more of ${meta.channels - shown} channels`));
    }
  } catch (err) {
    grid.replaceChildren(h("p", { class: "error" }, err.message));
  }
}
