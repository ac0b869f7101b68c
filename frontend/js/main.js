// Connects the views: the part of the URL hash before "/" picks the view; the
// rest belongs to that view (its shareable state). Each view is one module in
// views/ exporting mount(element, hashRest) and, optionally, unmount() and onHash().
// Layers (tests/js/frontend_layout.test.mjs keeps them): a view (views/<v>.js and its
// folder views/<v>/) imports only lib/ (pure, node-tested), api.js (the only fetch caller),
// dom.js (the one element builder), widgets/ (pieces shared by views) and its own folder.
import { onSignInNeeded } from "./api.js";

const VIEWS = {
  design: () => import("./views/design.js"),
  conv: () => import("./views/conv.js"),
  features: () => import("./views/features.js"),
  train: () => import("./views/train.js"),
  learn: () => import("./views/learn.js"),
  class: () => import("./views/class.js"), // the teacher's (issue 14)
};

// Sign-in (issue 14): a 401 shows the "paste your token" screen; the top bar says who
// is signed in (and shows the Class tab to the teacher).
const topbar = document.querySelector(".topbar");
const badge = () => import("./views/signin/badge.js").then((m) => m.show(topbar));
onSignInNeeded(() => import("./views/signin/screen.js").then((m) => m.ask()).then(badge));
badge();

let current = null;

async function route() {
  const hash = location.hash.replace(/^#/, "");
  const [name, ...rest] = hash.split("/");
  const key = name in VIEWS ? name : "design";
  document.querySelectorAll(".tabs a").forEach((a) => {
    a.setAttribute("aria-current", a.dataset.view === key ? "page" : "false");
  });
  if (current?.key === key) {
    current.module.onHash?.(rest.join("/"));
    return;
  }
  current?.module.unmount?.();
  const el = document.getElementById("view");
  el.replaceChildren();
  el.dataset.view = key;
  const module = await VIEWS[key]();
  current = { key, module };
  await module.mount(el, rest.join("/"));
}

window.addEventListener("hashchange", route);
route();
