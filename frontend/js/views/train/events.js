// A run's curves as its event stream fills them (pure: no DOM). `absorb(d, e)` folds one
// event of GET /api/runs/{id}/events into the arrays the charts draw.

export function emptyData() {
  return { iter: [], loss: [], acc: [], epoch: [], trLoss: [], vaLoss: [], trAcc: [], vaAcc: [], start: null, sps: null };
}

export function absorb(d, e) {
  if (e.kind === "start") d.start = e;
  else if (e.kind === "iter") {
    d.iter.push(e.iter);
    d.loss.push(e.loss);
    d.acc.push(e.acc);
  } else if (e.kind === "epoch") {
    d.epoch.push(e.epoch);
    d.trLoss.push(e.train_loss);
    d.vaLoss.push(e.val_loss);
    d.trAcc.push(e.train_acc);
    d.vaAcc.push(e.val_acc);
    d.sps = e.samples_per_s;
  } else if (e.kind === "resume") {
    // Carried on from a checkpoint: drop points past it (a killed worker's lost batches).
    const cut = (keys, xs, past) => {
      const n = xs.findIndex(past);
      if (n >= 0) keys.forEach((k) => (d[k].length = n));
    };
    cut(["iter", "loss", "acc"], d.iter, (i) => i > e.iter);
    cut(["epoch", "trLoss", "vaLoss", "trAcc", "vaAcc"], d.epoch, (x) => x >= e.epoch);
  } else if (e.kind === "end") d.end = e;
}
