"""The model zoo: classic architectures and small nets, all written as NetworkSpec.

Importing the package registers every entry; `get(name)` builds its spec.
"""

from __future__ import annotations

from importlib import import_module

from models.registry import ZOO, Registry, ZooEntry

# Import order is listing order: the small trainable nets first, then history.
MODULES = [
    "small",
    "unet",
    "lenet",
    "alexnet",
    "vgg",
    "googlenet",
    "resnet",
    "densenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "efficientnet",
]
for _module in MODULES:
    import_module(f"models.{_module}")

__all__ = ["ZOO", "Registry", "ZooEntry", "entries", "entry", "get"]

get = ZOO.get
entry = ZOO.entry
entries = ZOO.entries
