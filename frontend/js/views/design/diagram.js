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

export function renderDiagram(el, spec, report, selected, onSelect) {
  const lay = layoutNetwork(spec, report);
  const svg = s("svg", {
    xmlns: "http://www.w3.org/2000/svg",
    viewBox: `0 0 ${lay.w} ${lay.h}`,
    width: lay.w,
    height: lay.h,
    role: "img",
    "aria-label": `Diagram of ${spec.name ?? "the network"}`,
    "font-family": "system-ui, sans-serif",
    "font-size": "11",
  });
  svg.append(s("rect", { x: 0, y: 0, width: lay.w, height: lay.h, fill: "#ffffff" }));
  for (const n of lay.nodes.filter((x) => x.kind === "frame")) {
    svg.append(
      s("rect", {
        x: n.x,
        y: n.y,
        width: n.w,
        height: n.h,
        rx: 8,
        fill: "#f8fafc",
        stroke: n.error ? "#b42318" : "#94a3b8",
        "stroke-dasharray": "4 3",
        "data-path": n.path,
      }),
      s("text", { x: n.x + 8, y: n.y + 15, fill: "#334155", "font-weight": "600" }, n.label),
    );
  }
  for (const e of lay.edges) {
    svg.append(
      s("line", { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2, stroke: "#64748b", "stroke-width": 1.2 }),
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
    const g = s("g", { "data-path": n.path, class: "dia-box", cursor: "pointer" });
    g.append(
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
    if (n.path !== "input") g.addEventListener("click", () => onSelect(n.path));
    svg.append(g);
  }
  el.replaceChildren(svg);
  // a wide network (side-by-side branches) starts centred on its trunk; keep the
  // reader's scroll while its width stays the same
  if (el.dataset.width !== String(Math.round(lay.w))) {
    el.dataset.width = String(Math.round(lay.w));
    el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
  }
}

const svgText = (svg) => new XMLSerializer().serializeToString(svg);

export function downloadSvg(el, name) {
  const svg = el.querySelector("svg");
  if (svg) download(new Blob([svgText(svg)], { type: "image/svg+xml" }), `${name}.svg`);
}

export function downloadPng(el, name) {
  const svg = el.querySelector("svg");
  if (!svg) return;
  const w = Number(svg.getAttribute("width"));
  const hgt = Number(svg.getAttribute("height"));
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
