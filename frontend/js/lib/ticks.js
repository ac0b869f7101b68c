// Round axis ticks over a range (the contour plot's axes, issue 18). Pure: no DOM.

/** About `n` ticks at 1, 2 or 5 x 10^k steps inside [lo, hi], both ends included when
 * they fall on a step. Values are rounded to the step's decimals (no 0.30000000000000004). */
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const raw = (hi - lo) / Math.max(1, n - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toFixed(digits)));
  }
  return out;
}
