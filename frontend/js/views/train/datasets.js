// The Train view's dataset picker (issue 6): every dataset the server knows with its
// status, a Download button with a progress bar for the downloadable ones, and an upload
// of a zip (one folder per class) that shows the classes and counts or the server's error.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { fitMaskHead, SEGMENTATION } from "./masks.js";

const POLL_MS = 500; // while a download runs
const MB = 1e6;

const fmtMB = (n) => `${(n / MB).toFixed(1)} MB`;

function optionLabel(d) {
  if (d.status === "downloading") return `${d.title} (downloading ${Math.round(100 * (d.progress ?? 0))}%)`;
  if (d.status === "missing") return `${d.title} (not downloaded)`;
  return d.title;
}

function shapeText(d) {
  const colour = d.channels === 3 ? "colour" : "grey";
  return `${d.channels}x${d.height}x${d.width} ${colour}, ${d.num_classes} classes; ${d.train_size.toLocaleString()} train / ${d.val_size.toLocaleString()} held out`;
}

function classList(d) {
  const names = d.class_names.map((c) => (d.counts ? `${c} (${d.counts[c]})` : c));
  const shown = names.slice(0, 12).join(", ");
  return names.length > 12 ? `${shown}, ... (${names.length} in all)` : shown;
}

// list: GET /api/datasets; onChange(list) after the list changed (upload, download, delete).
export function datasetPicker(list, { value = "digits", onChange = () => {} } = {}) {
  let datasets = list;
  let timer = null;
  let destroyed = false;
  const select = h("select", { name: "dataset", "data-testid": "dataset", onchange: () => render() });
  const info = h("div", { class: "ds-info", "data-testid": "dataset-info" });
  const fileInput = h("input", { type: "file", accept: ".zip,application/zip", "data-testid": "dataset-zip", "aria-label": "Zip of images" });
  const titleInput = h("input", { type: "text", placeholder: "Name (optional)", maxlength: 80, "aria-label": "Dataset name" });
  const uploadBtn = h("button", { type: "button", "data-testid": "dataset-upload", onclick: () => upload() }, "Upload");
  const result = h("div", { class: "ds-result", "data-testid": "upload-result", role: "status" });
  const uploadBox = h("details", { class: "ds-upload" }, [
    h("summary", {}, "Upload a zip of your images"),
    h("p", { class: "muted" }, "One folder per class (cat/1.png, dog/2.jpg, ...); PNG, JPEG, WebP, GIF or BMP. Other files are skipped; images are centre-cropped to 64x64."),
    fileInput,
    h("div", { class: "ds-upload-row" }, [titleInput, uploadBtn]),
    result,
  ]);
  const panel = h("div", { class: "ds-panel" }, [info, uploadBox]);

  function fill(selected) {
    select.replaceChildren(
      ...datasets.map((d) => h("option", { value: d.name, selected: d.name === selected, "data-status": d.status }, optionLabel(d))),
    );
    if (!datasets.some((d) => d.name === selected) && datasets.length) select.value = datasets[0].name;
  }

  function current() {
    return datasets.find((d) => d.name === select.value);
  }

  function render() {
    const d = current();
    if (!d) {
      info.replaceChildren();
      return;
    }
    const rows = [
      h("p", { class: "muted" }, [h("span", { class: "badge", "data-status": d.status === "ready" ? "done" : d.status }, d.status), " ", shapeText(d)]),
      h("p", { class: "ds-classes muted", "data-testid": "dataset-classes" }, classList(d)),
    ];
    if (d.channels === 3) rows.push(h("p", { class: "muted ds-note" }, "A 1-channel network sees these images in grey (luminance)."));
    if (d.status === "missing" && d.kind === "download") {
      rows.push(h("button", { type: "button", "data-testid": "dataset-download", onclick: () => download(d.name) }, `Download (${fmtMB(d.download_bytes ?? 0)})`));
      if (d.error) rows.push(h("p", { class: "error" }, d.error));
    }
    if (d.status === "downloading") {
      const pct = 100 * (d.progress ?? 0);
      rows.push(
        h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct.toFixed(0), "data-testid": "dataset-progress" }, h("div", { class: "bar", style: `width:${pct}%` })),
        h("p", { class: "muted progress-text" }, `${fmtMB(d.bytes_done ?? 0)} of ${fmtMB(d.bytes_total ?? 0)}`),
      );
    }
    if (d.deletable && d.status === "ready") {
      const what = d.kind === "upload" ? "Delete this upload" : "Remove the downloaded files";
      rows.push(h("button", { type: "button", class: "link", "data-testid": "dataset-delete", onclick: () => remove(d) }, what));
    }
    info.replaceChildren(...rows);
  }

  async function reload(selected = select.value) {
    datasets = await api.listDatasets();
    if (destroyed) return;
    fill(selected);
    render();
    onChange(datasets);
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!destroyed && datasets.some((d) => d.status === "downloading")) {
      timer = setTimeout(() => reload().catch(() => schedule()), POLL_MS);
    }
  }

  async function download(name) {
    try {
      await api.downloadDataset(name);
      await reload(name);
    } catch (err) {
      info.append(h("p", { class: "error" }, err.message));
    }
  }

  async function remove(d) {
    try {
      await api.deleteDataset(d.name);
      await reload(d.kind === "upload" ? "digits" : d.name);
    } catch (err) {
      info.append(h("p", { class: "error" }, err.message));
    }
  }

  async function upload() {
    const file = fileInput.files?.[0];
    if (!file) {
      result.replaceChildren(h("p", { class: "error" }, "Choose a .zip file first."));
      return;
    }
    uploadBtn.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, `Uploading and checking ${file.name}...`));
    try {
      const d = await api.uploadDataset(file, titleInput.value.trim());
      const skipped = d.skipped ? `; ${d.skipped} file${d.skipped === 1 ? "" : "s"} skipped (not images)` : "";
      result.replaceChildren(
        h("p", { class: "ok" }, `Added "${d.title}": ${d.num_classes} classes, ${(d.train_size + d.val_size).toLocaleString()} images (${d.train_size} train / ${d.val_size} held out)${skipped}.`),
        h("table", { class: "ds-counts" }, [
          h("thead", {}, h("tr", {}, [h("th", {}, "Class"), h("th", {}, "Images")])),
          h("tbody", {}, d.class_names.map((c) => h("tr", {}, [h("td", {}, c), h("td", { class: "num" }, String(d.counts[c]))]))),
        ]),
      );
      fileInput.value = "";
      titleInput.value = "";
      await reload(d.name);
    } catch (err) {
      result.replaceChildren(h("p", { class: "error" }, err.message));
    } finally {
      uploadBtn.disabled = false;
    }
  }

  fill(value);
  render();
  schedule();
  return {
    select,
    panel,
    current,
    destroy() {
      destroyed = true;
      clearTimeout(timer);
    },
  };
}

// A zoo network's last linear layer resized to the dataset's classes (shapes: 4, an upload:
// its folders), so any zoo network trains on any dataset; the server converts channels.
export function fitHead(spec, dataset) {
  if (!dataset) return spec;
  if (dataset.task === SEGMENTATION) return fitMaskHead(spec, dataset); // issue 16: a 1x1 conv head
  const out = structuredClone(spec);
  const last = out.layers.findLastIndex((l) => l.type === "linear");
  if (last < 0 || out.layers[last].out_features === dataset.num_classes) return out;
  out.layers[last] = { ...out.layers[last], out_features: dataset.num_classes };
  return out;
}
