// The end of a run: accuracy, a per-class precision/recall/F1 table, a confusion matrix and
// the held-out examples the network got wrong (click an off-diagonal cell to see only that
// true/predicted pair). Classes are named by their real labels (digits 5-9 read "5".."9").
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { percent as pct } from "../../lib/format.js";
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
  const prev = h("button", { type: "button", "data-testid": "wrong-prev" }, "Previous");
  const next = h("button", { type: "button", "data-testid": "wrong-next" }, "Next");
  const where = h("span", { class: "muted" });
  const clear = h("button", { type: "button", class: "link", hidden: true }, "show all");
  const el = h("section", { class: "wrong" }, [
    h("h3", {}, "Misclassified held-out examples"),
    h("div", { class: "wrong-head" }, [head, clear]),
    cards,
    h("div", { class: "wrong-pager" }, [prev, where, next]),
  ]);
  const state = { true: null, pred: null, offset: 0, token: 0 };
  if (!kept) {
    head.textContent = "This run was trained before misclassified examples were recorded.";
    el.querySelector(".wrong-pager").hidden = true;
    return { el, show: () => {} };
  }

  async function load() {
    const token = ++state.token;
    prev.disabled = next.disabled = true;
    if (!head.textContent) head.textContent = "Loading the held-out examples...";
    let page;
    try {
      page = await api.runMisclassified(runId, { true: state.true, pred: state.pred, offset: state.offset, limit: PAGE });
    } catch (err) {
      head.textContent = err.message;
      return;
    }
    if (token !== state.token) return; // a newer request is on its way
    const filtered = state.true !== null;
    clear.hidden = !filtered;
    head.textContent = filtered
      ? `True ${labels[state.true]}, predicted ${labels[state.pred]}: ${page.matching} example${page.matching === 1 ? "" : "s"}`
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
    const end = state.offset + page.items.length;
    where.textContent = page.matching ? `${state.offset + 1}-${end} of ${page.matching}` : "none";
    prev.disabled = state.offset === 0;
    next.disabled = end >= page.matching;
  }

  prev.addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE);
    load();
  });
  next.addEventListener("click", () => {
    state.offset += PAGE;
    load();
  });
  clear.addEventListener("click", () => {
    el.closest(".results")?.querySelectorAll(".confusion .picked").forEach((c) => c.classList.remove("picked"));
    show(null, null);
  });
  function show(t, p) {
    Object.assign(state, { true: t, pred: p, offset: 0 });
    load();
  }
  load();
  return { el, show };
}
