// Training-run statuses as the server reports them (server/jobs): which ones are over.

/** A run in one of these has ended: no worker will send it another event. */
export const FINISHED = Object.freeze(["done", "failed", "cancelled", "diverged"]);

/** No worker holds the run: it has ended or is paused (checkpointed), so it can be deleted. */
export const STOPPED = Object.freeze([...FINISHED, "paused"]);

export const isFinished = (status) => FINISHED.includes(status);

export const isStopped = (status) => STOPPED.includes(status);

/** A queued run's line: "queued, 2 ahead" where the server says how many wait before it
 * (`queue_position`, issue 14: 0 = next; else the older 1-based `position`), else "queued". */
export function queueText(run) {
  const ahead = run?.queue_position ?? (run?.position != null ? run.position - 1 : null);
  if (ahead == null) return "queued";
  return ahead <= 0 ? "queued, next in line" : `queued, ${ahead} ahead`;
}

const pad2 = (n) => String(n).padStart(2, "0");

/** When a run was started (its created_at, local time: "14:05", with the date when it is
 * not `now`'s day) and how long it ran (to finished_at, or to `now` while it runs). */
export function runTimes(run, now = new Date()) {
  const t0 = run?.created_at ? new Date(run.created_at) : null;
  if (!t0 || Number.isNaN(t0.getTime())) return { started: "–", took: "–", seconds: null };
  const sameDay = t0.toDateString() === now.toDateString();
  const clock = `${pad2(t0.getHours())}:${pad2(t0.getMinutes())}`;
  const started = sameDay ? clock : `${t0.getFullYear()}-${pad2(t0.getMonth() + 1)}-${pad2(t0.getDate())} ${clock}`;
  const t1 = run.finished_at ? new Date(run.finished_at) : now;
  const seconds = Math.max(0, (t1 - t0) / 1000);
  const s = Math.round(seconds);
  const took = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${pad2(s % 60)} s` : `${Math.floor(s / 3600)} h ${pad2(Math.round((s % 3600) / 60))} min`;
  return { started, took: run.finished_at || !isStopped(run.status) ? took : "–", seconds };
}

/** The runs list's score of a finished run: held-out accuracy ("90.6%"); a segmentation
 * run's mean IoU ("mIoU 0.612"), or its accuracy marked as over pixels where it has no
 * mIoU ("93.1% pixels"); "" before it has metrics. */
export function scoreText(run) {
  if (run?.accuracy == null) return "";
  const pct = `${(100 * run.accuracy).toFixed(1)}%`;
  if (run.task !== "segmentation") return pct;
  return run.miou != null ? `mIoU ${run.miou.toFixed(3)}` : `${pct} pixels`;
}

/** The score cell's tooltip: what the number is. */
export function scoreTitle(run) {
  if (run?.accuracy == null) return "";
  if (run.task !== "segmentation") return "held-out accuracy";
  const pixels = `pixel accuracy ${(100 * run.accuracy).toFixed(1)}%`;
  return run.miou != null ? `held-out mean IoU over the classes; ${pixels}` : `held-out ${pixels}`;
}
