"""Facts cnnplay records from torchvision: run in a side venv that has torchvision.

    python3 -m venv ~/tv && ~/tv/bin/pip install torch==2.14.1 torchvision==0.29.1
    ~/tv/bin/python scripts/torchvision_facts.py

torchvision cannot be installed beside the project's torch==2.13.0, so nothing in the
app imports it; this script writes plain data files that the app reads:
  server/data/imagenet/classes.json   the 1,000 ImageNet-1k category names, class order
  models/weights/imagenet.json        the official IMAGENET1K_V1 file of each zoo
                                      architecture: file name, URL, sha256 prefix, size,
                                      parameter count and accuracy (issue 17)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from torchvision.models import _meta, get_model_weights

ROOT = Path(__file__).resolve().parents[1]
IMAGENET = ROOT / "server" / "data" / "imagenet"
MANIFEST = ROOT / "models" / "weights" / "imagenet.json"
# The zoo architectures torchvision publishes IMAGENET1K_V1 weights for (same names).
ZOO = (
    "alexnet",
    *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")),
    *(f"resnet{d}" for d in (18, 34, 50, 101, 152)),
    "googlenet",
    *(f"densenet{d}" for d in (121, 161, 169, 201)),
    "mobilenet_v2",
    "mobilenet_v3_small",
    "efficientnet_b0",
)
WEIGHTS = "IMAGENET1K_V1"
# torch.hub's HASH_REGEX: the hex digits after the last '-' before the '.' of a file name.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
MiB = 1 << 20  # torchvision's _file_size is os.path.getsize / 1024**2


def write_classes() -> None:
    names = list(_meta._IMAGENET_CATEGORIES)
    assert len(names) == 1000
    IMAGENET.mkdir(parents=True, exist_ok=True)
    (IMAGENET / "classes.json").write_text(json.dumps(names, indent=0) + "\n")


def facts(zoo: str) -> dict[str, object]:
    """One architecture's official weights, read from torchvision's own enum."""
    weights = get_model_weights(zoo)[WEIGHTS]
    file_name = weights.url.rsplit("/", 1)[-1]
    match = HASH_REGEX.search(file_name)
    assert match is not None, file_name
    metrics = weights.meta["_metrics"]["ImageNet-1K"]
    return {
        "zoo": zoo,
        "weights": WEIGHTS,
        "file_name": file_name,
        "url": weights.url,
        "sha256_prefix": match.group(1),
        "bytes": round(weights.meta["_file_size"] * MiB),  # approx: _file_size has 3 decimals
        "num_params": weights.meta["num_params"],
        "acc1": metrics["acc@1"],
        "acc5": metrics["acc@5"],
    }


def write_manifest() -> None:
    out = {zoo: facts(zoo) for zoo in ZOO}
    MANIFEST.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    write_classes()
    write_manifest()
