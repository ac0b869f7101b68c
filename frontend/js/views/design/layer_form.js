// The selected layer's settings, built from its JSON schema in /api/layers: bounds,
// enums and defaults come from the server (a field left empty uses its default).
import { h } from "../../dom.js";

const CHILDREN = new Set(["type", "layers", "body", "shortcut", "branches"]);

/** What kind of input a schema property needs. */
export function fieldKind(prop) {
  const opts = prop.anyOf ?? [prop];
  const types = new Set(opts.map((o) => o.type ?? (o.enum ? "enum" : "?")));
  const enums = opts.flatMap((o) => o.enum ?? []);
  if (types.has("integer") && (types.has("array") || types.has("string") || types.has("null"))) {
    return {
      kind: "size",
      enums,
      nullable: types.has("null"),
      int: opts.find((o) => o.type === "integer"),
    };
  }
  if (prop.type === "integer") return { kind: "int", int: prop };
  if (prop.type === "number") return { kind: "number" };
  if (prop.type === "boolean") return { kind: "bool" };
  if (enums.length) return { kind: "enum", enums };
  return { kind: "text" };
}

const show = (v) => (Array.isArray(v) ? v.join(",") : v === null ? "" : String(v));

/**
 * Parse what a person typed for a size-like field: "3", "3,5" / "3x5" / "[3, 5]",
 * an enum word ("same"), or "" for the default. Returns {value} or {error}.
 */
export function parseSize(text, { enums = [], int = {} } = {}) {
  const t = text.trim().replace(/^\[|\]$/g, "");
  if (t === "") return { value: undefined };
  if (enums.includes(t)) return { value: t };
  const parts = t.split(/\s*[,x×]\s*/);
  if (parts.length > 2 || !parts.every((p) => /^\d+$/.test(p))) {
    const words = enums.length ? `, or ${enums.join(" / ")}` : "";
    return { error: `a whole number or two as h,w${words}` };
  }
  const nums = parts.map(Number);
  const lo = int.minimum ?? 0;
  const hi = int.maximum ?? Infinity;
  if (nums.some((n) => n < lo || n > hi)) return { error: `each number between ${lo} and ${hi}` };
  return { value: nums.length === 1 ? nums[0] : nums };
}

function parseNumber(text, prop, integer) {
  const t = text.trim();
  if (t === "") return { value: undefined };
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    return { error: integer ? "a whole number" : "a number" };
  }
  const lo = prop.minimum ?? prop.exclusiveMinimum ?? -Infinity;
  const hi = prop.maximum ?? prop.exclusiveMaximum ?? Infinity;
  if (n < lo || n > hi || n === prop.exclusiveMaximum || n === prop.exclusiveMinimum) {
    return {
      error: `between ${prop.minimum ?? prop.exclusiveMinimum} and ${prop.maximum ?? prop.exclusiveMaximum}`,
    };
  }
  return { value: n };
}

/**
 * el: container; layer: the layer's JSON; schema: its type's schema;
 * onChange(key, value|undefined) applies a valid value.
 */
export function renderLayerForm(el, layer, schema, path, onChange) {
  if (!layer || !schema) {
    el.replaceChildren(h("p", { class: "muted" }, "Select a layer to edit its settings."));
    return;
  }
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).filter(([k]) => !CHILDREN.has(k));
  el.replaceChildren(
    h(
      "h3",
      { class: "form-title" },
      schema.title ?? layer.type,
      h("code", { class: "muted" }, path),
    ),
    h("p", { class: "muted desc" }, schema.description ?? ""),
    fields.length
      ? h(
          "form",
          { class: "layer-form", onsubmit: (e) => e.preventDefault() },
          fields.map(([key, prop]) => field(key, prop, layer[key], required.has(key), onChange)),
        )
      : h("p", { class: "muted" }, "No settings."),
  );
}

function field(key, prop, value, required, onChange) {
  const id = `f-${key}`;
  const info = fieldKind(prop);
  const label = prop.title ?? key;
  const def = prop.default;
  const hint = h("span", { class: "hint", id: `${id}-hint` }, prop.description ?? "");
  const msg = h("span", { class: "field-error", role: "status" });
  const report = (res, input) => {
    input.setAttribute("aria-invalid", String(Boolean(res.error)));
    msg.textContent = res.error ? `Needs ${res.error}.` : "";
    if (res.error) return;
    if (res.value === undefined && required) {
      input.setAttribute("aria-invalid", "true");
      msg.textContent = "Required.";
      return;
    }
    onChange(key, res.value);
  };
  let input;
  if (info.kind === "bool") {
    input = h("input", {
      id,
      name: key,
      type: "checkbox",
      checked: Boolean(value ?? def),
      onchange: (e) => onChange(key, e.target.checked),
    });
    return h("div", { class: "field check" }, input, h("label", { for: id }, label), hint);
  }
  if (info.kind === "enum") {
    input = h(
      "select",
      { id, name: key, onchange: (e) => onChange(key, e.target.value || undefined) },
      info.enums.map((v) => h("option", { value: v, selected: (value ?? def) === v }, v)),
    );
  } else {
    const placeholder =
      def === undefined ? "" : def === null ? "default: same as kernel" : `default ${show(def)}`;
    input = h("input", {
      id,
      name: key,
      type: "text",
      inputmode: info.kind === "text" ? "text" : info.kind === "number" ? "decimal" : "numeric",
      value: value === undefined ? "" : show(value),
      placeholder,
      autocomplete: "off",
      "aria-describedby": `${id}-hint`,
      oninput: (e) => {
        const t = e.target.value;
        if (info.kind === "size") report(parseSize(t, info), e.target);
        else if (info.kind === "int") report(parseNumber(t, prop, true), e.target);
        else if (info.kind === "number") report(parseNumber(t, prop, false), e.target);
        else report({ value: t === "" ? undefined : t }, e.target);
      },
    });
  }
  const extra = info.kind === "size" && info.enums.length ? ` (or ${info.enums.join(" / ")})` : "";
  return h(
    "div",
    { class: "field" },
    h(
      "label",
      { for: id },
      label,
      required ? h("span", { class: "req", title: "required" }, " *") : null,
    ),
    input,
    extra ? (hint.append(extra), hint) : hint,
    msg,
  );
}
