// Draws a loss surface as banded contours (log-scaled levels) with optimizer paths on
// top. grid.z[j][i] is the loss at (xs[i], ys[j]); row 0 is the lowest y. contourFrame()
// puts x and y axes and a colour key around the canvas (issue 18), in HTML beside it, so
// the canvas itself stays the plot area (a click's position maps straight to (x, y)).
import { h } from "../../dom.js";
import { sig3 } from "../../lib/format.js";
import { niceTicks } from "../../lib/ticks.js";

const LEVELS = 16;
const frames = new WeakMap(); // canvas -> the axes and key around it

/** The canvas inside a figure with a y axis on its left, an x axis below and a colour key. */
export function contourFrame(canvas) {
  const yAxis = h("div", { class: "ct-axis ct-y", "data-testid": "contour-y" });
  const xAxis = h("div", { class: "ct-axis ct-x", "data-testid": "contour-x" });
  const key = h("div", { class: "ct-key", "data-testid": "contour-key" });
  frames.set(canvas, { yAxis, xAxis, key });
  return h("figure", { class: "contour" }, [
    h("div", { class: "ct-body" }, [h("span", { class: "ct-name ct-name-y" }, "y"), yAxis, canvas]),
    h("div", { class: "ct-foot" }, [xAxis, h("span", { class: "ct-name" }, "x")]),
    key,
  ]);
}

/** Loss at key position t in [0, 1]: the inverse of the bands' log1p spacing. */
const lossAt = (t, lo, hi) => lo + Math.expm1(t * (Math.log1p(hi - lo) || 1));

function drawFrame(parts, grid, side) {
  const [x0, x1] = grid.x_range;
  const [y0, y1] = grid.y_range;
  const tick = (v, pos, axis) =>
    h("span", { class: "ct-tick", style: `${axis === "x" ? "left" : "bottom"}:${pos}%` }, String(v));
  parts.xAxis.style.width = parts.key.style.width = `${side}px`;
  parts.yAxis.style.height = `${side}px`;
  parts.xAxis.replaceChildren(...niceTicks(x0, x1, 5).map((v) => tick(v, (100 * (v - x0)) / (x1 - x0), "x")));
  parts.yAxis.replaceChildren(...niceTicks(y0, y1, 5).map((v) => tick(v, (100 * (v - y0)) / (y1 - y0), "y")));
  const bands = Array.from({ length: LEVELS }, (_, l) =>
    h("i", { style: `background:rgb(${ramp(l / (LEVELS - 1)).join(",")})` }));
  const lo = grid.z_min;
  const hi = grid.z_max;
  parts.key.replaceChildren(
    h("span", { class: "ct-key-title" }, "loss"),
    h("span", { class: "ct-bands", "aria-hidden": "true" }, bands),
    h("span", { class: "ct-key-labels" }, [0, 0.5, 1].map((t) => h("span", {}, sig3(lossAt(t, lo, hi))))),
    h("small", { class: "muted" }, "bands are log-spaced: finer where the loss is low"),
  );
}

function ramp(t) {
  // t in [0, 1]: low loss pale blue-green, high loss warm sand.
  const a = [232, 244, 247];
  const b = [250, 236, 214];
  const c = [241, 205, 176];
  const [p, q, u] = t < 0.5 ? [a, b, t * 2] : [b, c, (t - 0.5) * 2];
  return p.map((v, k) => Math.round(v + (q[k] - v) * u));
}

// Bilinear loss at fractional grid coordinates (gi along x, gj along y).
function sample(z, gi, gj) {
  const n = z.length - 1;
  const i = Math.min(n - 1, Math.floor(gi));
  const j = Math.min(n - 1, Math.floor(gj));
  const fx = gi - i;
  const fy = gj - j;
  const top = z[j][i] * (1 - fx) + z[j][i + 1] * fx;
  const bot = z[j + 1][i] * (1 - fx) + z[j + 1][i + 1] * fx;
  return top * (1 - fy) + bot * fy;
}

const cache = new WeakMap(); // canvas -> {key, image}: the banded background

function background(ctx, px, grid) {
  const { z, z_min: lo, z_max: hi, size } = grid;
  // log(1 + z - min) spreads the levels where the loss is small (near the minimum).
  const span = Math.log1p(hi - lo) || 1;
  const img = ctx.createImageData(px, px);
  const level = new Int16Array(px * px);
  for (let r = 0; r < px; r++) {
    const gj = ((px - 1 - r) / (px - 1)) * (size - 1);
    for (let c = 0; c < px; c++) {
      const gi = (c / (px - 1)) * (size - 1);
      const t = Math.log1p(Math.max(0, sample(z, gi, gj) - lo)) / span;
      level[r * px + c] = Math.min(LEVELS - 1, Math.floor(t * LEVELS));
    }
  }
  for (let r = 0; r < px; r++) {
    for (let c = 0; c < px; c++) {
      const k = r * px + c;
      const l = level[k];
      // A pixel whose right/lower neighbour is on another level is a contour line.
      const edge = (c + 1 < px && level[k + 1] !== l) || (r + 1 < px && level[k + px] !== l);
      const [R, G, B] = edge ? [150, 160, 170] : ramp(l / (LEVELS - 1));
      img.data.set([R, G, B, 255], k * 4);
    }
  }
  return img;
}

export function drawContour(canvas, side, data, frame, start) {
  const dpr = window.devicePixelRatio || 1;
  const px = Math.round(side * dpr);
  canvas.style.width = `${side}px`;
  canvas.style.height = `${side}px`;
  if (canvas.width !== px) canvas.width = canvas.height = px;
  const ctx = canvas.getContext("2d");
  const { grid } = data;
  const key = `${data.surface}:${px}`;
  let bg = cache.get(canvas);
  if (!bg || bg.key !== key) {
    bg = { key, image: background(ctx, px, grid) };
    cache.set(canvas, bg);
  }
  ctx.putImageData(bg.image, 0, 0);
  const parts = frames.get(canvas);
  if (parts && parts.key.dataset.key !== key) {
    drawFrame(parts, grid, side);
    parts.key.dataset.key = key;
  }

  const [x0, x1] = grid.x_range;
  const [y0, y1] = grid.y_range;
  const X = (x) => ((x - x0) / (x1 - x0)) * px;
  const Y = (y) => px - ((y - y0) / (y1 - y0)) * px;

  if (data.minimum) {
    ctx.fillStyle = "#1b1f24";
    ctx.font = `${14 * dpr}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("★", X(data.minimum[0]), Y(data.minimum[1]));
  }
  ctx.lineJoin = ctx.lineCap = "round";
  for (const path of data.paths) {
    const pts = path.points.slice(0, frame + 1);
    ctx.strokeStyle = path.color;
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    const [x, y] = pts.at(-1);
    ctx.fillStyle = path.color;
    ctx.beginPath();
    ctx.arc(X(x), Y(y), 4.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
  }
  // The start point: a ring, so it stays visible under the paths.
  ctx.strokeStyle = "#1b1f24";
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  ctx.arc(X(start[0]), Y(start[1]), 6 * dpr, 0, 2 * Math.PI);
  ctx.stroke();
  canvas.dataset.frame = String(frame);
}
