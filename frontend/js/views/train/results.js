// The end of a run: accuracy, a per-class precision/recall/F1 table, a confusion matrix.
import { h } from "./dom.js";

const pct = (v) => `${(100 * v).toFixed(1)}%`;

export function results(metrics) {
  const rows = metrics.per_class.map((r) =>
    h("tr", {}, [
      h("th", { scope: "row" }, String(r.class)),
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
  return h("div", { class: "results" }, [
    h("div", { class: "big-number" }, [
      h("span", { class: "value", "data-testid": "final-accuracy" }, pct(metrics.accuracy)),
      h("span", { class: "muted" }, " held-out accuracy"),
    ]),
    h("div", { class: "results-grid" }, [
      h("section", {}, [h("h3", {}, "Per class"), table]),
      h("section", {}, [h("h3", {}, "Confusion matrix"), confusion(metrics.confusion)]),
    ]),
  ]);
}

// Rows: the true class; columns: the prediction. Shade by share of the row.
function confusion(cm) {
  const k = cm.length;
  const grid = h("div", { class: "confusion", style: `--k: ${k}` });
  grid.append(h("div", { class: "corner" }, "true \\ pred"));
  for (let j = 0; j < k; j++) grid.append(h("div", { class: "head" }, String(j)));
  cm.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    grid.append(h("div", { class: "head" }, String(i)));
    row.forEach((n, j) => {
      const share = n / total;
      const hue = i === j ? "11, 99, 206" : "217, 72, 15";
      const cell = h("div", { class: "cell", title: `true ${i}, predicted ${j}: ${n}` }, n ? String(n) : "");
      cell.style.background = `rgba(${hue}, ${Math.min(1, share * (i === j ? 1 : 4)).toFixed(3)})`;
      if (i === j && share > 0.55) cell.style.color = "#fff";
      grid.append(cell);
    });
  });
  return grid;
}
