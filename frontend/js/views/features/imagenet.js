// "ImageNet weights" (issue 17): torchvision's official weights of a zoo architecture in one
// click. The server downloads (checksummed, resumable) and converts them; this control
// starts it, polls GET /api/pretrained/{name} for the progress bar, cancels, and when the
// weights are ready hands their library id (imagenet-<zoo>) to the view.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { sizeText, progressOf } from "../../lib/pretrained.js";
import { progressBar } from "../../widgets/progress.js";

const POLL_MS = 400;
// Downloads started by a click on this page (a control made again mid-download still
// knows the view should switch to the weights when they are ready).
const clicked = new Set();

/** `items`: GET /api/pretrained's ImageNet items, kept up to date in place (a control
 * made again later starts from what this one last saw); `zoo` preselected (the picked
 * network's architecture, if it has official weights); `titles`: zoo name -> title;
 * `onReady(id, started)`: the weights are in the library (`started`: by a click here, so
 * the view may switch to them); `onRemoved(id)`: the converted weights were deleted. */
export function imagenetControl({ items, zoo, titles, onReady, onRemoved }) {
  const names = items.map((i) => i.zoo);
  let item = items.find((i) => i.zoo === zoo) ?? items.find((i) => i.zoo === "resnet18") ?? items[0];
  let timer = null;
  const pick = h("select", { id: "fm-imagenet-zoo", "aria-label": "Architecture for ImageNet weights",
    onchange: (e) => {
      clearTimeout(timer);
      item = items.find((i) => i.zoo === e.target.value);
      paint();
      follow();
    } },
  names.map((n) => h("option", { value: n, selected: n === item?.zoo }, titles.get(n) ?? n)));
  const bar = progressBar("ImageNet weights download", { id: "fm-imagenet-progress" });
  const line = h("div", { class: "fm-row fm-imagenet-row" });
  const box = h("div", { class: "fm-imagenet", id: "fm-imagenet", "data-status": item?.status ?? "none" },
    h("label", { class: "fm-row" }, "ImageNet weights of", pick), line, bar.el);
  if (!item) return box;

  const act = (id, text, fn) => h("button", { type: "button", id, onclick: fn }, text);
  async function start() {
    clicked.add(item.name);
    try {
      item = await api.downloadPretrained(item.name);
    } catch (err) {
      item = { ...item, status: "failed", error: err.message };
    }
    paint();
    follow();
  }
  async function cancel() {
    clearTimeout(timer);
    clicked.delete(item.name);
    const wasReady = item.status === "ready";
    try {
      await api.cancelPretrained(item.name);
      item = await api.pretrainedItem(item.name);
    } catch (err) {
      item = { ...item, status: "failed", error: err.message };
    }
    paint();
    if (wasReady) onRemoved(item.name);
  }
  /** While the server works: ask again soon; stop once the control leaves the page. */
  function follow() {
    if (item.status !== "downloading" && item.status !== "converting") {
      if (item.status === "ready") onReady(item.name, clicked.delete(item.name));
      return;
    }
    timer = setTimeout(async () => {
      if (!box.isConnected) return;
      try {
        const next = await api.pretrainedItem(item.name);
        if (next.name !== item.name) return;
        item = next;
      } catch (err) {
        item = { ...item, status: "failed", error: err.message };
      }
      paint();
      follow();
    }, POLL_MS);
  }
  function paint() {
    items[items.findIndex((i) => i.zoo === item.zoo)] = item;
    box.dataset.status = item.status;
    const busy = item.status === "downloading" || item.status === "converting";
    bar.el.hidden = !busy;
    if (busy) {
      const { fraction, text } = progressOf(item);
      bar.set(fraction, text);
    }
    const size = h("span", { class: "muted" }, `${sizeText(item.bytes)} from download.pytorch.org's published file`);
    const kids = {
      absent: [act("fm-imagenet-get", "ImageNet weights", start), size],
      failed: [act("fm-imagenet-get", "Try again", start), h("span", { class: "error", id: "fm-imagenet-error" }, item.error)],
      downloading: [act("fm-imagenet-cancel", "Cancel", cancel)],
      converting: [h("span", { class: "muted" }, "Checking the checksum and converting…")],
      ready: [h("span", { class: "fm-badge ok" }, "Ready"),
        act("fm-imagenet-open", "Open", () => onReady(item.name, true)),
        act("fm-imagenet-remove", "Remove", cancel)],
    }[item.status] ?? [];
    line.replaceChildren(...kids);
  }
  paint();
  follow();
  return box;
}
