"""The network service: a network by reference, built once and shared by every view.

A reference is exactly one of a zoo name, a spec, or a weights id of the library (an
entry brings its own spec). Resolving it checks the spec (the caller's limits), builds
the module with a fixed seed (an untrained network shows the same random weights each
time), loads the entry's weights and keeps the result in an LRU by (spec hash, weights
id). Concurrent misses for one network build it once. One service per app, created in
its lifespan; the zoo and the library lookup are passed in (the core imports neither).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from safetensors import SafetensorError
from torch import nn

from server.net.core import init_store
from server.net.core.cache import LRU
from server.net.core.shapes import LayerInfo, ShapeReport
from server.net.core.spec import NetworkSpec
from server.net.weights.files import WeightsMismatch, load_into
from server.net.weights.library import Entry, Zoo

RANDOM_SEED = 0  # the weights of every untrained network


class NetworkError(Exception):
    """A reference that does not give a network; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class NetworkNotFound(NetworkError, LookupError):
    """An unknown zoo name or weights id, or a weights file gone since it was listed."""


class NetworkUnusable(NetworkError, ValueError):
    """Not one reference, or weights that do not fit their spec."""


@dataclass(eq=False)
class Network:
    spec: NetworkSpec
    module: nn.Module  # in eval mode
    rows: list[LayerInfo]  # shapes.infer's rows: every layer path in order
    weights: Entry | None  # None: random weights (RANDOM_SEED)
    key: tuple[str, str]  # (spec hash, weights id or ""): its cache key
    # Hooks and forward passes take turns: two requests never hook one module at once.
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What views work out once per network (e.g. a fine-tuned run's weight changes).
    memo: dict[str, Any] = field(default_factory=dict)

    def row(self, path: str) -> LayerInfo | None:
        return next((row for row in self.rows if row.path == path), None)


def network_bytes(net: Network) -> int:
    """What a kept network holds: its parameters and buffers."""
    tensors = [*net.module.parameters(), *net.module.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def spec_key(spec: NetworkSpec) -> str:
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()


class Networks:
    def __init__(
        self,
        zoo: Zoo,
        weights: Callable[[str], Entry],
        check: Callable[[NetworkSpec], ShapeReport],
        cap: int,
        seed: int = RANDOM_SEED,
        max_bytes: int | None = None,
    ) -> None:
        """`zoo(name)` raises KeyError for an unknown name; `weights(id)` raises
        LookupError for an unknown id; `check(spec)` is the caller's limits before
        anything is built (what it raises reaches the caller untouched); at most `cap`
        networks are kept, holding at most `max_bytes` of parameters and buffers
        together (issue 13: five 249M-parameter networks stayed, 4.5 GB). A network
        over `max_bytes` alone is built for its request and not kept."""
        self._zoo = zoo
        self._weights = weights
        self._check = check
        self._seed = seed
        if max_bytes is None:
            self._cache: LRU[tuple[str, str], Network] = LRU(cap)
        else:
            self._cache = LRU(max_bytes, network_bytes, max_items=cap)

    @property
    def cached_bytes(self) -> int:
        """Parameter and buffer bytes of the networks kept (with a byte budget)."""
        return self._cache.used

    @property
    def builds(self) -> int:
        """How many times a network was actually built (tests read it)."""
        return self._cache.made

    def open(
        self,
        zoo: str | None = None,
        spec: NetworkSpec | None = None,
        weights: str | None = None,
    ) -> Network:
        """The network of exactly one of a zoo name, a spec or a weights id."""
        if sum(x is not None for x in (zoo, spec, weights)) != 1:
            raise NetworkUnusable("", "give exactly one of zoo, spec, weights")
        if weights is not None:
            return self.get(None, weights)
        if zoo is not None:
            spec = self.zoo(zoo)
        assert spec is not None
        return self.get(spec, None)

    def only_weights(self, allowed: Callable[[str], bool]) -> Networks:
        """This service where a weights id `allowed` refuses is not found (one user's view
        of the library, issue 14); the lookup and the built-network cache are shared."""
        lookup = self._weights

        def weights(weights_id: str) -> Entry:
            if not allowed(weights_id):
                raise LookupError(weights_id)
            return lookup(weights_id)

        view = copy.copy(self)
        view._weights = weights
        return view

    def zoo(self, name: str) -> NetworkSpec:
        try:
            return self._zoo(name)
        except KeyError as exc:
            raise NetworkNotFound("zoo", str(exc.args[0])) from None

    def entry(self, weights_id: str) -> Entry:
        try:
            return self._weights(weights_id)
        except LookupError:
            raise NetworkNotFound(
                "weights", f"no weights with id {weights_id[:100]!r} (see GET /api/weights)"
            ) from None

    def get(self, spec: NetworkSpec | None, weights: Entry | str | None) -> Network:
        """The built network of `spec` with `weights` (an entry, or its id: then `spec`
        may be None and the entry's own is used)."""
        if isinstance(weights, str):
            weights = self.entry(weights)
        if spec is None:
            if weights is None:
                raise NetworkUnusable("", "give a spec or weights")
            spec = weights.spec
        key = (spec_key(spec), weights.id if weights else "")
        return self._cache.get_or_make(key, lambda: self._build(spec, weights, key))

    def _build(self, spec: NetworkSpec, weights: Entry | None, key: tuple[str, str]) -> Network:
        report = self._check(spec)  # limits and shapes first: the build below cannot fail
        module = init_store.build(spec, self._seed)  # the seeded build, stored (issue 20)
        if weights is not None:
            try:
                load_into(module, weights.path)
            except WeightsMismatch as exc:
                raise NetworkUnusable("weights", f"{weights.id!r}: {exc}") from None
            except (OSError, SafetensorError) as exc:  # deleted or damaged since it was listed
                raise NetworkNotFound(
                    "weights", f"{weights.id!r}: cannot read its file ({exc})"
                ) from None
        return Network(spec, module.eval(), report.layers, weights, key)
