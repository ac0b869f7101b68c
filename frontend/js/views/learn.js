// "Inside learning" view (issue 8): small panels that show how learning works on
// real PyTorch numbers. Each panel is one module in learn/ exporting mount(el) -> {destroy}.
import { h } from "../dom.js";
import { optimizerPanel } from "./learn/optimizers.js";
import { ewaPanel } from "./learn/ewa.js";
import { gradcheckPanel } from "./learn/gradcheck.js";
import { modesPanel } from "./learn/modes.js";
import { l1l2Panel } from "./learn/l1l2.js";
import { gatesPanel } from "./learn/gates.js";
import { gradflowPanel } from "./learn/gradflow.js";
import { initPanel } from "./learn/init.js";

let panels = [];

export async function mount(el) {
  const optim = h("section", { class: "panel learn-panel", "data-panel": "optimizers" });
  const ewa = h("section", { class: "panel learn-panel", "data-panel": "ewa" });
  const grad = h("section", { class: "panel learn-panel", "data-panel": "gradcheck" });
  const modes = h("section", { class: "panel learn-panel", "data-panel": "modes" });
  const l1l2 = h("section", { class: "panel learn-panel", "data-panel": "l1l2" });
  const gates = h("section", { class: "panel learn-panel", "data-panel": "gates" });
  const flow = h("section", { class: "panel learn-panel", "data-panel": "gradflow" });
  const inits = h("section", { class: "panel learn-panel", "data-panel": "init" });
  el.append(
    h("div", { class: "learn" }, [
      h("header", { class: "learn-intro" }, [
        h("h1", {}, "Inside learning"),
        h("p", { class: "muted" }, "What an optimizer actually does with a gradient, one step at a time."),
      ]),
      optim,
      ewa,
      grad,
      flow,
      inits,
      modes,
      l1l2,
      gates,
    ]),
  );
  panels = [optimizerPanel(optim), ewaPanel(ewa), gradcheckPanel(grad), modesPanel(modes)];
  panels.push(l1l2Panel(l1l2), gatesPanel(gates));
  panels.push(gradflowPanel(flow), initPanel(inits));
}

export function unmount() {
  panels.forEach((p) => p.destroy());
  panels = [];
}
