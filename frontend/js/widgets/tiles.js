// Turning the server's one-byte-per-value atlases (server/net/core/encode.py) and exact
// float32 values into coloured canvases: the Feature maps view's layer grids and filters, and
// the Train view's "Inside the network" snapshots (issue 19) draw through the same functions.
// No fetch here: the view passes data in.

// A perceptual dark-to-bright map (viridis-like), 256 entries of [r, g, b].
const STOPS = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];
export const COLORMAP = Array.from({ length: 256 }, (_, i) => {
  const t = (i / 255) * (STOPS.length - 1);
  const k = Math.min(Math.floor(t), STOPS.length - 2);
  const f = t - k;
  return STOPS[k].map((a, j) => Math.round(a + (STOPS[k + 1][j] - a) * f));
});

const LINE = "#d0d7de"; // base.css's --line: the frame of a map

export function cssColor(q) {
  const [r, g, b] = COLORMAP[Math.max(0, Math.min(255, Math.round(q)))];
  return `rgb(${r},${g},${b})`;
}

/** PNG atlas Blob -> Uint8ClampedArray of gray values and the sheet's width. */
export async function atlasPixels(png) {
  const bitmap = await createImageBitmap(png, {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  bitmap.close?.();
  return { data, width: canvas.width };
}

/** A base64 PNG (an atlas inside a JSON event) -> the Blob atlasPixels() reads. */
export function pngBlob(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: "image/png" });
}

/** The CSS size of a (th, tw) tile shown about `px` across: whole multiples of its pixels
 * when it is smaller (crisp), scaled down to fit `px` when it is bigger; `fit` always fits. */
export function tileScale(th, tw, px, fit = false) {
  return fit ? px / Math.max(th, tw) : Math.max(1, Math.floor(px / Math.max(th, tw)));
}

/** Tile i of the atlas as a canvas sized by tileScale (the grids' tiles). */
export function sizedTile(atlas, meta, i, px, fit = false) {
  const [th, tw] = meta.tile;
  const scale = tileScale(th, tw, px, fit);
  const c = tileCanvas(atlas, meta, i);
  c.style.width = `${tw * scale}px`;
  c.style.height = `${th * scale}px`;
  return c;
}

/** Tiles 0..count-1 of the atlas side by side on ONE canvas, each drawn as sizedTile
 * draws it (`gap` CSS pixels apart): a live view redrawing every layer a few times a
 * second then holds one canvas per layer, not one per map (each canvas is a layer the
 * browser composites on every frame; issue 20 measured 200 of them as most of a core). */
export function tileStrip(atlas, meta, count, px, fit = false, gap = 3, edge = LINE) {
  const [th, tw] = meta.tile;
  const scale = tileScale(th, tw, px, fit);
  const w = Math.round(tw * scale);
  const hgt = Math.round(th * scale);
  const cell = w + 2; // a 1px frame round each map, as the grids' tiles have
  const canvas = document.createElement("canvas");
  canvas.width = count * cell + Math.max(0, count - 1) * gap;
  canvas.height = hgt + 2;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = !Number.isInteger(scale); // whole multiples stay crisp
  ctx.fillStyle = edge;
  for (let i = 0; i < count; i++) {
    const x = i * (cell + gap);
    ctx.fillRect(x, 0, cell, hgt + 2);
    ctx.drawImage(tileCanvas(atlas, meta, i), x + 1, 1, w, hgt);
  }
  canvas.dataset.tiles = String(count);
  return canvas;
}

/** Tiles 3i, 3i+1, 3i+2 of an atlas on one shared scale (a filter's R, G, B input
 * channels) drawn as one colour image. */
export function rgbTileCanvas(atlas, meta, i) {
  const [h, w] = meta.tile;
  const at = (k, x, y) => {
    const t = 3 * i + k;
    const col = t % meta.cols;
    const row = Math.floor(t / meta.cols);
    return atlas.data[((row * h + y) * atlas.width + col * w + x) * 4];
  };
  return pixelCanvas(w, h, (p) => [0, 1, 2].map((k) => at(k, p % w, Math.floor(p / w))));
}

/** Tile i of the atlas (h x w gray) drawn through the colour map onto a new canvas. */
export function tileCanvas(atlas, meta, i) {
  const [h, w] = meta.tile;
  const col = i % meta.cols;
  const row = Math.floor(i / meta.cols);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  const n = meta.vector ? meta.length : w * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = ((row * h + y) * atlas.width + col * w + x) * 4;
      const dst = (y * w + x) * 4;
      const [r, g, b] = COLORMAP[atlas.data[src]];
      const pad = y * w + x >= n; // a vector's padding past its end
      img.data[dst] = pad ? 240 : r;
      img.data[dst + 1] = pad ? 240 : g;
      img.data[dst + 2] = pad ? 240 : b;
      img.data[dst + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** base64 little-endian float32 -> Float32Array. */
export function floats(obj) {
  const bin = atob(obj.data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** A w x h canvas whose pixel i (row-major) has the colour rgb(i) = [r, g, b], opaque. */
function pixelCanvas(w, h, rgb) {
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) img.data.set([...rgb(i), 255], i * 4);
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** A (h, w) float array drawn on its own lo..hi scale onto a canvas. */
export function valuesCanvas(values, h, w, lo, hi, limit = values.length) {
  const span = hi > lo ? hi - lo : 1;
  return pixelCanvas(w, h, (i) =>
    i >= limit || Number.isNaN(values[i]) ? [240, 240, 240] : COLORMAP[Math.round(((values[i] - lo) / span) * 255)],
  );
}

export function range(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/** Filter o of a (out, cin, kh, kw) weight array as a canvas on lo..hi: RGB when it has
 * three input channels (one colour each), else its first input channel. */
export function filterCanvas(w, o, cin, kh, kw, lo, hi) {
  const per = cin * kh * kw;
  if (cin !== 3) return valuesCanvas(w.subarray(o * per, o * per + kh * kw), kh, kw, lo, hi);
  const span = hi > lo ? hi - lo : 1;
  return pixelCanvas(kw, kh, (i) => [0, 1, 2].map((ch) => ((w[o * per + ch * kh * kw + i] - lo) / span) * 255));
}
