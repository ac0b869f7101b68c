// Optimizer playground: SGD, momentum, RMSprop and Adam stepping (x, y) on a 2-D loss
// surface. The server runs real torch.optim; here we draw the contour and animate paths.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { errorLine, hideError, intro, showError } from "../../widgets/panel.js";
import { fixed3 as fmt } from "../../lib/format.js";
import { contourFrame, drawContour } from "./contour.js";

const OPTIMIZERS = [
  { name: "sgd", title: "SGD", color: "#d9480f", lr: 0.05, extra: [] },
  { name: "momentum", title: "Momentum", color: "#2b8a3e", lr: 0.02, extra: [["momentum", 0.9]] },
  { name: "rmsprop", title: "RMSprop", color: "#862e9c", lr: 0.05, extra: [["alpha", 0.99]] },
  { name: "adam", title: "Adam", color: "#0b63ce", lr: 0.1, extra: [["beta1", 0.9], ["beta2", 0.999]] },
];
const SURFACES = {
  elongated: "Elongated bowl (a ≫ b)",
  elongated_scaled: "Same bowl, features scaled",
  saddle: "Saddle x² − y²",
  rosenbrock: "Rosenbrock valley",
};
const STARTS = {
  elongated: [-2.5, 2.5],
  elongated_scaled: [-2.5, 2.5],
  saddle: [1.8, 0.01],
  rosenbrock: [-1.5, 2.5],
};
// Settings that show each surface's character (Rosenbrock's steep walls need small steps).
const PRESETS = {
  elongated: { steps: 100, lr: { sgd: 0.05, momentum: 0.02, rmsprop: 0.05, adam: 0.1 } },
  elongated_scaled: { steps: 100, lr: { sgd: 0.05, momentum: 0.02, rmsprop: 0.05, adam: 0.1 } },
  saddle: { steps: 100, lr: { sgd: 0.05, momentum: 0.02, rmsprop: 0.01, adam: 0.05 } },
  rosenbrock: { steps: 300, lr: { sgd: 0.001, momentum: 0.0005, rmsprop: 0.01, adam: 0.1 } },
};
const LABEL = { momentum: "β", alpha: "α", beta1: "β₁", beta2: "β₂" };

function num(name, value, step) {
  return h("input", { type: "number", name, value, step, min: "0" });
}

export function optimizerPanel(root) {
  const state = { surface: "elongated", start: STARTS.elongated, data: null, frame: 0, playing: false, raf: 0, seq: 0 };
  const surfaceSel = h(
    "select",
    { name: "surface", onchange: () => pickSurface(surfaceSel.value) },
    Object.entries(SURFACES).map(([k, v]) => h("option", { value: k }, v)),
  );
  const steps = h("input", { type: "number", name: "steps", value: "100", min: "1", max: "500", step: "1" });
  const rows = OPTIMIZERS.map((o) => {
    const on = h("input", { type: "checkbox", name: `${o.name}-on`, checked: true });
    const lr = num(`${o.name}-lr`, o.lr, "any");
    const extras = o.extra.map(([k, v]) => [k, num(`${o.name}-${k}`, v, "any")]);
    const el = h("div", { class: "opt-row", style: `--c:${o.color}` }, [
      h("label", { class: "opt-name" }, [on, h("i", { class: "swatch" }), o.title]),
      h("label", { class: "opt-field" }, [h("span", {}, "lr"), lr]),
      ...extras.map(([k, input]) => h("label", { class: "opt-field" }, [h("span", {}, LABEL[k]), input])),
      h("span", { class: "opt-status", "data-name": o.name }),
    ]);
    return { o, on, lr, extras, el };
  });
  const canvas = h("canvas", { class: "surface", "data-testid": "surface", title: "Click to start from here" });
  const frameOut = h("span", { class: "frame", "data-testid": "frame" });
  const playBtn = h("button", { type: "button", "data-testid": "play", onclick: () => (state.playing ? pause() : play()) }, "Play");
  const stepBtn = h("button", { type: "button", "data-testid": "step", onclick: () => { pause(); setFrame(state.frame + 1); } }, "Step");
  const resetBtn = h("button", { type: "button", onclick: () => { pause(); setFrame(0); } }, "Reset");
  const startOut = h("span", { class: "muted start" });
  const error = errorLine();
  const form = h("form", { class: "opt-form", onsubmit: (e) => { e.preventDefault(); run(); } }, [
    h("div", { class: "opt-top" }, [
      h("label", { class: "opt-field" }, [h("span", {}, "Surface"), surfaceSel]),
      h("label", { class: "opt-field" }, [h("span", {}, "Steps"), steps]),
    ]),
    ...rows.map((r) => r.el),
    h("div", { class: "opt-actions" }, [h("button", { type: "submit", class: "primary", "data-testid": "run-optimizers" }, "Run"), startOut]),
    error,
  ]);
  root.append(
    ...intro("Optimizers on a loss surface", "Each path is torch.optim stepping a 2-number parameter (x, y) on the surface. Click the plot to choose the start."),
    h("div", { class: "opt-layout" }, [
      h("div", { class: "opt-plot" }, [contourFrame(canvas), h("div", { class: "player" }, [playBtn, stepBtn, resetBtn, frameOut])]),
      form,
    ]),
  );

  function pickSurface(name) {
    state.surface = name;
    state.start = STARTS[name];
    steps.value = String(PRESETS[name].steps);
    rows.forEach((r) => (r.lr.value = String(PRESETS[name].lr[r.o.name])));
    run();
  }

  canvas.addEventListener("click", (e) => {
    if (!state.data) return;
    const rect = canvas.getBoundingClientRect();
    const [x0, x1] = state.data.grid.x_range;
    const [y0, y1] = state.data.grid.y_range;
    const x = x0 + ((e.clientX - rect.left) / rect.width) * (x1 - x0);
    const y = y1 - ((e.clientY - rect.top) / rect.height) * (y1 - y0);
    state.start = [Number(x.toFixed(3)), Number(y.toFixed(3))];
    run();
  });

  function body() {
    return {
      surface: state.surface,
      start: state.start,
      steps: Number(steps.value),
      optimizers: rows
        .filter((r) => r.on.checked)
        .map((r) => ({ name: r.o.name, lr: Number(r.lr.value), ...Object.fromEntries(r.extras.map(([k, i]) => [k, Number(i.value)])) })),
    };
  }

  async function run() {
    pause();
    const seq = ++state.seq;
    const req = body();
    startOut.textContent = `start (${req.start[0]}, ${req.start[1]})`;
    if (!req.optimizers.length) {
      showError(error, "Tick at least one optimizer.");
      return;
    }
    try {
      const data = await api.learningOptimizers(req);
      if (seq !== state.seq) return;
      hideError(error);
      state.data = data;
      data.paths.forEach((p) => (p.color = OPTIMIZERS.find((o) => o.name === p.name).color));
      canvas.dataset.points = data.paths.map((p) => p.points.length).join(",");
      canvas.dataset.paths = String(data.paths.length);
      rows.forEach((r) => {
        const p = data.paths.find((q) => q.name === r.o.name);
        const status = r.el.querySelector(".opt-status");
        status.dataset.points = p ? String(p.points.length) : "0";
        status.classList.toggle("bad", !!p?.diverged);
        status.textContent = !p ? "" : p.diverged ? `diverged at step ${p.points.length}` : `loss ${fmt(p.points.at(-1)[2])}`;
      });
      setFrame(0);
      play();
    } catch (e) {
      showError(error, e.message);
    }
  }

  const maxFrame = () => Math.max(0, ...state.data.paths.map((p) => p.points.length - 1));
  function setFrame(i) {
    if (!state.data) return;
    state.frame = Math.max(0, Math.min(i, maxFrame()));
    frameOut.textContent = `step ${state.frame} of ${maxFrame()}`;
    render();
  }
  function play() {
    if (!state.data) return;
    if (state.frame >= maxFrame()) setFrame(0);
    state.playing = true;
    playBtn.textContent = "Pause";
    const perFrame = Math.max(1, Math.round(maxFrame() / 150)); // about 2.5 s at 60 fps
    const tick = () => {
      if (!state.playing) return;
      setFrame(state.frame + perFrame);
      if (state.frame >= maxFrame()) return pause();
      state.raf = requestAnimationFrame(tick);
    };
    state.raf = requestAnimationFrame(tick);
  }
  function pause() {
    state.playing = false;
    cancelAnimationFrame(state.raf);
    playBtn.textContent = "Play";
  }
  function render() {
    // The plot column less the y axis beside the canvas (contour.js: .ct-name + .ct-y).
    const side = Math.min(560, Math.max(220, canvas.closest(".opt-plot").clientWidth - 48));
    drawContour(canvas, side, state.data, state.frame, state.start);
  }
  const resize = new ResizeObserver(() => state.data && render());
  resize.observe(root);
  run();
  return {
    destroy: () => {
      pause();
      resize.disconnect();
      state.seq++;
    },
  };
}


