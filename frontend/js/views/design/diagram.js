// The network drawn as SVG from lib/diagram_layout.js, and its SVG/PNG downloads.
import { layoutNetwork } from "../../lib/diagram_layout.js";
import { download, s } from "../../dom.js";

const FILL = {
  conv2d: "#dbeafe",
  conv_transpose2d: "#cffafe",
  upsample: "#cffafe",
  maxpool2d: "#dcfce7",
  avgpool2d: "#dcfce7",
  adaptive_avgpool2d: "#dcfce7",
  global_avgpool2d: "#dcfce7",
  linear: "#fde68a",
  flatten: "#f3f4f6",
  input: "#e5e7eb",
  lstm: "#fbcfe8",
  gru: "#fbcfe8",
};

const ZOOMS = [0.25, 0.35, 0.5, 0.65, 0.8, 1, 1.25, 1.5, 2];

/** The diagram's zoom (1 = SVG units as pixels); "" until first drawn. */
export const zoomOf = (el) => Number(el.dataset.zoom || 1);

/** One step in or out (dir +1/-1), kept within ZOOMS; redraws through `redraw`. */
export function stepZoom(el, dir) {
  const z = zoomOf(el);
  const next = dir > 0 ? ZOOMS.find((v) => v > z + 1e-9) : ZOOMS.findLast((v) => v < z - 1e-9);
  if (next) setZoom(el, next);
}

function setZoom(el, z) {
  el.dataset.zoom = String(z);
  el.classList.remove("fit");
  const svg = el.querySelector("svg");
  if (!svg) return;
  svg.setAttribute("width", String(Math.round(Number(svg.dataset.w) * z)));
  svg.setAttribute("height", String(Math.round(Number(svg.dataset.h) * z)));
  el.dispatchEvent(new CustomEvent("zoomed", { detail: z }));
}

/** Drag to pan (from anywhere: a drag that moved is not a click); Ctrl+wheel zooms.
 * Installed once per container. */
function installPanZoom(el) {
  if (el.dataset.panzoom) return;
  el.dataset.panzoom = "1";
  let drag = null;
  el.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop, moved: false, id: e.pointerId };
  });
  el.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 5) return;
    if (!drag.moved) {
      drag.moved = true;
      el.classList.add("panning");
      el.setPointerCapture?.(drag.id);
    }
    el.scrollLeft = drag.left - dx;
    el.scrollTop = drag.top - dy;
  });
  const end = () => {
    const moved = drag?.moved;
    drag = null;
    el.classList.remove("panning");
    if (moved) {
      // the click that ends a drag selects nothing
      const swallow = (ev) => ev.stopPropagation();
      el.addEventListener("click", swallow, { capture: true, once: true });
      setTimeout(() => el.removeEventListener("click", swallow, { capture: true }), 0);
    }
  };
  el.addEventListener("pointerup", end);
  el.addEventListener("pointercancel", end);
  el.addEventListener(
    "wheel",
    (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      stepZoom(el, e.deltaY < 0 ? 1 : -1);
    },
    { passive: false },
  );
}

/**
 * d: {spec, report, selected, collapsed (Set of folded block paths), onSelect(path),
 * onFold(path)}. A click on a box selects its layer; a click on a block's title bar folds
 * it, on a folded block's box unfolds it (the layer list folds the same blocks).
 */
export function renderDiagram(el, d) {
  const { spec, report, selected, onSelect, onFold } = d;
  // an error inside a folded block unfolds it, as in the layer list
  const errAt = report?.error?.layer ?? "";
  const collapsed = new Set([...(d.collapsed ?? [])].filter((p) => !errAt.startsWith(`${p}.`)));
  const lay = layoutNetwork(spec, report, collapsed);
  if (!el.dataset.zoom) {
    // a network wider than the panel opens scaled to its width, so nothing is cut off
    const room = el.clientWidth - 4;
    const fit = room > 0 && lay.w > room ? room / lay.w : 1;
    el.dataset.zoom = String(Math.max(ZOOMS[0], Math.min(1, fit)));
  }
  const z = zoomOf(el);
  const svg = s("svg", {
    xmlns: "http://www.w3.org/2000/svg",
    viewBox: `0 0 ${lay.w} ${lay.h}`,
    width: Math.round(lay.w * z),
    height: Math.round(lay.h * z),
    "data-w": lay.w,
    "data-h": lay.h,
    role: "img",
    "aria-label": `Diagram of ${spec.name ?? "the network"}`,
    "font-family": "system-ui, sans-serif",
    "font-size": "11",
  });
  svg.append(s("rect", { x: 0, y: 0, width: lay.w, height: lay.h, fill: "#ffffff" }));
  for (const n of lay.nodes.filter((x) => x.kind === "frame")) {
    const head = s("g", { class: "dia-head", "data-fold": n.path, cursor: "pointer" });
    head.append(
      s("title", {}, "Click to fold this block into one box"),
      s("rect", { x: n.x, y: n.y, width: n.w, height: 22, rx: 8, fill: "transparent" }),
      s("text", { x: n.x + 8, y: n.y + 15, fill: "#334155", "font-weight": "600" }, `▾ ${n.label}`),
    );
    head.addEventListener("click", () => onFold?.(n.path));
    svg.append(
      s("rect", {
        x: n.x,
        y: n.y,
        width: n.w,
        height: n.h,
        rx: 8,
        fill: "#f8fafc",
        stroke: n.error ? "#b42318" : n.path === selected ? "#0b63ce" : "#94a3b8",
        "stroke-width": n.path === selected ? 2 : 1,
        "stroke-dasharray": "4 3",
        "data-path": n.path,
      }),
      head,
    );
  }
  for (const e of lay.edges) {
    svg.append(
      // wires never take a click meant for the box or title under them
      s("line", { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2, stroke: "#64748b", "stroke-width": 1.2, "pointer-events": "none" }),
    );
  }
  for (const n of lay.nodes) {
    if (n.kind === "merge") {
      svg.append(
        s("circle", { cx: n.x, cy: n.y, r: 9, fill: "#fff", stroke: "#475569" }),
        s(
          "text",
          { x: n.x, y: n.y + 4, "text-anchor": "middle", fill: "#0f172a", "font-weight": "700" },
          n.label,
        ),
      );
    }
    if (n.kind !== "box") continue;
    const g = s("g", {
      "data-path": n.path,
      class: `dia-box${n.folded ? " folded" : ""}`,
      cursor: "pointer",
    });
    g.append(
      s("title", {}, n.folded ? "Folded block: click to open it" : `Select ${n.path}`),
      s("rect", {
        x: n.x,
        y: n.y,
        width: n.w,
        height: n.h,
        rx: 5,
        fill: n.error ? "#fdecea" : n.unknown ? "#f8fafc" : (FILL[n.type] ?? "#ede9fe"),
        stroke: n.error ? "#b42318" : n.path === selected ? "#0b63ce" : "#64748b",
        "stroke-width": n.path === selected || n.error ? 2.5 : 1,
        "stroke-dasharray": n.unknown && !n.error ? "3 3" : null,
      }),
      s(
        "text",
        { x: n.x + n.w / 2, y: n.y + n.h / 2 + 4, "text-anchor": "middle", fill: "#0f172a" },
        n.label,
      ),
    );
    if (n.path !== "input") {
      g.addEventListener("click", () => {
        onSelect(n.path);
        if (n.folded) onFold?.(n.path);
      });
    }
    svg.append(g);
  }
  el.replaceChildren(svg);
  installPanZoom(el);
  // a wide network (side-by-side branches) starts centred on its trunk; keep the
  // reader's scroll while its width stays the same
  if (el.dataset.width !== String(Math.round(lay.w))) {
    el.dataset.width = String(Math.round(lay.w));
    el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
  }
}

/** The drawing at its natural size, whatever the on-screen zoom. */
function svgText(svg) {
  const copy = svg.cloneNode(true);
  copy.setAttribute("width", copy.dataset.w);
  copy.setAttribute("height", copy.dataset.h);
  return new XMLSerializer().serializeToString(copy);
}

export function downloadSvg(el, name) {
  const svg = el.querySelector("svg");
  if (svg) download(new Blob([svgText(svg)], { type: "image/svg+xml" }), `${name}.svg`);
}

export function downloadPng(el, name) {
  const svg = el.querySelector("svg");
  if (!svg) return;
  const w = Number(svg.dataset.w);
  const hgt = Number(svg.dataset.h);
  const scale = Math.min(2, 16000 / Math.max(w, hgt)); // canvases stop at ~16k px
  const img = new Image();
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(hgt * scale);
    const g = canvas.getContext("2d");
    g.scale(scale, scale);
    g.drawImage(img, 0, 0);
    canvas.toBlob((blob) => blob && download(blob, `${name}.png`), "image/png");
  };
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText(svg))}`;
}
