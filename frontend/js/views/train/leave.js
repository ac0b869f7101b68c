// Closing the page does not stop a run (the server trains on, issue 18). While a run this
// page follows is queued or running, closing or reloading asks first (beforeunload), and a
// "stop it when I leave" box cancels it as the page goes (a keepalive request). Back on
// the page, runs still going get a visible note with Stop buttons.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { isStopped } from "../../lib/runs.js";

/** `active()` -> the ids of runs this page started or follows that are still going. */
export function leaveGuard(active) {
  const box = h("input", { type: "checkbox", "data-testid": "stop-on-leave" });
  const control = h(
    "label",
    { class: "stop-on-leave muted", title: "Runs keep training on the server after the page closes unless this is ticked" },
    box,
    " Stop my running runs when I close this page",
  );
  const onBefore = (e) => {
    if (!active().length) return;
    e.preventDefault();
    e.returnValue = ""; // the browser asks "Leave site?"; the run trains on unless ticked
  };
  const onHide = () => {
    if (box.checked) for (const id of active()) api.cancelRun(id, { keepalive: true }).catch(() => {});
  };
  window.addEventListener("beforeunload", onBefore);
  window.addEventListener("pagehide", onHide);
  return {
    control,
    destroy() {
      window.removeEventListener("beforeunload", onBefore);
      window.removeEventListener("pagehide", onHide);
    },
  };
}

/** The note above the runs list: runs still queued or running when the page opens.
 * `runs`: GET /api/runs; `onStop(id)`, `onView(run)`. Empty when none. */
export function stillRunningNote(el, runs, { onStop, onView }) {
  const going = runs.filter((r) => !isStopped(r.status) && r.status !== "pausing");
  if (!going.length) {
    el.replaceChildren();
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.replaceChildren(
    h(
      "p",
      {},
      h("strong", {}, `${going.length} run${going.length === 1 ? " is" : "s are"} still running`),
      " on the server, started before this page opened. They keep training until they end or you stop them.",
    ),
    h(
      "ul",
      {},
      going.map((r) =>
        h(
          "li",
          {},
          `${r.network} (${r.config.dataset}, ${r.status}) `,
          h("button", { type: "button", class: "small", onclick: () => onView(r) }, "View"),
          " ",
          h("button", { type: "button", class: "small danger", "data-testid": "note-stop", onclick: () => onStop(r.id) }, "Stop"),
        ),
      ),
    ),
  );
}
