"""The zoo's registry: name -> entry (title, description, builder, category).

Like torchvision's model registry it refuses a second entry under a name already
taken, so two modules cannot silently shadow each other. Names are case-insensitive
(issue 18): `ResNet18` finds `resnet18`, and `ResNet18` cannot be registered beside it;
an entry keeps the spelling it was registered under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec

Category = Literal["classic", "small"]


@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    description: str
    builder: Callable[[], NetworkSpec]
    category: Category
    task: str = "classification"  # or "segmentation": (K, H, W) score maps (issue 16)
    # TrainConfig fields the Train view starts from when this net is picked (None: the
    # schema's defaults), e.g. a recipe measured to reach its benchmark target (issue 16).
    train: dict[str, Any] | None = None

    def build(self) -> NetworkSpec:
        return self.builder()

    def summary(self) -> dict[str, Any]:
        """The listing line of GET /api/zoo and `cnnplay zoo`: params and the (C, H, W)
        input worked out by shapes.infer from the built spec."""
        report = infer(self.build())
        return {
            "name": self.name,
            "title": self.title,
            "params": report.total_params,
            "input_shape": report.input_shape,
            "description": self.description,
            "category": self.category,
            "task": self.task,
            "train": dict(self.train) if self.train else None,
        }


def _key(name: str) -> str:
    return name.casefold()


class Registry:
    def __init__(self) -> None:
        self._entries: dict[str, ZooEntry] = {}  # casefolded name -> entry, in listing order

    def register(
        self,
        name: str,
        title: str,
        description: str,
        builder: Callable[[], NetworkSpec],
        category: Category,
        *,
        task: str = "classification",
        train: dict[str, Any] | None = None,
    ) -> ZooEntry:
        taken = self._entries.get(_key(name))
        if taken is not None:
            same = "" if taken.name == name else f" (as {taken.name!r})"
            raise ValueError(f"a zoo entry named {name!r} is already registered{same}")
        entry = ZooEntry(name, title, description, builder, category, task, train)
        self._entries[_key(name)] = entry
        return entry

    def entry(self, name: str) -> ZooEntry:
        try:
            return self._entries[_key(name)]
        except KeyError:
            known = ", ".join(self._entries[k].name for k in sorted(self._entries))
            raise KeyError(f"no zoo entry named {name!r}; known: {known}") from None

    def get(self, name: str) -> NetworkSpec:
        return self.entry(name).build()

    def entries(self) -> list[ZooEntry]:
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._entries


ZOO = Registry()
register = ZOO.register
