"""Every row of issue 20's table, each against its baseline from the same run.

    python benchmarks/run_all.py [--out table.md] [--quick]

Rows (each a ratio to a baseline measured in this run, the target, met or not):
  start -> first point   benchmarks/job_start.py (warm worker vs import torch), if present
  VGG-16 feature maps    overview of the evicted network vs a bare forward (features.py)
  server cold start      to /api/health vs `python -c "import torch"` (startup.py)
  transfer preset        the Train view's preset clicked in Chromium, to its verdict, vs
                         its 20 s target (transfer_browser.py; in-process beside it)
  job vs plain loop      benchmarks/training.py's job / plain samples/s
  job vs ConvNetJS       benchmarks/convnetjs.py: ConvNetJS's MNIST demo net in node vs a job
The Markdown table goes to stdout and to --out; it is the table the README quotes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Row = tuple[str, str, str, str, str]  # wait, now, baseline, ratio (target), met


def _script(name: str, *args: str, timeout: float = 900) -> str:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), **_env()},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return out.stdout + out.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _median_rate(found: re.Match[str] | None) -> str:
    """A printed list of samples/s ("10,273, 10,362, ...") as its median."""
    if found is None:
        return "?"
    rates = [float(r.replace(",", "")) for r in re.findall(r"\d[\d,]*", found.group(1))]
    return f"{statistics.median(rates):,.0f}" if rates else "?"


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def job_start(quick: bool) -> Row:
    wait = "Start -> first point (LeNet-5)"
    if not (ROOT / "benchmarks" / "job_start.py").is_file():
        return (wait, "not measured", "", "benchmarks/job_start.py is not here", "")
    text = _script("job_start.py", "--repeat", "1" if quick else "3")
    warm = re.search(r"warm\s+start -> first point\s+([\d.]+) s", text)
    base = re.search(r"import torch'\s+([\d.]+) s", text)
    if not warm or not base:
        return (wait, "failed", "", text.strip().splitlines()[-1][:120] if text else "", "")
    w, b = float(warm.group(1)), float(base.group(1))
    return (wait, f"{w:.2f} s", f"import torch {b:.2f} s", f"{w / b:.2f}x (<= 1.0 s)", _met(w <= 1))


def features_cold(quick: bool) -> Row:
    from benchmarks.features import cold_zoo

    m = cold_zoo("vgg16", 1 if quick else 3)
    r = m["cold"] / m["bare"]
    now = f"{m['cold']:.2f} s (first ever open {m['first']:.2f} s)"
    return (
        "VGG-16 feature maps, evicted",
        now,
        f"bare forward {m['bare']:.2f} s",
        f"{r:.2f}x (<= 2x)",
        _met(r <= 2),
    )


def startup(quick: bool) -> Row:
    from benchmarks.startup import TARGET, measure

    m = measure(1 if quick else 3)
    r = m["server"] / m["base"]
    return (
        "server cold start to /api/health",
        f"{m['server']:.2f} s (whole API ready {m['ready']:.2f} s)",
        f"import torch {m['base']:.2f} s",
        f"{r:.2f}x (<= {TARGET}x)",
        _met(r <= TARGET),
    )


def transfer(quick: bool) -> Row:
    from benchmarks import transfer_browser, transfer_preset

    m = transfer_browser.measure()  # a real server and Chromium: what a person waits for
    base = transfer_preset.measure()  # the same two trainings in-process, one after the other
    ahead = m["transfer"] > m["scratch"]
    verdict = f"transfer {m['transfer']:.1%} vs scratch {m['scratch']:.1%}"
    target = transfer_browser.TARGET_S
    return (
        "transfer-vs-scratch preset, click to verdict in Chromium",
        f"{m['seconds']:.1f} s ({verdict})",
        f"both in-process one after the other {base['seconds']:.1f} s; target {target:.0f} s",
        f"{m['seconds'] / target:.2f}x of target (<= 1x, transfer ahead)",
        _met(m["seconds"] <= target and ahead),
    )


def job_loop(quick: bool) -> Row:
    args = ["--epochs", "1", "--rounds", "1", "--requests", "50", "--snapshot-rounds", "1"]
    text = _script("training.py", *(args if quick else ["--snapshot-rounds", "1"]))
    found = re.search(r"job / plain = ([\d.]+)", text)
    plain = re.search(r"plain PyTorch loop: ([\d,\s]+) samples/s", text)
    if not found:
        return ("a job vs the plain loop", "failed", "", text.strip()[-120:], "")
    r = float(found.group(1))
    rounds = re.search(r"median of (\d+) rounds", text)
    base = f"plain loop {_median_rate(plain)} samples/s (median epoch)"
    if rounds:
        base += f"; median of {rounds.group(1)} paired rounds"
    return (
        "a job vs the plain loop (LeNet-5)",
        f"{r:.3f}x",
        base,
        f"{r:.3f}x (>= 0.97x)",
        _met(r >= 0.97),
    )


def convnetjs(quick: bool) -> Row:
    args = ["--samples", "600", "--passes", "1", "--rounds", "1"] if quick else []
    text = _script("convnetjs.py", *args)
    found = re.search(r"cnnplay / ConvNetJS = ([\d.]+)x", text)
    js = re.search(r"\(adadelta, batch 20\): ([\d,\s]+) samples/s", text)
    job = re.search(r"cnnplay job \(rmsprop for adadelta, batch 20\): ([\d,\s]+) samples/s", text)
    if not found:
        return ("a job vs ConvNetJS", "failed", "", text.strip()[-120:], "")
    r = float(found.group(1))
    return (
        "a job vs ConvNetJS (its MNIST demo net, batch 20)",
        f"{_median_rate(job)} samples/s (median epoch)",
        f"ConvNetJS in node {_median_rate(js)} samples/s (median pass)",
        f"{r:.1f}x (>= 30x)",
        _met(r >= 30),
    )


ROWS: list[Callable[[bool], Row]] = [
    job_start,
    features_cold,
    startup,
    transfer,
    job_loop,
    convnetjs,
]


def table(rows: list[Row]) -> str:
    lines = [
        "| wait | now | baseline (same run) | ratio (target) | met |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument("--quick", action="store_true", help="one repeat each")
    parser.add_argument("--only", help="comma-separated row functions, e.g. startup,transfer")
    args = parser.parse_args()
    chosen = [f for f in ROWS if not args.only or f.__name__ in args.only.split(",")]
    rows = []
    for fn in chosen:
        t = time.perf_counter()
        try:
            rows.append(fn(args.quick))
        except Exception as exc:  # noqa: BLE001 - one failing row still leaves the others
            rows.append((fn.__name__, "failed", "", f"{type(exc).__name__}: {exc}"[:160], ""))
        print(f"[{fn.__name__}: {time.perf_counter() - t:.0f} s]", file=sys.stderr)
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
