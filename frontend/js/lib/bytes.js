// A byte count as a person reads it: 999 B, 1.5 kB, 12 MB, 2.1 GB (powers of 1000).
const UNITS = ["B", "kB", "MB", "GB", "TB"];

export function bytesText(n) {
  if (n == null || !Number.isFinite(n)) return "–";
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}
