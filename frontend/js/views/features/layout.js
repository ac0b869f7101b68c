// The feature-map page's bones (the view fills them in: features.js and its render modules).
import { h } from "../../dom.js";

/** The page: side cards (network, image, prediction, preparation, filters), the layer
 * list and grids, the channel dialog. `on` holds the controls' handlers; `pad` is the drawing pad. */
export function layout(pad, on) {
  return h(
    "div",
    { class: "fm" },
    h(
      "aside",
      { class: "fm-side" },
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Network"),
        h("select", { id: "fm-net", "aria-label": "Network", onchange: on.net }),
        h("p", { id: "fm-note", class: "fm-note" }),
        h("div", { id: "fm-imagenet-box" }),
        h("details", { class: "fm-more-weights", id: "fm-more-weights" },
          h("summary", {}, "ImageNet weights · import · download · disk use"),
          h("div", { id: "fm-imagenet-folded" }),
          h("div", { id: "fm-weights-box" })),
      ),
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Image"),
        h(
          "div",
          { class: "fm-seg", role: "tablist" },
          ["presets", "upload", "draw"].map((s) =>
            h("button", { type: "button", "data-src": s, role: "tab", onclick: () => on.source(s) },
              { presets: "Presets", upload: "Upload", draw: "Draw" }[s]),
          ),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "presets" },
          h("select", { id: "fm-preset", "aria-label": "Preset image", onchange: on.preset }),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "upload" },
          h(
            "label",
            {
              class: "fm-drop",
              id: "fm-drop",
              ondragover: (e) => {
                e.preventDefault();
                e.currentTarget.classList.add("over");
              },
              ondragleave: (e) => e.currentTarget.classList.remove("over"),
              ondrop: (e) => {
                e.preventDefault();
                e.currentTarget.classList.remove("over");
                const file = e.dataTransfer?.files?.[0];
                if (file) on.upload(file);
              },
            },
            h("strong", {}, "Drop an image here"),
            h("span", { class: "muted" }, "or click to choose · PNG, JPEG, WebP, GIF, BMP"),
            h("input", { type: "file", id: "fm-file", accept: "image/png,image/jpeg,image/webp,image/gif,image/bmp", onchange: (e) => on.upload(e.target.files[0]) }),
          ),
        ),
        h(
          "div",
          { class: "fm-src", "data-panel": "draw" },
          pad.canvas,
          h("div", { class: "fm-row" },
            h("button", { type: "button", id: "fm-clear", onclick: () => { pad.clear(); } }, "Clear"),
            h("span", { class: "muted" }, "Draw a digit; the trained MNIST net predicts as you draw.")),
        ),
      ),
      h("section", { class: "fm-card", id: "fm-pred-card" }, h("h2", {}, "Prediction"), h("ol", { id: "fm-preds", class: "fm-preds" })),
      h(
        "section",
        { class: "fm-card" },
        h("h2", {}, "Preparation"),
        h("div", { id: "fm-prep", class: "fm-prep" }),
        h(
          "div",
          { class: "fm-row" },
          h("label", {}, "Normalise ",
            h("select", { id: "fm-norm", onchange: (e) => on.normalize(e.target.value) },
              h("option", { value: "none" }, "none (0…1)"),
              h("option", { value: "mnist" }, "MNIST mean/std"),
              h("option", { value: "imagenet" }, "ImageNet mean/std"),
              h("option", { value: "trained", id: "fm-norm-trained" }, "as the weights were trained"))),
          h("label", {}, h("input", { type: "checkbox", id: "fm-invert", onchange: (e) => on.invert(e.target.checked) }), " Invert"),
        ),
      ),
      h("section", { class: "fm-card" }, h("h2", {}, "First-layer filters"), h("div", { id: "fm-filters", class: "fm-filters" })),
    ),
    h(
      "section",
      { class: "fm-main" },
      h(
        "div",
        { class: "fm-toolbar" },
        h("div", { id: "fm-status", class: "fm-status", role: "status" }),
        h("label", {}, "Colour scale ",
          h("select", { id: "fm-scale", onchange: (e) => on.scale(e.target.value) },
            h("option", { value: "channel" }, "per channel"),
            h("option", { value: "shared" }, "shared by the layer"))),
      ),
      h("div", { class: "fm-body" },
        h("nav", { id: "fm-layers", class: "fm-layers", "aria-label": "Layers" }),
        h("div", { id: "fm-grids", class: "fm-grids" })),
    ),
    h("dialog", { id: "fm-detail", class: "fm-detail" }),
  );
}
