// "Inside learning" view (issue 8): small panels that show how learning works on
// real PyTorch numbers. Each panel is one module in learn/ exporting mount(el) -> {destroy}.
// A table of contents links the panels; the panel chosen and the main controls live in the
// hash (#learn/panel=init&init-depth=25), so a setup is a shareable link (issue 18).
import { h } from "../dom.js";
import { CONTROLS, PANELS, parseSetup, setupHash } from "../lib/learn_setup.js";
import { optimizerPanel } from "./learn/optimizers.js";
import { ewaPanel } from "./learn/ewa.js";
import { gradcheckPanel } from "./learn/gradcheck.js";
import { modesPanel } from "./learn/modes.js";
import { l1l2Panel } from "./learn/l1l2.js";
import { gatesPanel } from "./learn/gates.js";
import { gradflowPanel } from "./learn/gradflow.js";
import { initPanel } from "./learn/init.js";
import { transposedPanel } from "./learn/transposed.js";

const MAKERS = {
  optimizers: optimizerPanel, ewa: ewaPanel, gradcheck: gradcheckPanel, gradflow: gradflowPanel,
  init: initPanel, modes: modesPanel, l1l2: l1l2Panel, gates: gatesPanel,
  transposed: transposedPanel,
};

let panels = [];
let root = null;
let setup = { panel: null, values: {} };
let defaults = {}; // each control's value as its panel built it
let applying = false; // apply() is setting controls: their events are the hash's, not news
let settle = null; // stops re-scrolling to the chosen panel once the user scrolls

const control = (name) => root?.querySelector(`[data-panel] [name="${name}"]`);
const valueOf = (el) => (el.type === "checkbox" ? String(el.checked) : el.value);

export async function mount(el, rest) {
  root = el;
  const toc = h("nav", { class: "learn-toc", "aria-label": "Panels on this page" },
    h("ol", {}, PANELS.map((p) => h("li", {},
      h("a", { href: `#learn/panel=${p.id}`, "data-toc": p.id }, p.title), h("span", { class: "muted" }, ` ${p.blurb}`)))));
  const sections = PANELS.map((p) =>
    h("section", { class: "panel learn-panel", "data-panel": p.id, id: `learn-${p.id}`, tabindex: "-1" }));
  el.append(
    h("div", { class: "learn" }, [
      h("header", { class: "learn-intro" }, [
        h("h1", {}, "Inside learning"),
        h("p", { class: "muted" }, "Small experiments on real PyTorch numbers, each in its own panel: how optimizers use a gradient, how to check one, how it flows and how initialization shapes it, what train and eval mode change, what regularization and recurrent gates do, and how a transposed convolution spreads its input. Every setting here is in the link."),
        toc,
      ]),
      ...sections,
    ]),
  );
  panels = sections.map((s) => MAKERS[s.dataset.panel](s));
  for (const name of CONTROLS) {
    const c = control(name);
    if (c) defaults[name] = valueOf(c);
  }
  el.addEventListener("input", remember);
  el.addEventListener("change", remember);
  apply(rest);
}

export function unmount() {
  panels.forEach((p) => p.destroy());
  panels = [];
  settle?.();
  root = null;
  defaults = {};
}

export function onHash(rest) {
  apply(rest);
}

/** A control moved: keep it in the hash without a hashchange (no re-render). */
function remember(e) {
  const name = e.target?.name;
  if (!CONTROLS.includes(name) || applying) return;
  setup.values[name] = valueOf(e.target);
  writeHash();
}

function writeHash() {
  const hash = setupHash(setup, defaults);
  if (location.hash !== hash) history.replaceState(null, "", hash);
  for (const a of root.querySelectorAll("[data-toc]")) {
    a.href = setupHash({ ...setup, panel: a.dataset.toc }, defaults);
  }
}

/** Set the controls the hash names (each panel reacts to the event as to a user's move)
 * and bring the chosen panel into view. */
function apply(rest) {
  setup = parseSetup(rest);
  for (const [name, value] of Object.entries(setup.values)) {
    const c = control(name);
    if (!c || valueOf(c) === value) continue;
    if (c.type === "checkbox") c.checked = value === "true";
    else c.value = value;
    if (valueOf(c) !== value) continue; // not one of its options: the panel keeps its own
    applying = true;
    try {
      c.dispatchEvent(new Event(c.type === "range" ? "input" : "change", { bubbles: true }));
    } finally {
      applying = false;
    }
  }
  writeHash();
  if (setup.panel) show(setup.panel);
}

/** Scroll to a panel, and again while the panels above it fill in (their charts arrive
 * later and push it down), until the user scrolls or 4 s have passed. */
function show(id) {
  settle?.();
  const target = root.querySelector(`[data-panel="${id}"]`);
  const go = () => target.scrollIntoView({ block: "start" });
  go();
  target.focus({ preventScroll: true });
  const ro = new ResizeObserver(go);
  ro.observe(root.querySelector(".learn"));
  const stop = () => {
    ro.disconnect();
    clearTimeout(timer);
    for (const ev of ["wheel", "touchstart", "keydown"]) window.removeEventListener(ev, stop);
    settle = null;
  };
  const timer = setTimeout(stop, 4000);
  for (const ev of ["wheel", "touchstart", "keydown"]) window.addEventListener(ev, stop, { passive: true });
  settle = stop;
}
