// "Inside the network" (issue 19): the run's "snapshot" events drawn beside the curves. The
// worker takes a snapshot a few times a second at most (server/net/train/snapshots.py): the
// first conv layer's filters on one shared colour scale, every layer's feature maps for one
// probe image, its prediction, and how far each layer's weights moved since the start
// (frozen ones marked). A slider scrubs through them: it follows the newest while a run
// trains, and replays a finished run from its random filters to its trained ones. Tiles are
// drawn by widgets/tiles.js, the Feature maps view's own rendering.
import { h } from "../../dom.js";
import { probText } from "../../lib/pretrained.js";
import { addSnapshot, changeRows, changeText, keepEvenly } from "../../lib/snapshots.js";
import { drawPad } from "../../widgets/draw.js";
import { liveCard } from "../../widgets/live_card.js";
import { atlasPixels, pngBlob, rgbTileCanvas, sizedTile, tileStrip } from "../../widgets/tiles.js";

const KEEP = 300; // snapshots a live view holds (the store keeps its own byte budget)

/** The card in `slot` (hidden until the first snapshot); feed it every run event. */
export function insideCard(slot) {
  let snaps = [];
  let shown = -1;
  let drawing = 0; // a newer draw drops an older one still decoding
  const card = liveCard(slot, {
    slider: { "aria-label": "snapshot", "data-testid": "inside-slider" },
    label: "inside-label",
    word: "time",
    row: "inside-slider",
    draw,
    onSlide: () => show(),
  });
  const { slider, label } = card;
  const filters = h("div", { class: "inside-filters", "data-testid": "inside-filters" });
  const probe = h("div", { class: "inside-probe", "data-testid": "inside-probe" });
  const preds = h("ol", { class: "inside-preds", "data-testid": "inside-preds" });
  const moves = h("ul", { class: "inside-moves", "data-testid": "inside-moves" });

  function build() {
    card.open(
      h("h3", {}, "Inside the network"),
      card.row,
      h("div", { class: "inside-grid" }, [
        h("section", {}, [h("h4", {}, "First-layer filters"), filters, h("h4", {}, "Which layers move"), moves]),
        h("section", {}, [h("h4", {}, "Prediction for the probe"), preds]),
      ]),
      h("h4", {}, "The probe through every layer"),
      probe,
    );
  }

  async function show() {
    const i = Math.min(Number(slider.value), snaps.length - 1);
    const s = snaps[i];
    if (!s) return;
    shown = i;
    const my = ++drawing;
    label.textContent = `iteration ${s.iter.toLocaleString()} · epoch ${s.epoch} (snapshot ${i + 1} of ${snaps.length})`;
    const small = probe.clientWidth > 0 && probe.clientWidth < 360; // a phone: 8 maps a row
    const [f, p] = await Promise.all([filterStrip(s.filters), probeRows(s.probe, small ? 32 : 40)]);
    if (my !== drawing || card.dead()) return;
    filters.replaceChildren(...f);
    filters.dataset.iter = String(s.iter);
    filters.dataset.pixels = s.filters ? s.filters.png : "";
    probe.replaceChildren(...p);
    preds.replaceChildren(...predictionBars(s.probe));
    moves.replaceChildren(...moveRows(s.layers ?? []));
    slot.dataset.iter = String(s.iter);
    slot.dataset.index = String(i);
    slot.dataset.count = String(snaps.length);
  }

  function draw() {
    if (!snaps.length) return;
    if (slot.hidden) build();
    card.fit(snaps.length);
    if (Number(slider.value) !== shown || card.following()) show();
  }

  return {
    event(e) {
      if (e.kind === "snapshot") {
        snaps = keepEvenly(addSnapshot(snaps, e), KEEP);
        card.schedule();
      } else if (e.kind === "resume" && snaps.some((s) => s.iter > e.iter)) {
        snaps = snaps.filter((s) => s.iter <= e.iter); // a killed worker's, past the checkpoint
        card.schedule();
      }
    },
    destroy() {
      snaps = [];
      card.destroy();
    },
  };
}

const atlasOf = (page) => atlasPixels(pngBlob(page.png));

/** The filters as images on their shared scale (RGB for three input channels). */
async function filterStrip(f) {
  if (!f) return [h("p", { class: "muted" }, "This network has no convolution layer: no filters to show.")];
  const atlas = await atlasOf(f);
  const [out, cin, kh, kw] = f.weight_shape;
  const tiles = [];
  for (let o = 0; o < f.filters; o++) {
    const px = f.filters <= 16 ? 44 : 32; // a few filters show bigger
    const c = f.rgb ? rgbTileCanvas(atlas, f, o) : sizedTile(atlas, f, o, px, true);
    if (f.rgb) Object.assign(c.style, { width: `${px}px`, height: `${px}px` });
    tiles.push(h("figure", { class: "fm-filter", title: `filter ${o} of ${f.layer}` }, c));
  }
  const [lo, hi] = f.ranges[0] ?? [0, 0];
  const more = out > f.filters ? ` (the first ${f.filters})` : "";
  return [
    h("p", { class: "muted" }, `${f.layer}: ${out} filters of ${cin}×${kh}×${kw}${more}${f.rgb ? " as RGB" : cin > 1 ? ", first input channel" : ""}; one colour scale ${lo.toFixed(2)} … ${hi.toFixed(2)}`),
    h("div", { class: "fm-filter-grid" }, tiles),
  ];
}

/** One row per layer: its name and its first few feature maps (about `mapPx` pixels), each
 * on its own scale. */
async function probeRows(p, mapPx) {
  const pages = [p.input, ...p.layers];
  const atlases = await Promise.all(pages.map(atlasOf));
  return pages.map((page, k) => {
    // A vector (rows of 32 values) as a block about 160px wide.
    const px = page.vector ? 160 : k === 0 ? 64 : mapPx; // the probe itself a little bigger
    const strip = tileStrip(atlases[k], page, page.count, px, true); // one canvas a layer
    const name = k === 0 ? "input" : page.path;
    const more = page.channels > page.count ? ` · ${page.count} of ${page.channels}` : "";
    return h("div", { class: "inside-layer", "data-layer": name },
      h("span", { class: "inside-name", title: k === 0 ? "the probe image" : `${page.path} · ${page.type}` },
        h("code", {}, name), " ", h("span", { class: "muted" }, `${k === 0 ? probeText(p) : page.type}${more}`)),
      h("span", { class: "fm-grid inside-tiles" }, strip));
  });
}

function probeText(p) {
  if (p.source === "drawing") return "your drawing";
  const name = p.label == null ? null : (p.output.labels?.[p.label] ?? String(p.label));
  return `held-out #${p.index}${name != null ? ` (true class ${name})` : ""}`;
}

/** The probe's class probabilities as bars (its true class marked). */
function predictionBars(p) {
  const o = p.output;
  if (o.kind !== "classes") return [h("li", { class: "muted" }, `predicted mask: ${o.classes} classes`)];
  return o.probs.map((v, i) =>
    h("li", { class: `${i === o.pred ? "top" : ""} ${i === p.label ? "truth" : ""}`, "data-index": i },
      h("span", { class: "fm-label", title: o.labels[i] ?? String(i) }, o.labels[i] ?? String(i)),
      h("span", { class: "fm-bar" }, h("span", { style: `width:${(v * 100).toFixed(1)}%` })),
      h("span", { class: "fm-p" }, probText(v))));
}

/** ||W - W0|| / ||W0|| per layer with weights; frozen layers marked. */
function moveRows(layers) {
  if (!layers.length) return [h("li", { class: "muted" }, "no layer has weights")];
  return changeRows(layers).map((l) =>
    h("li", { class: l.frozen ? "frozen" : "", "data-path": l.path, "data-frozen": l.frozen ? "1" : "0" },
      h("code", { title: l.path }, l.path),
      h("span", { class: "fm-bar" }, h("span", { style: `width:${(l.share * 100).toFixed(1)}%` })),
      h("span", { class: "inside-change" }, l.frozen ? "frozen" : changeText(l.change))));
}

/** The setup form's fieldset: snapshots on/off and the probe (a held-out example by index,
 * or a digit drawn here). `read(f)` gives its TrainConfig fields. */
export function insideField() {
  let image = null; // the drawing as a PNG data URL
  const box = h("input", { type: "checkbox", name: "snapshots", checked: true, "data-testid": "snapshots" });
  const index = h("input", { type: "number", name: "probe_index", value: 0, min: 0, step: 1, "aria-label": "held-out example number" });
  const pad = drawPad(112, async (done) => {
    if (!done || pad.isEmpty()) return;
    const blob = await pad.toBlob();
    image = await new Promise((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.readAsDataURL(blob);
    });
    padBox.dataset.ready = "1";
  });
  const padBox = h("div", { class: "inside-pad", hidden: true }, [
    pad.canvas,
    h("button", { type: "button", onclick: () => { pad.clear(); image = null; delete padBox.dataset.ready; } }, "Clear"),
  ]);
  const source = h("select", { name: "probe_source", "aria-label": "probe image", onchange: () => {
    padBox.hidden = source.value !== "drawing";
    index.disabled = source.value === "drawing";
  } }, [h("option", { value: "heldout" }, "held-out example"), h("option", { value: "drawing" }, "my drawing")]);
  const el = h("fieldset", { class: "inside-field" }, [
    h("legend", {}, "Inside the network"),
    h("label", { class: "probe-box" }, [box, h("span", {}, "Show filters and feature maps while it trains")]),
    h("label", { class: "inside-source" }, [h("span", {}, "probe"), source, index]),
    padBox,
  ]);
  const read = (f) => {
    const drawn = f.get("probe_source") === "drawing" && image;
    return { snapshots: Boolean(f.get("snapshots")), probe_index: drawn ? 0 : Number(f.get("probe_index")) || 0, probe_image: drawn ? image : null };
  };
  return { el, read };
}
