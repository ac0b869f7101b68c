// Training-run statuses as the server reports them (server/jobs): which ones are over.

/** A run in one of these has ended: no worker will send it another event. */
export const FINISHED = Object.freeze(["done", "failed", "cancelled", "diverged"]);

/** No worker holds the run: it has ended or is paused (checkpointed), so it can be deleted. */
export const STOPPED = Object.freeze([...FINISHED, "paused"]);

export const isFinished = (status) => FINISHED.includes(status);

export const isStopped = (status) => STOPPED.includes(status);
