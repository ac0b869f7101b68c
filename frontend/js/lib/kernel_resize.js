// Resizing a flat c' x c x f x f kernel (the animator's custom numbers) to a new f, so the
// grid, the hash and the formula stay in step when f changes (issue 18). Pure: no DOM.
// Each f0 x f0 plane is kept centred: a grown plane is framed by zeros (a 3x3 edge
// detector inside a 7x7 of zeros detects the same edges, no shift), a shrunk one keeps
// its centre. Offsets use floor, so an even f0 -> odd f keeps the top-left-of-centre cell.

/** `w` (length co*c*f0*f0, row-major per plane) as co*c planes of f x f. */
export function resizeKernel(w, co, c, f0, f) {
  if (w.length !== co * c * f0 * f0) throw new Error(`expected ${co * c * f0 * f0} numbers, got ${w.length}`);
  const off = Math.floor((f - f0) / 2); // > 0: grow (pad), < 0: shrink (crop)
  const out = new Array(co * c * f * f).fill(0);
  for (let k = 0; k < co * c; k++) {
    for (let a = 0; a < f; a++) {
      for (let b = 0; b < f; b++) {
        const a0 = a - off;
        const b0 = b - off;
        if (a0 >= 0 && a0 < f0 && b0 >= 0 && b0 < f0) out[(k * f + a) * f + b] = w[(k * f0 + a0) * f0 + b0];
      }
    }
  }
  return out;
}
