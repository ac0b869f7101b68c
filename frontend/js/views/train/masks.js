// Segmentation in the Train view, live (issue 16): a run on a dataset of masks sends, with
// every epoch event, held-out mIoU and Dice and a few held-out examples as image | true
// mask | predicted mask (palette PNGs made by the server, server/net/train/segmentation.py).
// The card draws the newest epoch's examples (the predicted masks sharpen epoch by epoch),
// the mIoU curve, and a legend of the fixed palette. Also: a segmentation zoo network picks
// a segmentation dataset, and a network's last 1x1 conv is fitted to the dataset's classes.
import { h } from "../../dom.js";
import { COLORS, lineChart } from "../../widgets/charts.js";

export const SEGMENTATION = "segmentation";

/** The palette's legend: a swatch and the class label per class. */
export function legend(labels, palette) {
  return h(
    "ul",
    { class: "mask-legend", "data-testid": "mask-legend", "aria-label": "Mask colours" },
    labels.map((label, i) =>
      h("li", {}, [h("span", { class: "swatch", style: `background:${palette[i] ?? "#999"}` }), label]),
    ),
  );
}

/** One example: image | true mask | predicted mask, pixelated, with its IoU. */
export function maskTriple(it, size = 80) {
  const img = (src, alt, testid) => h("img", { src, alt, width: size, height: size, "data-testid": testid });
  return h("figure", { class: "mask-triple", title: `held-out #${it.index}` }, [
    h("div", { class: "mask-images" }, [
      img(it.image, `held-out image #${it.index}`, "mask-image"),
      img(it.true, `true mask #${it.index}`, "mask-true"),
      img(it.pred, `predicted mask #${it.index}`, "mask-pred"),
    ]),
    h("figcaption", { class: "muted" }, [`#${it.index} · IoU `, h("strong", { "data-testid": "mask-iou" }, it.iou.toFixed(2))]),
  ]);
}

const columnHeads = () =>
  h("div", { class: "mask-heads muted", "aria-hidden": "true" }, [h("span", {}, "image"), h("span", {}, "true mask"), h("span", {}, "predicted")]);

/** The live card in `slot`, hidden until an epoch event carries masks; feed it every event. */
export function maskCard(slot) {
  slot.replaceChildren();
  slot.hidden = true;
  let chart = null;
  const curve = { epoch: [], miou: [], dice: [] };
  const title = h("p", { class: "muted", "data-testid": "mask-epoch" });
  const grid = h("div", { class: "mask-grid", "data-testid": "mask-grid" });
  const legendSlot = h("div");
  const chartEl = h("div", { class: "chart", "data-chart": "epoch-miou" });

  function build(masks) {
    slot.replaceChildren(
      h("h3", {}, "Masks on held-out examples"),
      h("div", { class: "mask-live" }, [h("div", {}, [title, columnHeads(), grid, legendSlot]), chartEl]),
    );
    legendSlot.replaceChildren(legend(masks.labels, masks.palette));
    chart = lineChart(chartEl, {
      title: "Held-out mean IoU and Dice per epoch",
      xLabel: "epoch",
      yLabel: "score",
      range: [0, 1],
      integerX: true,
      series: [
        { label: "mIoU", color: COLORS[2], points: true },
        { label: "Dice", color: COLORS[3], points: true, dash: [4, 3] },
      ],
    });
    slot.hidden = false;
  }

  return {
    event(e) {
      if (e.kind === "resume") {
        const n = curve.epoch.findIndex((x) => x >= e.epoch);
        if (n >= 0) Object.values(curve).forEach((a) => (a.length = n));
        return;
      }
      if (e.kind !== "epoch" || !e.masks) return;
      if (!chart) build(e.masks);
      curve.epoch.push(e.epoch);
      curve.miou.push(e.miou);
      curve.dice.push(e.dice);
      chart.set([curve.epoch, curve.miou, curve.dice]);
      title.textContent = `Epoch ${e.epoch}: held-out mIoU ${e.miou.toFixed(3)}, Dice ${e.dice.toFixed(3)}`;
      grid.replaceChildren(...e.masks.items.map((it) => maskTriple(it)));
    },
    destroy() {
      chart?.destroy();
      chart = null;
    },
  };
}

/** A zoo network's task ("classification" unless the zoo says otherwise). */
export const taskOf = (zooEntry) => zooEntry?.task ?? "classification";

/** The dataset to switch to when a network of `task` is picked: the current one when it
 * fits, else the first ready dataset of that task (null: keep the current one). */
export function datasetFor(task, current, datasets) {
  const fits = (d) => (d.task ?? "classification") === task;
  if (!current || fits(current)) return null;
  return datasets.find((d) => fits(d) && d.status === "ready") ?? null;
}

/** A segmentation network's head (its last conv2d) resized to the dataset's classes. */
export function fitMaskHead(spec, dataset) {
  const out = structuredClone(spec);
  const last = out.layers.findLastIndex((l) => l.type === "conv2d");
  if (last < 0 || out.layers[last].out_channels === dataset.num_classes) return out;
  out.layers[last] = { ...out.layers[last], out_channels: dataset.num_classes };
  return out;
}
