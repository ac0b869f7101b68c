// The formula lab: sliders for n, f, p, s, d; the server works out the output size
// (a one-conv spec through /api/shapes) and the picture shows the padded input with
// the filter's positions along one row. The browser never recomputes the size.
import { shapes } from "../../api.js";
import { h, s } from "../../dom.js";

const KNOBS = [
  ["n", "input size n", 1, 16, 7],
  ["f", "filter f", 1, 7, 3],
  ["p", "padding p", 0, 3, 0],
  ["s", "stride s", 1, 4, 1],
  ["d", "dilation d", 1, 3, 1],
];

export function mountFormulaLab(el) {
  const v = Object.fromEntries(KNOBS.map(([k, , , , d]) => [k, d]));
  const out = h(
    "p",
    { class: "lab-out", "data-testid": "lab-formula", "aria-live": "polite" },
    "…",
  );
  const pic = h("div", { class: "lab-pic" });
  let outSize = 0;
  const pos = h("input", {
    type: "range",
    min: 0,
    max: 0,
    value: 0,
    "data-knob": "position",
    "aria-label": "filter position",
    oninput: () => draw(pic, v, outSize, Number(pos.value)),
  });
  let seq = 0;
  let ctl = null;
  const update = async () => {
    const mine = ++seq;
    ctl?.abort();
    ctl = new AbortController();
    const spec = {
      name: "formula lab",
      input: { channels: 1, height: v.n, width: v.n },
      layers: [
        {
          type: "conv2d",
          out_channels: 1,
          kernel_size: v.f,
          padding: v.p,
          stride: v.s,
          dilation: v.d,
        },
      ],
    };
    try {
      const r = await shapes(spec, { signal: ctl.signal });
      if (mine !== seq) return;
      if (r.valid) {
        outSize = r.layers[0].output_shape[1];
        const o = outSize;
        out.replaceChildren(
          h("code", {}, r.layers[0].formula),
          h("span", { class: "muted" }, ` → output ${o} x ${o}`),
        );
        pos.max = String(o * o - 1);
        pos.value = String(Math.min(Number(pos.value), o * o - 1));
        draw(pic, v, o, Number(pos.value));
      } else {
        outSize = 0;
        out.replaceChildren(h("span", { class: "error" }, r.error.message));
        draw(pic, v, 0);
      }
    } catch (e) {
      if (e.name !== "AbortError" && mine === seq) out.textContent = e.message;
    }
  };
  let timer = null;
  el.replaceChildren(
    h("h2", {}, "Formula lab"),
    h(
      "p",
      { class: "muted" },
      "How one convolution sizes its output: floor((n + 2p − d(f−1) − 1)/s) + 1.",
    ),
    h(
      "div",
      { class: "lab-knobs" },
      KNOBS.map(([k, label, lo, hi]) => {
        const val = h("output", { for: `lab-${k}` }, String(v[k]));
        return h(
          "label",
          { class: "knob" },
          h("span", {}, label),
          h("input", {
            id: `lab-${k}`,
            type: "range",
            min: lo,
            max: hi,
            value: v[k],
            "data-knob": k,
            oninput: (e) => {
              v[k] = Number(e.target.value);
              val.textContent = e.target.value;
              clearTimeout(timer);
              timer = setTimeout(update, 120);
            },
          }),
          val,
        );
      }),
    ),
    out,
    h("label", { class: "knob" }, h("span", {}, "filter position"), pos, h("span", {})),
    pic,
  );
  update();
}

/**
 * The padded input (grey = padding) with the filter's taps at output position `at`
 * (row-major), beside the out x out output with that cell marked.
 */
function draw(el, v, outSize, at = 0) {
  const total = v.n + 2 * v.p;
  const cell = Math.max(8, Math.min(20, Math.floor(220 / total)));
  const gap = 28;
  const ocell = outSize ? Math.max(8, Math.min(20, Math.floor(110 / outSize))) : 0;
  const width = total * cell + gap + outSize * ocell + 2;
  const height = Math.max(total * cell, outSize * ocell) + 2;
  const svg = s("svg", {
    width,
    height,
    viewBox: `-1 -1 ${width} ${height}`,
    role: "img",
    "aria-label": `padded input ${total} x ${total} and output ${outSize} x ${outSize}`,
  });
  for (let r = 0; r < total; r++) {
    for (let c = 0; c < total; c++) {
      const pad = r < v.p || c < v.p || r >= v.p + v.n || c >= v.p + v.n;
      svg.append(
        s("rect", {
          x: c * cell,
          y: r * cell,
          width: cell,
          height: cell,
          fill: pad ? "#e5e7eb" : "#fff",
          stroke: "#cbd5e1",
        }),
      );
    }
  }
  if (outSize) {
    const orow = Math.floor(at / outSize);
    const ocol = at % outSize;
    // the taps of the filter that makes output (orow, ocol): stride apart per
    // output step, dilation apart per tap
    for (let i = 0; i < v.f; i++) {
      for (let j = 0; j < v.f; j++) {
        const x = (ocol * v.s + j * v.d) * cell;
        const y = (orow * v.s + i * v.d) * cell;
        svg.append(
          s("rect", {
            x: x + 2,
            y: y + 2,
            width: cell - 4,
            height: cell - 4,
            fill: "#0b63ce",
            opacity: 0.6,
          }),
        );
      }
    }
    const ox = total * cell + gap;
    svg.append(
      s("text", { x: total * cell + 6, y: height / 2 + 4, fill: "#57606a", "font-size": 14 }, "→"),
    );
    for (let r = 0; r < outSize; r++) {
      for (let c = 0; c < outSize; c++) {
        const on = r === orow && c === ocol;
        svg.append(
          s("rect", {
            x: ox + c * ocell,
            y: r * ocell,
            width: ocell,
            height: ocell,
            fill: on ? "#f59e0b" : "#fef3c7",
            stroke: "#d6a75c",
          }),
        );
      }
    }
  }
  el.replaceChildren(svg);
}
