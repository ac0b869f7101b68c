// The convolution stage, built once per server answer: padded input grids, the filter and
// its products, the output window, the player controls and the two images. Per step only
// conv/step.js touches it (classes and a few texts).
import { h } from "../../dom.js";
import { fmt, isPadding, stepCount } from "../../lib/conv_geometry.js";
import { linkFormula } from "./highlight.js";

const CHANNEL_NAMES = { 3: ["R", "G", "B"] };

/** A rows x cols grid of make(r, c); with `at` = [row0, col0] a header row and column of
 * indices (row0 + r, col0 + c) frame it, so a cell can be named ("row 3, column 5"). */
function grid(rows, cols, cls, make, at = null) {
  const el = h("div", { class: `grid ${cls}${at ? " indexed" : ""}`, style: `--cols:${cols}` });
  const index = (text, axis) => h("span", { class: `gi gi-${axis}`, "aria-hidden": "true" }, String(text));
  if (at) el.append(index("", "corner"), ...Array.from({ length: cols }, (_, c) => index(at[1] + c, "col")));
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const row = [];
    if (at) el.append(index(at[0] + r, "row"));
    for (let c = 0; c < cols; c++) {
      const cell = make(r, c);
      el.append(cell);
      row.push(cell);
    }
    cells.push(row);
  }
  return { el, cells };
}

/** The grids, the calculation line and the player for one server answer `d`; output channel
 * `ch` (clamped); `on` wires the controls. Returns the handles that a step updates. */
export function buildStage(root, d, ch, on) {
  const win = d.window;
  const [C, H, W] = d.input_shape;
  const f = d.kernel_size;
  const o = Math.min(ch, d.output_shape[0] - 1);
  const names = CHANNEL_NAMES[C] ?? Array.from({ length: C }, (_, i) => `ch ${i}`);
  const geomPad = { inRow: win.in_row, inCol: win.in_col, p: d.padding, n: [H, W] };
  const rows = win.output[0].length;
  const cols = win.output[0][0].length;
  const padShown = d.pad_value === "-inf" ? "−∞" : "0";

  const inputs = win.padded.map((plane, ch) => grid(plane.length, plane[0].length, "grid-in", (r, c) => {
    const pad = isPadding(r, c, geomPad);
    return h("div", { class: pad ? "cell pad" : "cell", "data-in-row": r, "data-in-col": c },
      pad ? padShown : fmt(plane[r][c]));
  }, [win.in_row, win.in_col]));
  // A wide padded input scrolls sideways on a phone: the keyboard must reach it too.
  inputs.forEach((g, ch) => {
    Object.assign(g.el, { tabIndex: 0 }).setAttribute("role", "group");
    g.el.setAttribute("aria-label", `padded input ${names[ch]}`);
  });
  const kernelsEl = d.weight
    ? d.weight[o].map((plane, ch) => grid(f, f, "grid-k", (a, b) =>
      h("input", { class: "cell kcell", value: fmt(plane[a][b]), "aria-label": `filter ${o} channel ${ch} row ${a} col ${b}`,
        onchange: (e) => on.editWeight(o, ch, a, b, e.target.value) }), [0, 0]))
    : null;
  const products = win.padded.map(() => grid(f, f, "grid-prod", () => h("div", { class: "cell" })));
  const out = grid(rows, cols, "grid-out", (i, j) =>
    h("div", { class: "cell out", "data-out-row": win.out_row + i, "data-out-col": win.out_col + j }),
  [win.out_row, win.out_col]);

  const big = H * W > 100 || rows * cols < d.output_shape[1] * d.output_shape[2];
  const colIn = h("div", { class: "stage-col" },
    inputs.map((g, ch) => h("figure", {}, h("figcaption", {}, C > 1 ? `Padded input · ${names[ch]}` : "Padded input"), g.el)));
  const colK = h("div", { class: "stage-col" },
    win.padded.map((_, ch) => h("figure", {},
      h("figcaption", {}, d.op === "conv" ? (C > 1 ? `Filter ${o + 1} · ${names[ch]}` : "Filter") : "Window"),
      h("div", { class: "kp" }, kernelsEl ? kernelsEl[ch].el : null,
        kernelsEl ? h("span", { class: "op-sign" }, "×") : null, products[ch].el))));
  const filterPick = d.output_shape[0] > 1 && d.op === "conv"
    ? h("div", { class: "filter-pick", role: "group", "aria-label": "Output channel" },
      d.weight.map((_, i) => h("button", { type: "button", class: i === o ? "primary" : "",
        onclick: () => on.go({ ch: String(i) }) }, `Filter ${i + 1}`)))
    : null;
  const colOut = h("div", { class: "stage-col" },
    h("figure", {}, h("figcaption", {}, d.output_shape[0] > 1 ? `Output channel ${o + 1} of ${d.output_shape[0]}` : "Output"), out.el),
    filterPick);
  const calc = h("div", { class: "conv-calc", "data-calc": "", "aria-live": "polite" });
  const why = d.op === "conv" && (C > 1 || d.output_shape[0] > 1)
    ? h("p", { class: "muted conv-why" }, `Each filter has ${C} channel${C > 1 ? "s" : ""} (one per input channel); its products are summed over all of them into one number. ${d.output_shape[0]} filter${d.output_shape[0] > 1 ? "s" : ""} → ${d.output_shape[0]} output channel${d.output_shape[0] > 1 ? "s" : ""}.`)
    : null;
  const scrub = h("input", { type: "range", min: 0, max: stepCount(rows, cols) - 1, value: 0, "aria-label": "Step",
    oninput: (e) => on.scrub(+e.target.value) });
  const playBtn = h("button", { type: "button", class: "primary", "data-play": "", onclick: on.toggle }, "▶ Play");
  const player = h("div", { class: "conv-player" },
    h("button", { type: "button", "data-back": "", "aria-label": "Step back", onclick: () => on.by(-1) }, "◀ Step"),
    playBtn,
    h("button", { type: "button", "data-next": "", "aria-label": "Step forward", onclick: () => on.by(1) }, "Step ▶"),
    scrub,
    h("span", { class: "muted", "data-step": "" }),
    h("label", { class: "speed" }, "Speed ",
      h("select", { "aria-label": "Speed", onchange: (e) => on.setSpeed(+e.target.value) },
        [0.5, 1, 2, 4, 8, 20].map((v) => h("option", { value: v, selected: v === on.speed }, `${v}/s`)))));
  const stage = root.querySelector("[data-stage]");
  const note = big ? h("p", { class: "muted conv-why" }, `Showing output cells ${win.out_row}–${win.out_row + rows - 1} × ${win.out_col}–${win.out_col + cols - 1} of ${d.output_shape[1]}×${d.output_shape[2]}; click the output image to move there.`) : null;
  stage.replaceChildren(...[h("div", { class: "stage-grid" }, colIn, colK, colOut), calc, why, note, player].filter(Boolean));
  const view = { inputs, products, out, calc, scrub, playBtn, rows, cols, o, names, prev: [], f, C };

  root.querySelector("[data-formula]").textContent = d.formula;
  root.querySelector("[data-shape]").textContent =
    ` → output ${d.output_shape.join("×")} from input ${d.input_shape.join("×")}`;
  linkFormula(root, d);
  buildImages(root, d, view, on.go);
  // A photo's overview goes right under the formula, where the grids' place in it shows
  // at once; a whole small input is all on the grids, so its pictures can follow them.
  const images = root.querySelector("[data-images]");
  if (big) stage.before(images);
  else stage.after(images);
  return view;
}

/** The input and output images; a click on the output moves the window there. */
function buildImages(root, d, view, go) {
  const box = root.querySelector("[data-images]");
  const [, Ho, Wo] = d.output_shape;
  const rows = view.rows;
  const cols = view.cols;
  const img = d.output_images[view.o];
  const marker = h("div", { class: "marker", style:
    `top:${(100 * d.window.out_row) / Ho}%;left:${(100 * d.window.out_col) / Wo}%;height:${(100 * rows) / Ho}%;width:${(100 * cols) / Wo}%` });
  const outFig = h("figure", { class: "img-fig" },
    h("figcaption", {}, `Output ${Ho}×${Wo}`, h("span", { class: "muted" }, ` · ${fmt(img.min)} (black) to ${fmt(img.max)} (white)`)),
    h("div", { class: "img-wrap", title: "Click to animate this region",
      onclick: (e) => {
        const rect = e.currentTarget.getBoundingClientRect();
        const r = Math.floor(((e.clientY - rect.top) / rect.height) * Ho);
        const c = Math.floor(((e.clientX - rect.left) / rect.width) * Wo);
        go({ fo: `${r},${c}` });
      } },
      h("img", { src: img.src, alt: `filtered output, ${Ho} by ${Wo}`, "data-output-image": "" }), marker));
  const inFig = h("figure", { class: "img-fig" },
    h("figcaption", {}, `Input ${d.input_shape[1]}×${d.input_shape[2]}`),
    h("div", { class: "img-wrap" }, h("img", { src: d.input_image.src, alt: "input image", "data-input-image": "" })));
  box.replaceChildren(inFig, h("span", { class: "arrow", "aria-hidden": "true" }, "→"), outFig);
}
