// How fast a run goes and how long it has left, from (time, iterations done) readings
// taken as its events arrive. DOM-free: the Train view feeds it, tests/js/pace.test.mjs
// checks it.

const WINDOW_MS = 15_000; // the rate is measured over the last 15 s: it follows changes

/** A recorder of readings; `note(t, done)` returns {itersPerS, secondsLeft} or null. */
export function pace(total, windowMs = WINDOW_MS) {
  const readings = [];
  return {
    note(t, done) {
      const last = readings.at(-1);
      if (last && done < last.done) readings.length = 0; // resumed from an earlier checkpoint
      if (!readings.length || done > readings.at(-1).done) readings.push({ t, done });
      while (readings.length > 2 && t - readings[0].t > windowMs) readings.shift();
      if (readings.length < 2) return null;
      const first = readings[0];
      const end = readings.at(-1);
      const seconds = (end.t - first.t) / 1000;
      if (seconds <= 0) return null;
      const itersPerS = (end.done - first.done) / seconds;
      return { itersPerS, secondsLeft: Math.max(0, total - done) / itersPerS };
    },
    reset() {
      readings.length = 0;
    },
  };
}

/** 75 -> "1 min 15 s", 4000 -> "1 h 7 min", 8 -> "8 s". */
export function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
