// Where runs train (issue 15), as the Train view's capacity card reads it (no DOM):
// GET /api/cluster's {executor, nodes, cpus, gpus, slots, busy, queued, warm} and a run's
// ran_on {executor, node, device, pid}.

/** How many nodes a card lists before folding the rest into "+k more". */
export const SHOWN_NODES = 4;

const EXECUTORS = { local: "This machine", ray: "Ray cluster" };

/** "This machine" (local worker processes) or "Ray cluster"; another name as it is. */
export const executorName = (e) => EXECUTORS[e] ?? String(e ?? "unknown");

/** A count of CPUs or GPUs: whole numbers as they are, Ray's fractions to 1 decimal. */
export function amount(v) {
  const n = Number(v) || 0;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

const plural = (v, word) => `${amount(v)} ${word}${Number(v) === 1 ? "" : "s"}`;

/** "1/2 training, 3 queued · 1 worker ready": runs training now of the runs that may
 * train at once, and the idle workers that start a run at once (left out when none). */
export function loadText(c) {
  const ready = c.warm ? ` · ${c.warm} worker${c.warm === 1 ? "" : "s"} ready` : "";
  return `${c.busy}/${c.slots} training, ${c.queued} queued${ready}`;
}

/** The totals over the live nodes: "16 CPUs · 0 GPUs" for one node, else with the nodes
 * counted: "3 nodes · 24 CPUs · 2 GPUs", "2 of 3 nodes alive · ...". */
export function totalsText(c) {
  const all = c.nodes.length;
  const live = c.nodes.filter((n) => n.alive).length;
  const nodes = all === 1 ? [] : [live === all ? `${all} nodes` : `${live} of ${all} nodes alive`];
  return [...nodes, plural(c.cpus, "CPU"), plural(c.gpus, "GPU")].join(" · ");
}

/** One node's line: "8 CPUs · 1 GPU", or "dead" for a node that left the cluster. */
export function nodeText(n) {
  return n.alive ? `${plural(n.cpus, "CPU")} · ${plural(n.gpus, "GPU")}` : "dead";
}

/** A node's id as a card shows it: Ray's 56-hex-digit ids by their first 8 digits (the
 * whole id is in the title), a host name as it is. */
export const shortId = (id) => (/^[0-9a-f]{16,}$/.test(String(id)) ? String(id).slice(0, 8) : String(id));

/** The nodes a card lists and the rest folded: dead nodes first (they are news), then in
 * the server's order; `more` counts the hidden ones and `moreDead` the dead among them. */
export function foldNodes(nodes, shown = SHOWN_NODES) {
  const ordered = [...nodes.filter((n) => !n.alive), ...nodes.filter((n) => n.alive)];
  const fits = ordered.length <= shown + 1; // "+1 more" would take the line a node takes
  const head = fits ? ordered : ordered.slice(0, shown);
  const rest = fits ? [] : ordered.slice(shown);
  return { shown: head, more: rest.length, moreDead: rest.filter((n) => !n.alive).length };
}

/** "+5 more" under the listed nodes ("" when none are folded). */
export const moreText = ({ more, moreDead }) =>
  more ? `+${more} more${moreDead ? ` (${moreDead} dead)` : ""}` : "";

/** Where a run trained, compactly: "cpu · myhost" locally, "cuda · ray:node-3" on Ray;
 * "" before a worker took it. */
export function ranOnText(ranOn) {
  if (!ranOn) return "";
  const node = shortId(ranOn.node);
  const where = ranOn.executor === "local" ? node : `${ranOn.executor}:${node}`;
  return `${ranOn.device} · ${where}`;
}

/** The long form for a tooltip: "local executor, node myhost, cpu, worker pid 4242". */
export function ranOnTitle(ranOn) {
  if (!ranOn) return "";
  const pid = ranOn.pid != null ? `, worker pid ${ranOn.pid}` : "";
  return `${ranOn.executor} executor, node ${ranOn.node}, ${ranOn.device}${pid}`;
}
