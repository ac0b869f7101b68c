// The end of a segmentation run (issue 16): held-out mean IoU, pixel accuracy and Dice, a
// per-class IoU/Dice table, the palette's legend, and a gallery of held-out examples with
// the worst IoU first (GET /api/runs/{id}/worst_iou, paged like the misclassified gallery).
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { percent as pct } from "../../lib/format.js";
import { pager } from "../../widgets/pager.js";
import { legend, maskTriple } from "./masks.js";

const PAGE = 12;
const score = (v) => (v == null ? "–" : v.toFixed(3));

/** `links`: the run's weight links (results.js), shown under the numbers. */
export function maskResults(metrics, runId, links) {
  const labels = metrics.labels;
  const rows = metrics.per_class.map((r) =>
    h("tr", {}, [
      h("th", { scope: "row" }, [h("span", { class: "swatch", style: `background:${metrics.palette[r.class]}` }), labels[r.class]]),
      h("td", {}, score(r.iou)),
      h("td", {}, score(r.dice)),
      h("td", {}, pct(r.precision)),
      h("td", {}, pct(r.recall)),
      h("td", {}, r.support.toLocaleString()),
    ]),
  );
  const table = h("table", { class: "metrics-table", "data-testid": "iou-table" }, [
    h("thead", {}, h("tr", {}, ["Class", "IoU", "Dice", "Precision", "Recall", "Pixels"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows),
  ]);
  return h("div", { class: "results" }, [
    h("div", { class: "big-number" }, [
      h("span", { class: "value", "data-testid": "final-miou" }, score(metrics.miou)),
      h("span", { class: "muted" }, ` held-out mean IoU · Dice ${score(metrics.dice)} · pixel accuracy ${pct(metrics.accuracy)}`),
    ]),
    links,
    h("section", {}, [h("h3", {}, "Per class (held-out pixels)"), h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "Per-class IoU and Dice (scrollable)" }, table), legend(labels, metrics.palette)]),
    runId && metrics.worst_iou ? worstGallery(runId, metrics.worst_iou) : null,
  ]);
}

function worstGallery(runId, kept) {
  const head = h("p", { class: "muted", "data-testid": "worst-summary" }, "Loading the held-out examples...");
  const cards = h("div", { class: "mask-gallery", "data-testid": "worst-grid" });
  const pages = pager({
    testid: "worst",
    size: PAGE,
    request: (offset) => api.runWorstIou(runId, { offset, limit: PAGE }),
    show: (page) => {
      head.textContent = `${page.total.toLocaleString()} held-out examples, lowest IoU first (each image's mean IoU over the classes in its true or predicted mask)`;
      cards.replaceChildren(...page.items.map((it) => maskTriple(it, 64)));
      return { shown: page.items.length, of: page.kept };
    },
    fail: (err) => {
      head.textContent = err.message;
    },
  });
  pages.load();
  return h("section", { class: "wrong" }, [
    h("h3", {}, "Worst held-out examples"),
    head,
    h("div", { class: "mask-heads small muted", "aria-hidden": "true" }, [h("span", {}, "image"), h("span", {}, "true mask"), h("span", {}, "predicted")]),
    cards,
    pages.el,
    kept.items.length < kept.total ? h("p", { class: "muted" }, `The ${kept.items.length} worst are kept.`) : null,
  ]);
}
