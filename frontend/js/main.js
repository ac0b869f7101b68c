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
// While the server is still loading torch and the rest (issue 20), the top bar says so.
import("./views/starting.js").then((m) => m.watch(topbar));

// The view on screen: its key at once, its module once imported. `routes` counts route
// calls, so that a view whose import resolves after the user has moved on is not mounted
// over the newer one (a quick Design -> Convolution -> Design showed Convolution).
let current = null;
let routes = 0;

function parse() {
  const [name, ...rest] = location.hash.replace(/^#/, "").split("/");
  return { key: name in VIEWS ? name : "design", rest: rest.join("/") };
}

async function route() {
  const { key, rest } = parse();
  document.querySelectorAll(".tabs a").forEach((a) => {
    a.setAttribute("aria-current", a.dataset.view === key ? "page" : "false");
  });
  if (current?.key === key) {
    current.module?.onHash?.(rest); // still importing: mount reads the newest hash itself
    return;
  }
  const mine = ++routes;
  current?.module?.unmount?.();
  current = { key, module: null };
  const el = document.getElementById("view");
  el.replaceChildren();
  el.dataset.view = key;
  const module = await VIEWS[key]();
  if (mine !== routes) return; // another view was asked for while this one loaded
  current.module = module;
  await module.mount(el, parse().rest);
}

window.addEventListener("hashchange", route);
route();
