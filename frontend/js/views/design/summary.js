// The network's input editor (fields from the NetworkSpec schema's InputSpec) and
// its totals from the latest /api/shapes answer.
import { compact, shapeText, thousands } from "../../lib/format.js";
import { h } from "../../dom.js";

export function renderInputEditor(el, spec, networkSchema, onChange) {
  const props = networkSchema?.$defs?.InputSpec?.properties ?? {};
  el.replaceChildren(
    h("span", { class: "input-label" }, "Input"),
    ...["channels", "height", "width"].map((key) => {
      const p = props[key] ?? {};
      return h(
        "label",
        { class: "dim" },
        h("span", {}, key === "channels" ? "C" : key === "height" ? "H" : "W"),
        h("input", {
          type: "number",
          "data-testid": `input-${key}`,
          "aria-label": `input ${key}`,
          min: p.minimum,
          max: p.maximum,
          value: spec.input?.[key] ?? p.default ?? "",
          oninput: (e) => {
            const n = Number(e.target.value);
            const ok =
              e.target.value !== "" &&
              Number.isInteger(n) &&
              n >= (p.minimum ?? 1) &&
              n <= (p.maximum ?? Infinity);
            e.target.setAttribute("aria-invalid", String(!ok));
            if (ok) onChange(key, n);
          },
        }),
      );
    }),
  );
}

/** What the locks freeze, from a report asked with ?frozen=: counts and a batch-norm note. */
export function frozenSummary(report) {
  const rows = report?.layers ?? [];
  const frozen = report ? report.total_params - report.trainable_params : 0;
  const norms = rows.filter((r) => !r.trainable && r.type.startsWith("batchnorm"));
  return { frozen, norms: norms.map((r) => r.path) };
}

export function renderTotals(el, report, problem) {
  const stat = (label, value, testid, title) =>
    h(
      "div",
      { class: "stat", title: title ?? "" },
      h("span", { class: "stat-label" }, label),
      h("span", { class: "stat-value", "data-testid": testid }, value),
    );
  const status = problem
    ? h("span", { class: "badge bad", "data-testid": "status" }, problem)
    : !report
      ? h("span", { class: "badge", "data-testid": "status" }, "working…")
      : report.valid
        ? h("span", { class: "badge ok", "data-testid": "status" }, "shapes work out")
        : h(
            "span",
            { class: "badge bad", "data-testid": "status" },
            `error at ${report.error?.layer}`,
          );
  // with an error in the stack the server's totals stop at the failing layer: say so
  const partial = Boolean(report && !report.valid);
  const upTo = partial ? ` up to ${report.error?.layer ?? "the error"}` : "";
  const why = partial ? "counted only up to the layer whose shapes fail: not the whole network" : null;
  el.classList.toggle("partial", partial);
  el.replaceChildren(
    stat(partial ? "Params (partial)" : "Total params", thousands(report?.total_params), "total-params", why),
    stat(partial ? "Trainable (partial)" : "Trainable", thousands(report?.trainable_params), "trainable-params", why),
    stat(
      "Frozen",
      report ? thousands(frozenSummary(report).frozen) : "–",
      "frozen-params",
      "parameters under a lock: they keep their values when fine-tuning",
    ),
    stat(
      partial ? "MACs (partial)" : "MACs",
      compact(report?.macs),
      "macs",
      report ? `${thousands(report.macs)} multiply-accumulates${upTo}` : "",
    ),
    stat("Output", report?.output_shape ? shapeText(report.output_shape) : "–", "output-shape"),
    status,
    ...(partial
      ? [
          h(
            "p",
            { class: "partial-note", "data-testid": "partial-note" },
            `These totals count the layers before the error at ${report.error?.layer ?? "?"} only; fix it to see the whole network's.`,
          ),
        ]
      : []),
    ...[frozenNote(report)].filter(Boolean),
  );
}

function frozenNote(report) {
  const { frozen, norms } = frozenSummary(report);
  if (!frozen) return null;
  const text = norms.length
    ? `Locked layers keep their weights when fine-tuning. Frozen batch norms (${norms.join(", ")}) ` +
      "also keep their running statistics: they normalise with the stored mean and variance " +
      "(eval mode) and do not update them."
    : "Locked layers keep their weights when fine-tuning; the Train view's " +
      "“fine-tune the later layers” mode uses these locks.";
  return h("p", { class: "frozen-note muted", "data-testid": "frozen-note" }, text);
}

/** The selected layer's numbers and its formula, worked with its values by the server. */
export function renderLayerStats(el, row, error) {
  if (error) {
    el.replaceChildren(h("p", { class: "error", "data-testid": "selected-error" }, error.message));
    return;
  }
  if (!row) {
    el.replaceChildren();
    return;
  }
  const kv = (k, v) => h("div", {}, h("dt", {}, k), h("dd", {}, v));
  const kids = [
    h(
      "dl",
      { class: "layer-stats" },
      kv("Shape", `${shapeText(row.input_shape)} → ${shapeText(row.output_shape)}`),
      kv("Params", thousands(row.params)),
      kv("MACs", thousands(row.macs)),
      kv("Receptive field", row.receptive_field?.join(" x ") ?? "–"),
    ),
  ];
  // a layer without a size formula (ReLU, Flatten) shows none: replaceChildren would
  // write a null child as the text "null"
  if (row.formula) kids.push(h("p", { class: "formula" }, h("code", { "data-testid": "formula" }, row.formula)));
  el.replaceChildren(...kids);
}
