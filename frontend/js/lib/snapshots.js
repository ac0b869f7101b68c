// The "Inside the network" panel's bookkeeping (issue 19), pure: which snapshots a live
// view keeps, which one a slider position shows, and what the layer-change rows say.

/** At most `max` of the snapshots (ordered by iteration): the first, the last, and between
 * them the one nearest to each evenly spaced iteration (as the store thins a run's). */
export function keepEvenly(snaps, max) {
  if (snaps.length <= max) return snaps;
  const first = snaps[0].iter;
  const last = snaps.at(-1).iter;
  const kept = new Set([0, snaps.length - 1]);
  let j = 0;
  for (let k = 1; k < max - 1; k++) {
    const point = first + ((last - first) * k) / (max - 1);
    while (j + 1 < snaps.length && Math.abs(snaps[j + 1].iter - point) <= Math.abs(snaps[j].iter - point)) j++;
    kept.add(j);
  }
  return [...kept].sort((a, b) => a - b).map((i) => snaps[i]);
}

/** Insert a snapshot by iteration (a resumed run's come after; duplicates replace). */
export function addSnapshot(snaps, s) {
  const i = snaps.findIndex((x) => x.iter >= s.iter);
  if (i < 0) snaps.push(s);
  else if (snaps[i].iter === s.iter) snaps[i] = s;
  else snaps.splice(i, 0, s);
  return snaps;
}

/** The rows of the "which layers move" list: [{path, change, frozen, share}] where share is
 * change relative to the largest change (0..1) for the bar. */
export function changeRows(layers) {
  const top = Math.max(0, ...layers.filter((l) => !l.frozen).map((l) => l.change));
  return layers.map((l) => ({ ...l, share: top > 0 ? Math.min(1, l.change / top) : 0 }));
}

/** "12.3%" for a relative change, "<0.1%" for a tiny non-zero one, "0" for none. */
export function changeText(change) {
  if (change === 0) return "0";
  const pct = change * 100;
  if (pct < 0.1) return "<0.1%";
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
}
