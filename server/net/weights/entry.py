"""One entry of the weights library: a spec, a safetensors file in layer-path keys, and
what a view needs to know about where the weights came from (issues 5, 7, 17).

Its errors live here too, so every source (shipped, runs, uploads, torchvision imports,
ImageNet downloads) raises the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from server.net.core.head import NoHead, head_classes
from server.net.core.spec import NetworkSpec
from server.net.data import imagenet

Kind = Literal["shipped", "run", "upload", "imagenet"]


class NotFound(LookupError):
    """No weights with that id."""


class BadWeights(ValueError):
    """An imported file cannot be read, or its tensors do not fit the network."""


class LibraryFull(RuntimeError):
    """As many imported files as the limit allows."""


def torchvision_preprocess() -> dict[str, Any]:
    """torchvision's ImageNet preparation (its `ImageClassification` preset): resize the
    shorter side to 256, centre crop 224, scale to [0, 1], standardise per channel."""
    return {
        "resize": imagenet.RESIZE,
        "crop": imagenet.CROP,
        "mean": list(imagenet.MEAN),
        "std": list(imagenet.STD),
    }


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    kind: Kind
    spec: NetworkSpec
    path: Path
    accuracy: float | None = None
    created: str | None = None
    classes: list[int] | None = None  # the label of each output unit (None: 0..K-1)
    init_from: str | None = None  # weights a run was fine-tuned from
    frozen: list[str] = field(default_factory=list)
    config: dict[str, Any] | None = None  # a run's TrainConfig
    details: dict[str, Any] = field(default_factory=dict)
    zoo: str | None = None  # the zoo architecture of torchvision-born weights
    preprocess: dict[str, Any] | None = None  # {"resize", "crop", "mean", "std"} or None

    def label_names(self) -> list[str] | None:
        """The class name of each output unit: ImageNet's 1,000 names for a torchvision
        head of 1,000 units; None when the weights do not say."""
        if self.zoo is None:
            return None
        try:
            outputs = head_classes(self.spec)
        except NoHead:
            return None
        return list(imagenet.class_names()) if outputs == imagenet.NUM_CLASSES else None

    def public(self) -> dict[str, Any]:
        """The JSON a client gets: {id, title, kind, spec, accuracy, created, ...}."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "spec": self.spec.model_dump(mode="json", exclude_none=True),
            "accuracy": self.accuracy,
            "created": self.created,
            "classes": self.classes,
            "init_from": self.init_from,
            "frozen": self.frozen,
            "bytes": self.path.stat().st_size if self.path.is_file() else None,
            "labels": self.label_names(),
            "zoo": self.zoo,
            "preprocess": self.preprocess,
            **self.details,
        }

    def labels(self, outputs: int) -> list[str]:
        """A name for each of `outputs` units: class names, the classes' numbers, 0..K-1."""
        names = self.label_names()
        if names and len(names) == outputs:
            return names
        if self.classes and len(self.classes) == outputs:
            return [str(c) for c in self.classes]
        return [str(i) for i in range(outputs)]
