// The designer page's bones: toolbar, palette, layer list, inspector, diagram, saved
// designs and the formula lab. Returns the elements the view renders into (`ui`); `act`
// holds what the toolbar's controls do (the view's edits, saving, sharing, exporting).
import { h } from "../../dom.js";
import { downloadPng, downloadSvg, stepZoom } from "./diagram.js";

export function skeleton(act) {
  const ui = {};
  ui.start = h("select", { "data-testid": "start", "aria-label": "Start from", onchange: act.onStart });
  ui.name = h("input", {
    class: "net-name",
    "data-testid": "net-name",
    "aria-label": "Network name",
    maxlength: 200,
    oninput: (e) => act.rename(e.target.value),
  });
  ui.undo = h(
    "button",
    {
      type: "button",
      title: "Undo (Ctrl+Z)",
      "data-testid": "undo",
      onclick: act.undo,
    },
    "↶ Undo",
  );
  ui.redo = h(
    "button",
    {
      type: "button",
      title: "Redo (Ctrl+Shift+Z)",
      "data-testid": "redo",
      onclick: act.redo,
    },
    "↷ Redo",
  );
  ui.status = h("span", {
    class: "status",
    role: "status",
    "aria-live": "polite",
    "data-testid": "toolbar-status",
  });
  ui.shareLink = h("input", {
    readonly: true,
    "data-testid": "share-link",
    "aria-label": "Share link",
    onfocus: (e) => e.target.select(),
  });
  ui.shareBox = h(
    "div",
    { class: "share-box", hidden: true },
    h("span", {}, "Share link"),
    ui.shareLink,
  );
  ui.zooDesc = h("p", { class: "zoo-desc", "data-testid": "zoo-desc", hidden: true });
  // Another user's design shared with the class opens read-only, with a way to copy it.
  ui.readOnlyText = h("span", {});
  ui.readOnly = h(
    "p",
    { class: "read-only-note", "data-testid": "read-only", role: "status", hidden: true },
    ui.readOnlyText,
    h("button", { type: "button", class: "primary small", "data-testid": "copy-design", onclick: act.copy }, "Copy to my designs"),
  );
  ui.input = h("div", { class: "input-editor" });
  ui.totals = h("div", { class: "totals", "aria-live": "polite" });
  ui.count = h("span", { class: "muted" });
  ui.list = h("div", { class: "layer-list", "data-testid": "layer-list" });
  ui.palette = h("nav", { class: "panel palette", "aria-label": "Layer palette" });
  ui.form = h("div", { class: "form-wrap" });
  ui.stats = h("div", { class: "stats-wrap" });
  ui.diagram = h("div", {
    class: "diagram",
    "data-testid": "diagram",
    tabindex: "0", // a scrollable region: arrow keys scroll it
    role: "group",
    "aria-label": "Network diagram (scrollable)",
    title: "Drag to pan, Ctrl+wheel to zoom; click a box to select its layer, a block's title to fold it",
  });
  ui.saved = h("div", { class: "saved" });
  ui.lab = h("section", { class: "panel lab", "aria-label": "Formula lab" });
  ui.pretrained = h("section", { class: "panel d-pretrained", id: "d-pretrained", "aria-label": "Pretrained weights" });
  ui.root = h(
    "div",
    { class: "designer" },
    h(
      "div",
      { class: "d-toolbar panel" },
      ui.name,
      ui.start,
      h("span", { class: "sep" }),
      ui.undo,
      ui.redo,
      h("span", { class: "sep" }),
      (ui.save = h(
        "button",
        { type: "button", class: "primary", "data-testid": "save", onclick: act.save },
        "Save",
      )),
      h("button", { type: "button", "data-testid": "share", onclick: act.share }, "Share link"),
      h(
        "button",
        { type: "button", "data-testid": "export-py", onclick: () => act.exportAs("py") },
        "PyTorch",
      ),
      h(
        "button",
        { type: "button", "data-testid": "export-onnx", onclick: () => act.exportAs("onnx") },
        "ONNX",
      ),
      ui.status,
      ui.shareBox,
      ui.zooDesc,
      ui.readOnly,
    ),
    ui.palette,
    (ui.main = h(
      "section",
      { class: "panel d-main", "aria-label": "Layers" },
      h("div", { class: "d-head" }, ui.input, ui.count),
      ui.totals,
      h(
        "div",
        { class: "list-head muted", "aria-hidden": "true" },
        h("span", {}, "Layer"),
        h("span", { title: "channels x height x width, as PyTorch orders a tensor" }, "Output (C×H×W)"),
        h("span", {}, "Params"),
        h("span", {}, "MACs"),
        h("span", {}),
      ),
      ui.list,
    )),
    h(
      "div",
      { class: "d-side" },
      (ui.inspector = h("section", { class: "panel inspector", "aria-label": "Selected layer" }, ui.form, ui.stats)),
      ui.pretrained,
      h(
        "section",
        { class: "panel", "aria-label": "Diagram" },
        h(
          "div",
          { class: "panel-head" },
          h("h2", {}, "Diagram"),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "aria-pressed": "false",
              title: "Fit the diagram to the panel's width",
              "data-testid": "dia-fit",
              onclick: (e) => {
                const on = ui.diagram.classList.toggle("fit");
                e.target.setAttribute("aria-pressed", String(on));
              },
            },
            "Fit",
          ),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "data-testid": "zoom-out",
              "aria-label": "Zoom out",
              title: "Zoom out (Ctrl+wheel)",
              onclick: () => stepZoom(ui.diagram, -1),
            },
            "−",
          ),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "data-testid": "zoom-in",
              "aria-label": "Zoom in",
              title: "Zoom in (Ctrl+wheel)",
              onclick: () => stepZoom(ui.diagram, 1),
            },
            "+",
          ),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "data-testid": "dl-svg",
              onclick: () => downloadSvg(ui.diagram, act.fileName()),
            },
            "SVG",
          ),
          h(
            "button",
            {
              type: "button",
              class: "small",
              "data-testid": "dl-png",
              onclick: () => downloadPng(ui.diagram, act.fileName()),
            },
            "PNG",
          ),
        ),
        ui.diagram,
      ),
      h(
        "section",
        { class: "panel", "aria-label": "Saved designs" },
        h("h2", {}, "Saved designs"),
        ui.saved,
      ),
      ui.lab,
    ),
  );
  return ui;
}
