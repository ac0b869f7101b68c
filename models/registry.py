"""The zoo's registry: name -> entry (title, description, builder, category).

Like torchvision's model registry it refuses a second entry under a name already
taken, so two modules cannot silently shadow each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from server.net.core.spec import NetworkSpec

Category = Literal["classic", "small"]


@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    description: str
    builder: Callable[[], NetworkSpec]
    category: Category

    def build(self) -> NetworkSpec:
        return self.builder()


class Registry:
    def __init__(self) -> None:
        self._entries: dict[str, ZooEntry] = {}

    def register(
        self,
        name: str,
        title: str,
        description: str,
        builder: Callable[[], NetworkSpec],
        category: Category,
    ) -> ZooEntry:
        if name in self._entries:
            raise ValueError(f"a zoo entry named {name!r} is already registered")
        entry = ZooEntry(name, title, description, builder, category)
        self._entries[name] = entry
        return entry

    def entry(self, name: str) -> ZooEntry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries))
            raise KeyError(f"no zoo entry named {name!r}; known: {known}") from None

    def get(self, name: str) -> NetworkSpec:
        return self.entry(name).build()

    def entries(self) -> list[ZooEntry]:
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries


ZOO = Registry()
register = ZOO.register
