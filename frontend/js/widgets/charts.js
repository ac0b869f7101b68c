// uPlot line charts for training curves. Data in, chart out; no fetching here.
import uPlot from "uplot";

export const COLORS = ["#0b63ce", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0c8599"];

// Exponential moving average with weight w in [0, 1): w = 0 returns the raw values.
// Debiased like Adam's moments so the first points are not pulled towards 0.
export function ema(values, w) {
  const out = [];
  let m = 0;
  values.forEach((v, i) => {
    m = w * m + (1 - w) * v;
    out.push(w === 0 ? v : m / (1 - w ** (i + 1)));
  });
  return out;
}

// series: [{label, color, dash?, width?}]; data: [xs, ys1, ys2, ...]
export function lineChart(el, { title, xLabel, yLabel, series, range, integerX }) {
  const width = Math.max(260, el.clientWidth || 400);
  const opts = {
    title,
    width,
    height: 220,
    scales: { x: { time: false }, y: range ? { range } : {} },
    // Epochs and iterations are whole numbers: no 0.5 ticks.
    axes: [{ label: xLabel, incrs: integerX ? [1, 2, 5, 10, 20, 50, 100] : undefined }, { label: yLabel, size: 56 }],
    legend: { live: false },
    series: [
      { label: xLabel },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 2,
        dash: s.dash,
        points: { show: s.points ?? false },
        spanGaps: true,
      })),
    ],
  };
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, data, el);
  const resize = new ResizeObserver(() => {
    const w = Math.max(260, el.clientWidth);
    if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: 220 });
  });
  resize.observe(el);
  return {
    set: (d) => plot.setData(d),
    destroy: () => {
      resize.disconnect();
      plot.destroy();
    },
  };
}
