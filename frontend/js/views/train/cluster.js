// The capacity card beside the runs list (issue 15): where runs train (this machine or a
// Ray cluster), how many train now of how many may, how many wait, and each node's CPUs,
// GPUs and whether it is alive (many nodes fold into "+k more"). It asks GET /api/cluster
// every few seconds while the page is visible, at once when told a run changed state
// (refresh()), and never again after destroy().
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { executorName, foldNodes, loadText, moreText, nodeText, shortId, totalsText } from "../../lib/cluster.js";

export const POLL_MS = 3000;

/** The card in `slot`; -> {refresh(), destroy()}. */
export function clusterCard(slot) {
  let timer = null;
  let dead = false;
  let asking = 0;
  const name = h("strong", { "data-testid": "cluster-executor" });
  const load = h("span", { class: "cluster-load", "data-testid": "cluster-load" });
  const totals = h("p", { class: "muted cluster-totals", "data-testid": "cluster-totals" });
  const nodes = h("ul", { class: "cluster-nodes", "data-testid": "cluster-nodes", "aria-label": "Nodes" });
  const more = h("span", { class: "muted cluster-more", "data-testid": "cluster-more" });
  const error = h("p", { class: "error", hidden: true });
  slot.replaceChildren(
    h("h3", {}, "Where runs train"),
    h("p", { class: "cluster-head" }, [name, " · ", load]),
    totals,
    nodes,
    more,
    error,
  );

  function show(c) {
    name.textContent = executorName(c.executor);
    load.textContent = loadText(c);
    slot.dataset.busy = String(c.busy);
    slot.dataset.queued = String(c.queued);
    totals.textContent = totalsText(c);
    totals.hidden = c.nodes.length === 1; // the node's own line says it
    const fold = foldNodes(c.nodes);
    nodes.replaceChildren(
      ...fold.shown.map((n) =>
        h("li", { class: n.alive ? "alive" : "dead", "data-node": n.id, title: `${n.id} at ${n.address}` }, [
          h("span", { class: "cluster-dot", "aria-hidden": "true" }),
          h("code", {}, shortId(n.id)),
          " ",
          h("span", { class: "muted" }, nodeText(n)),
        ]),
      ),
    );
    more.textContent = moreText(fold);
    more.hidden = !fold.more;
  }

  async function refresh() {
    if (dead) return;
    const mine = ++asking; // an older answer arriving late is dropped
    try {
      const c = await api.cluster();
      if (dead || mine !== asking) return;
      error.hidden = true;
      show(c);
    } catch (err) {
      if (dead || mine !== asking) return;
      error.textContent = `Capacity unavailable: ${err.message}`;
      error.hidden = false;
    }
  }

  // Poll only while the page is visible; a page coming back asks at once.
  function schedule() {
    clearInterval(timer);
    timer = document.hidden ? null : setInterval(refresh, POLL_MS);
  }
  const onVisible = () => {
    schedule();
    if (!document.hidden) refresh();
  };
  document.addEventListener("visibilitychange", onVisible);
  schedule();
  refresh();

  return {
    refresh,
    destroy() {
      dead = true;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    },
  };
}
