"""A network's head: its last linear layer, and the same network with another head.

The head is the last layer of the spec, looking inside trailing `sequential` blocks
(VGG's and AlexNet's `classifier`), so `with_head` works for every zoo network. The
Train view asks the server for re-headed specs instead of computing its own (issue 12).
"""

from __future__ import annotations

from server.net.core.spec import Layer, Linear, NetworkSpec, Sequential


class NoHead(ValueError):
    """The network does not end in a linear layer."""


def head_path(net: NetworkSpec) -> str:
    """The layer path of the last linear layer ("layers.9", "layers.3.layers.6")."""
    path, layers = "layers", net.layers
    while layers:
        last = layers[-1]
        path = f"{path}.{len(layers) - 1}"
        if isinstance(last, Linear):
            return path
        if not isinstance(last, Sequential):
            break
        path, layers = f"{path}.layers", last.layers
    raise NoHead(f"{net.name}: the last layer is not linear, cannot swap the head")


def _replace(layers: list[Layer], classes: int) -> list[Layer]:
    last = layers[-1]
    if isinstance(last, Sequential):
        return [*layers[:-1], last.model_copy(update={"layers": _replace(last.layers, classes)})]
    assert isinstance(last, Linear)
    return [*layers[:-1], last.model_copy(update={"out_features": classes})]


def head_classes(net: NetworkSpec) -> int:
    """How many outputs the head has."""
    head_path(net)  # raises NoHead
    layers = net.layers
    while isinstance(layers[-1], Sequential):
        layers = layers[-1].layers
    last = layers[-1]
    assert isinstance(last, Linear)
    return last.out_features


def with_head(net: NetworkSpec, classes: int) -> NetworkSpec:
    """The same network with its head replaced by a linear layer of `classes` units."""
    head_path(net)  # raises NoHead
    return net.model_copy(update={"layers": _replace(net.layers, classes)})
