// Which padded-input cells feed which output cell: pure arithmetic, no DOM.
// Coordinates are local to the window the server sent (window.padded), whose
// first cell is padded-input (in_row, in_col); output (i, j) of the window reads
// padded (i*s + a*d, j*s + b*d) for kernel offsets a, b in [0, f).
// The output-size formula lives on the server (server/net/core/formula.py) only.

/** Step number -> output cell, row-major over rows x cols. */
export function cellAt(step, cols) {
  return { i: Math.floor(step / cols), j: step % cols };
}

/** Kernel offsets (a, b) and the padded cells (r, c) they cover for output (i, j). */
export function windowCells(i, j, { f, s, d }) {
  const cells = [];
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < f; b++) cells.push({ a, b, r: i * s + a * d, c: j * s + b * d });
  }
  return cells;
}

/** Is window cell (r, c) padding? `n` = [H, W] of the unpadded input. */
export function isPadding(r, c, { inRow, inCol, p, n }) {
  const gr = inRow + r;
  const gc = inCol + c;
  return gr < p || gc < p || gr >= p + n[0] || gc >= p + n[1];
}

/**
 * The products of one conv step. padded: [C][R][Cc]; weight: [C][f][f] (one filter).
 * Returns per channel {terms: [{a,b,r,c,x,w,y}], sum} and the total over channels.
 */
export function convStep(padded, weight, i, j, geom) {
  const cells = windowCells(i, j, geom);
  const channels = padded.map((plane, ch) => {
    const terms = cells.map(({ a, b, r, c }) => {
      const x = plane[r][c];
      const w = weight[ch][a][b];
      return { a, b, r, c, x, w, y: x * w };
    });
    return { terms, sum: terms.reduce((acc, t) => acc + t.y, 0) };
  });
  return { channels, total: channels.reduce((acc, ch) => acc + ch.sum, 0) };
}

/** Cells of one pooling step on one channel, with which one torch chose (max). */
export function poolStep(plane, i, j, geom, chosen) {
  return windowCells(i, j, geom).map((cell) => ({
    ...cell,
    x: plane[cell.r][cell.c],
    chosen: chosen ? chosen[0] === cell.r && chosen[1] === cell.c : false,
  }));
}

/** Total steps of an animation over a rows x cols output window. */
export const stepCount = (rows, cols) => rows * cols;

/** Short number text of a grid cell (lib/format.js cellText). */
export { cellText as fmt } from "./format.js";
