"""Facts cnnplay records from torchvision: run in a side venv that has torchvision.

    python3 -m venv ~/tv && ~/tv/bin/pip install torch==2.14.1 torchvision==0.29.1
    ~/tv/bin/python scripts/torchvision_facts.py

torchvision cannot be installed beside the project's torch==2.13.0, so nothing in the
app imports it; this script writes plain data files that the app reads:
  server/data/imagenet/classes.json   the 1,000 ImageNet-1k category names, class order
"""

from __future__ import annotations

import json
from pathlib import Path

from torchvision.models import _meta

ROOT = Path(__file__).resolve().parents[1]
IMAGENET = ROOT / "server" / "data" / "imagenet"


def write_classes() -> None:
    names = list(_meta._IMAGENET_CATEGORIES)
    assert len(names) == 1000
    IMAGENET.mkdir(parents=True, exist_ok=True)
    (IMAGENET / "classes.json").write_text(json.dumps(names, indent=0) + "\n")


if __name__ == "__main__":
    write_classes()
