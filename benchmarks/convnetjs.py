"""Benchmark: ConvNetJS's own MNIST demo network trained in node against the same network
trained by a cnnplay job (issue 20: "against ConvNetJS", target >= 30x).

One run, one machine, the same samples:
  ConvNetJS 0.3.0 (benchmarks/vendor/convnetjs/, pinned; no network at run time) trains its
  demo net with its demo trainer (adadelta, batch_size 20, l2_decay 0.001) in node
  (benchmarks/convnetjs_mnist.js), on the images a cnnplay run of this config trains on:
  MNIST at 24x24, scaled the same way. Its clock covers training only (its Vols are made
  before it starts).
  cnnplay trains the same NetworkSpec as a job on a real server (uvicorn in a subprocess,
  the spawned worker, events into SQLite; benchmarks/training.py's Server), batch 20, one
  thread. cnnplay has no adadelta: RMSprop is the closest (adadelta is RMSprop's running
  mean of squared gradients with the step size taken from a running mean of squared
  updates), with ConvNetJS's l2_decay as weight decay of l2_decay / batch_size (ConvNetJS
  divides the decay gradient by the batch size too). Samples/s from the job's own epoch
  events. For context, the plain PyTorch loop on the same net at batch 20 in this process.

Rounds alternate the two (ConvNetJS's passes, then a job); the figure is the median of the
rounds' ratios, each a job's median epoch over its round's median ConvNetJS pass.

    python benchmarks/convnetjs.py [--samples 1500] [--passes 2] [--rounds 3] [--job-epochs 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.training import Server, job_rates, plain_loop_spec, wait_job  # noqa: E402
from server.net.core.spec import NetworkSpec  # noqa: E402
from server.net.train.inputs import input_scaling, run_data  # noqa: E402
from server.net.train.loop import TrainConfig  # noqa: E402

TARGET = 30.0
BATCH = 20
SIDE = 24
# ConvNetJS's demo: input 24x24x1; conv 5x5 8 filters stride 1 pad 2 relu; pool 2 stride 2;
# conv 5x5 16 filters pad 2 relu; pool 3 stride 3; softmax 10 (a linear layer + softmax).
SPEC = NetworkSpec.model_validate(
    {
        "name": "ConvNetJS MNIST demo",
        "input": {"channels": 1, "height": SIDE, "width": SIDE},
        "layers": [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 5, "stride": 1, "padding": 2},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2, "stride": 2},
            {"type": "conv2d", "out_channels": 16, "kernel_size": 5, "stride": 1, "padding": 2},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 3, "stride": 3},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
)


def config(samples: int, passes: int) -> TrainConfig:
    return TrainConfig(
        dataset="mnist",
        batch_size=BATCH,
        epochs=passes,
        optimizer="rmsprop",  # the closest to ConvNetJS's adadelta
        l2=0.001 / BATCH,
        l2_mode="weight_decay",
        train_limit=samples,
    )


def convnetjs(cfg: TrainConfig, passes: int, tmp: Path) -> dict:
    """ConvNetJS in node on the run's own training images; its JSON line."""
    data = run_data(cfg, 1, SIDE, SIDE)
    mean, std = input_scaling(data.x_train, cfg)
    x = ((data.x_train - mean) / std).contiguous()  # (N, 1, 24, 24), as cnnplay's run sees it
    file = tmp / "mnist24.bin"
    file.write_bytes(
        struct.pack("<I", len(x))
        + x.numpy().astype("<f4").tobytes()
        + data.y_train.numpy().astype("u1").tobytes()
    )
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    script = ROOT / "benchmarks" / "convnetjs_mnist.js"
    out = subprocess.run(
        [node, str(script), str(file), str(passes)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cnnplay_job(server: Server, data_dir: Path, cfg: TrainConfig) -> list[float]:
    """samples/s of every epoch of one job of this spec on the real server."""
    body = {"spec": SPEC.model_dump(mode="json"), "config": cfg.model_dump()}
    status, reply = server.request("POST", "/api/runs", json.dumps(body).encode())
    assert status == 201, reply
    wait_job(server, reply["id"])
    return job_rates(data_dir, reply["id"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1500, help="MNIST training images")
    parser.add_argument("--passes", type=int, default=2, help="epochs of each, over them")
    parser.add_argument("--rounds", type=int, default=3, help="ConvNetJS, then a job")
    parser.add_argument("--job-epochs", type=int, default=4, help="epochs of each job")
    args = parser.parse_args()
    cfg = config(args.samples, args.passes)
    job_cfg = cfg.model_copy(update={"epochs": args.job_epochs})  # more, shorter epochs
    js_rates: list[list[float]] = []
    jobs: list[list[float]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        server = Server(tmp / "server")
        try:
            # Rounds of ConvNetJS then a job, so that a slow stretch of a shared machine
            # hits both alike; the figure is the median of the rounds' ratios.
            for _ in range(args.rounds):
                js = convnetjs(cfg, args.passes, tmp)
                js_rates.append([js["samples"] / s for s in js["seconds"]])
                jobs.append(cnnplay_job(server, tmp / "server", job_cfg))
        finally:
            server.close()
    plain = plain_loop_spec(SPEC, cfg)
    ratios = [statistics.median(j) / statistics.median(r) for j, r in zip(jobs, js_rates)]
    ratio = statistics.median(ratios)
    job = sum(jobs, [])
    print(f"ConvNetJS MNIST demo net, {args.samples} samples, 1 thread, {args.rounds} rounds:")
    print(
        f"  ConvNetJS 0.3.0 in node {js['node']} (adadelta, batch 20): "
        f"{', '.join(f'{r:,.0f}' for r in sum(js_rates, []))} samples/s per pass "
        f"({args.passes} a round; last pass train acc {js['last_pass_acc']:.2f})"
    )
    print(
        f"  cnnplay job (rmsprop for adadelta, batch 20): "
        f"{', '.join(f'{r:,.0f}' for r in job)} samples/s per epoch"
    )
    print(
        f"  plain PyTorch loop (context): {', '.join(f'{r:,.0f}' for r in plain)} samples/s; "
        f"job / plain = {statistics.median(job) / statistics.median(plain):.3f}"
    )
    print(f"  rounds: {', '.join(f'{r:.1f}x' for r in ratios)}")
    ok = ratio >= TARGET
    print(
        f"  cnnplay / ConvNetJS = {ratio:.1f}x median (target >= {TARGET:.0f}x): "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
