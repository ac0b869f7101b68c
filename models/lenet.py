"""LeNet-5 (LeCun et al., 1998): 6 and 16 filters of 5x5, then 120-84-10."""

from __future__ import annotations

from models.layers import conv, flatten, linear, maxpool, network, relu
from models.registry import register
from server.net.core import spec as S

HISTORY = (
    "The 1998 original squashed with scaled tanh-like sigmoids and shrank maps with "
    "trainable subsampling (average) layers; this version uses ReLU and max pooling, as "
    "most modern retellings do."
)


def lenet5(size: int = 32, first_padding: int = 0) -> S.NetworkSpec:
    """(1,32,32) -> (6,28,28) -> (6,14,14) -> (16,10,10) -> (16,5,5) -> 120 -> 84 -> 10.

    On 28x28 MNIST, padding 2 on the first conv gives the same (6,28,28)."""
    return network(
        "LeNet-5",
        (1, size, size),
        [
            conv(6, 5, padding=first_padding),
            relu(),
            maxpool(2),
            conv(16, 5),
            relu(),
            maxpool(2),
            flatten(),  # (400,)
            linear(120),
            relu(),
            linear(84),
            relu(),
            linear(10),
        ],
    )


register(
    "lenet5",
    "LeNet-5",
    "The classic digit reader on 32x32 input: two 5x5 conv/pool stages, then 120-84-10. " + HISTORY,
    lenet5,
    "classic",
)
register(
    "lenet5_mnist",
    "LeNet-5 (MNIST 28x28)",
    "LeNet-5 on 28x28 MNIST digits: padding 2 on the first conv restores the 32x32 "
    "geometry. " + HISTORY,
    lambda: lenet5(28, first_padding=2),
    "classic",
)
