// The Inside-learning page's setup in the URL hash (issue 18), so a link opens the same
// panel with the same main controls: "#learn/panel=init&init-depth=25&init-act=relu".
// Pure: the view reads and writes the controls; this only names and encodes them.

/** The panels in page order: id (data-panel), title, and what each one shows. */
export const PANELS = [
  { id: "optimizers", title: "Optimizers", blurb: "SGD, momentum, RMSprop and Adam stepping over a loss surface." },
  { id: "ewa", title: "Weighted averages", blurb: "The running average inside momentum and Adam, and its bias correction." },
  { id: "gradcheck", title: "Gradient checking", blurb: "Backprop's gradients against finite differences, layer by layer." },
  { id: "gradflow", title: "Gradient flow", blurb: "How big each layer's gradient is when it arrives: vanishing gradients." },
  { id: "init", title: "Initialization", blurb: "What zeros, small, Xavier and He weights do to a deep stack's signal." },
  { id: "modes", title: "Train vs eval mode", blurb: "Dropout and batch norm behave differently in training and evaluation." },
  { id: "l1l2", title: "L1 vs L2", blurb: "Why L1 zeroes weights and L2 only shrinks them." },
  { id: "gates", title: "LSTM and GRU gates", blurb: "A recurrent net's gates, step by step over a digit." },
  { id: "transposed", title: "Transposed convolution", blurb: "How each input value is spread over a larger output, and the checkerboard." },
];

/** The main controls kept in the hash: their `name` attributes (unique on the page). */
export const CONTROLS = [
  "surface", "steps", "beta", "bias_correction", "gc-net", "gc-broken", "gf-net", "gf-init",
  "init-depth", "init-width", "init-act", "p", "md-batchnorm", "budget",
  "tc-n", "tc-kernel", "tc-stride", "tc-padding", "tc-values",
];

const PANEL_IDS = new Set(PANELS.map((p) => p.id));

/** The hash rest -> {panel: id | null, values: {control: string}}; unknown keys dropped. */
export function parseSetup(rest) {
  const q = new URLSearchParams(rest ?? "");
  const panel = PANEL_IDS.has(q.get("panel")) ? q.get("panel") : null;
  const values = {};
  for (const name of CONTROLS) if (q.has(name)) values[name] = q.get(name);
  return { panel, values };
}

/** {panel, values} -> "#learn/...", leaving out values equal to `defaults` (a short link). */
export function setupHash({ panel, values }, defaults = {}) {
  const q = new URLSearchParams();
  if (panel) q.set("panel", panel);
  for (const name of CONTROLS) {
    if (name in values && values[name] !== defaults[name]) q.set(name, values[name]);
  }
  const text = q.toString();
  return text ? `#learn/${text}` : "#learn";
}
