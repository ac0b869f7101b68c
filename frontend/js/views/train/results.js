// The end of a run: accuracy, a per-class precision/recall/F1 table, a confusion matrix and
// the held-out examples the network got wrong (click an off-diagonal cell to see only that
// true/predicted pair). Classes are named by their real labels (digits 5-9 read "5".."9").
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { percent as pct } from "../../lib/format.js";
import { pager } from "../../widgets/pager.js";
import { maskResults } from "./mask_results.js";

const PAGE = 24;

export function results(metrics, runId) {
  if (metrics.task === "segmentation") return maskResults(metrics, runId, runId ? weightLinks(runId) : null); // issue 16
  const labels = metrics.labels ?? metrics.per_class.map((r) => String(r.class));
  const rows = metrics.per_class.map((r) =>
    h("tr", {}, [
      h("th", { scope: "row" }, labels[r.class] ?? String(r.class)),
      h("td", {}, pct(r.precision)),
      h("td", {}, pct(r.recall)),
      h("td", {}, pct(r.f1)),
      h("td", {}, String(r.support)),
    ]),
  );
  const table = h("table", { class: "metrics-table" }, [
    h("thead", {}, h("tr", {}, ["Class", "Precision", "Recall", "F1", "Support"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows),
  ]);
  const wrong = runId ? misclassified(runId, labels, metrics.misclassified) : null;
  const grid = confusion(metrics.confusion, labels, wrong ? (i, j) => wrong.show(i, j) : null);
  return h("div", { class: "results" }, [
    h("div", { class: "big-number" }, [
      h("span", { class: "value", "data-testid": "final-accuracy" }, pct(metrics.accuracy)),
      h("span", { class: "muted" }, " held-out accuracy"),
    ]),
    runId ? weightLinks(runId) : null,
    h("div", { class: "results-grid" }, [
      h("section", {}, [h("h3", {}, "Per class"), table]),
      h("section", {}, [
        h("h3", {}, "Confusion matrix"),
        grid,
        wrong ? h("p", { class: "muted hint" }, "Click a cell off the diagonal to see those mistakes.") : null,
      ]),
    ]),
    wrong?.el,
  ]);
}

// A finished run's weights are an entry of the weights library (GET /api/weights): open
// them in the feature-map view, or download the .safetensors file.
function weightLinks(runId) {
  const id = `run-${runId}`;
  return h("p", { class: "run-weights" }, [
    h("a", { href: `#features/net=weights:${id}`, "data-testid": "open-features" }, "See its feature maps"),
    " · ",
    h("a", { href: api.weightsFileUrl(id), download: "", "data-testid": "download-weights" }, "Download weights (.safetensors)"),
  ]);
}

// Rows: the true class; columns: the prediction. Shade by share of the row.
function confusion(cm, labels, onPick) {
  const k = cm.length;
  const grid = h("div", { class: "confusion", style: `--k: ${k}` });
  grid.append(h("div", { class: "corner" }, "true \\ pred"));
  for (let j = 0; j < k; j++) grid.append(h("div", { class: "head" }, labels[j]));
  cm.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    grid.append(h("div", { class: "head" }, labels[i]));
    row.forEach((n, j) => {
      const share = n / total;
      const hue = i === j ? "11, 99, 206" : "217, 72, 15";
      const pick = onPick && i !== j && n > 0;
      const cell = h(
        "div",
        {
          class: pick ? "cell pick" : "cell",
          title: `true ${labels[i]}, predicted ${labels[j]}: ${n}`,
          role: pick ? "button" : null,
          tabindex: pick ? 0 : null,
          "data-true": i,
          "data-pred": j,
        },
        n ? String(n) : "",
      );
      cell.style.background = `rgba(${hue}, ${Math.min(1, share * (i === j ? 1 : 4)).toFixed(3)})`;
      if (i === j && share > 0.55) cell.style.color = "#fff";
      if (pick) {
        const choose = () => {
          const on = !cell.classList.contains("picked");
          grid.querySelectorAll(".picked").forEach((c) => c.classList.remove("picked"));
          cell.classList.toggle("picked", on);
          onPick(on ? i : null, on ? j : null);
        };
        cell.addEventListener("click", choose);
        cell.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            choose();
          }
        });
      }
      grid.append(cell);
    });
  });
  return grid;
}

// A paged grid of wrong held-out examples; show(true, pred) filters to one cell (nulls: all).
function misclassified(runId, labels, kept) {
  const head = h("p", { class: "muted", "data-testid": "wrong-summary" });
  const cards = h("div", { class: "wrong-grid", "data-testid": "wrong-grid" });
  const clear = h("button", { type: "button", class: "link", hidden: true }, "show all");
  const filter = { true: null, pred: null };
  const pages = pager({
    testid: "wrong",
    size: PAGE,
    request: (offset) => api.runMisclassified(runId, { ...filter, offset, limit: PAGE }),
    show: (page) => {
      showPage(page);
      return { shown: page.items.length, of: page.matching };
    },
    fail: (err) => {
      head.textContent = err.message;
    },
  });
  const el = h("section", { class: "wrong" }, [
    h("h3", {}, "Misclassified held-out examples"),
    h("div", { class: "wrong-head" }, [head, clear]),
    cards,
    pages.el,
  ]);
  if (!kept) {
    head.textContent = "This run was trained before misclassified examples were recorded.";
    pages.el.hidden = true;
    return { el, show: () => {} };
  }

  function showPage(page) {
    const filtered = filter.true !== null;
    clear.hidden = !filtered;
    head.textContent = filtered
      ? `True ${labels[filter.true]}, predicted ${labels[filter.pred]}: ${page.matching} example${page.matching === 1 ? "" : "s"}`
      : `${page.total.toLocaleString()} of the held-out examples were wrong` +
        (page.kept < page.total ? `; the ${page.kept} most confident are kept` : "") +
        (page.total ? ", most confident first" : "");
    cards.replaceChildren(
      ...page.items.map((it) =>
        h("figure", { class: "wrong-card", title: `held-out #${it.index}` }, [
          h("img", { src: it.image, alt: `true ${it.true_label}, predicted ${it.pred_label}`, width: 56, height: 56 }),
          h("figcaption", {}, [
            h("span", { class: "true" }, `true ${it.true_label}`),
            h("span", { class: "pred" }, `pred ${it.pred_label}`),
            h("span", { class: "conf muted" }, pct(it.confidence)),
          ]),
        ]),
      ),
    );
  }

  clear.addEventListener("click", () => {
    el.closest(".results")?.querySelectorAll(".confusion .picked").forEach((c) => c.classList.remove("picked"));
    show(null, null);
  });
  function show(t, p) {
    Object.assign(filter, { true: t, pred: p });
    pages.first();
  }
  head.textContent = "Loading the held-out examples...";
  pages.load();
  return { el, show };
}
