// Connects the views: the part of the URL hash before "/" picks the view; the
// rest belongs to that view (its shareable state). Each view is one module in
// views/ exporting mount(element, hashRest) and, optionally, unmount() and onHash().
// Layers (tests/js/frontend_layout.test.mjs keeps them): a view (views/<v>.js and its
// folder views/<v>/) imports only lib/ (pure, node-tested), api.js (the only fetch caller),
// dom.js (the one element builder), widgets/ (pieces shared by views) and its own folder.
const VIEWS = {
  design: () => import("./views/design.js"),
  conv: () => import("./views/conv.js"),
  features: () => import("./views/features.js"),
  train: () => import("./views/train.js"),
  learn: () => import("./views/learn.js"),
};

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
