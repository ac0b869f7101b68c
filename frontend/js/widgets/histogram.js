// A small activation histogram on a canvas: equal bins over [lo, hi] as the server counted
// them (gradient-flow and initialization panels). Bar heights are proportional to counts,
// except that one bin towering over all others (ReLU's zeros) is cut off at the top, marked
// by a white notch, so the rest of the distribution stays readable.
import { sig3 as fmt } from "../lib/format.js";

const W = 132;
const H = 34;

export function histCanvas({ hist, lo, hi }, { color = "#0b63ce", width = W, height = H, title = "" } = {}) {
  const canvas = document.createElement("canvas");
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = "act-hist";
  canvas.title = title || `${fmt(lo)} … ${fmt(hi)}`;
  canvas.dataset.total = String(hist.reduce((a, b) => a + b, 0));
  const ctx = canvas.getContext("2d");
  ctx.scale(dpr, dpr);
  ctx.fillStyle = "#f1f3f5";
  ctx.fillRect(0, 0, width, height);
  const sorted = [...hist].sort((a, b) => b - a);
  const spike = sorted.length > 1 && sorted[1] > 0 && sorted[0] > 3 * sorted[1];
  const max = Math.max(1, spike ? sorted[1] * 1.25 : sorted[0]);
  const bw = width / hist.length;
  ctx.fillStyle = color;
  hist.forEach((c, i) => {
    if (!c) return;
    const bh = Math.min(height, Math.max(1, ((height - 2) * c) / max)); // non-empty: visible
    ctx.fillRect(i * bw + 0.5, height - bh, Math.max(1, bw - 1), bh);
    if (spike && c === sorted[0]) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(i * bw + 0.5, 4, Math.max(1, bw - 1), 2); // the notch: cut off here
      ctx.fillStyle = color;
    }
  });
  canvas.dataset.spike = String(spike);
  // Zero on the axis, when it lies strictly inside the range.
  if (lo < 0 && hi > 0) {
    const x = (width * -lo) / (hi - lo);
    ctx.fillStyle = "rgba(0,0,0,0.35)";
    ctx.fillRect(x, 0, 1, height);
  }
  return canvas;
}


/** n colours from dark blue (first layer) to orange (last): depth reads as hue. */
export function layerColors(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    const hue = 220 - 190 * t; // 220 (blue) -> 30 (orange)
    out.push(`hsl(${hue.toFixed(0)} 70% ${(38 + 12 * t).toFixed(0)}%)`);
  }
  return out;
}
