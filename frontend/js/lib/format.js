// Numbers and shapes as people read them (no DOM). Each view's number style lives here
// once, named after what it shows; tests/js/format.test.mjs pins every one.

export const thousands = (n) => (n == null ? "–" : Math.round(n).toLocaleString("en-US"));

/** 61706 -> "61.7K", 11689512 -> "11.7M". */
export function compact(n) {
  if (n == null) return "–";
  const units = [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(1)}${u}`;
  return String(n);
}

/** Per-sample shapes in PyTorch's order, as the input is typed: (C, H, W) -> "6x28x28";
 * (F,) -> "120" (issue 18: one convention everywhere). */
export function shapeText(shape) {
  if (!shape) return "–";
  return shape.join("x");
}

/** A share as a percentage with one decimal: 0.9063 -> "90.6%". */
export const percent = (v) => `${(100 * v).toFixed(1)}%`;

/** Activation and weight readings: 4 decimals, exponent form past 1000 or under 0.001. */
export const reading = (v) =>
  v == null
    ? "–"
    : Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0)
      ? v.toExponential(3)
      : v.toFixed(4);

/** Chart labels: 3 significant digits, exponent form when tiny or huge. */
export function sig3(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

/** Losses: 3 decimals, exponent form past 1e4 or under 1e-3. */
export const fixed3 = (v) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : v.toFixed(3);

/** Table statistics: exactly 3 decimals; "–" where there is none. */
export const decimals3 = (v) => (v == null ? "–" : v.toFixed(3));

/** Grid cells: integers as they are, else up to 3 significant decimals; "" for none. */
export function cellText(v) {
  if (v === null || v === undefined) return "";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (Number.isInteger(v)) return String(v);
  const t = Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return t.replace(/\.?0+$/, "").replace(/^-0$/, "0");
}

/** Where v sits on a log10 axis from 10^lo to 10^hi, in percent (clamped; v <= 0 -> 0). */
export function logPercent(v, lo, hi) {
  const lg = v > 0 ? Math.log10(v) : lo;
  return (100 * (Math.min(hi, Math.max(lo, lg)) - lo)) / (hi - lo);
}
