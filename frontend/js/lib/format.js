// Numbers and shapes as people read them (no DOM).

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

/** Per-sample shapes: (C, H, W) -> "28x28x6" (H x W x C, as drawn); (F,) -> "120". */
export function shapeText(shape) {
  if (!shape) return "–";
  if (shape.length === 3) return `${shape[1]}x${shape[2]}x${shape[0]}`;
  return shape.join("x");
}
