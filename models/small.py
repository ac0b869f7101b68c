"""Small nets on MNIST-sized input (1, 28, 28) that train in seconds on a CPU.

`mnist_cnn` is fixed: shipped weights are trained on exactly these layers
(105,866 parameters), so do not change it.
"""

from __future__ import annotations

from collections.abc import Callable

from models.layers import (
    avgpool,
    bn,
    conv,
    conv_bn_relu,
    dropout,
    flatten,
    gap,
    linear,
    maxpool,
    network,
    relu,
)
from models.registry import register
from server.net.core import spec as S

MNIST = (1, 28, 28)


def _stem() -> list[S.Layer]:
    """(1,28,28) -> (16,14,14): a 3x3 conv of 16 filters, ReLU, 2x2 max pool."""
    return [conv(16, 3, padding=1), relu(), maxpool(2)]


def mnist_cnn() -> S.NetworkSpec:
    """Two conv/pool stages then a small classifier: (1,28,28) -> (16,14,14) -> (32,7,7)."""
    return network(
        "MNIST CNN",
        MNIST,
        [
            *_stem(),  # (16, 14, 14)
            conv(32, 3, padding=1),
            relu(),
            maxpool(2),  # (32, 7, 7)
            flatten(),  # (1568,)
            dropout(0.25),
            linear(64),
            relu(),
            linear(10),
        ],
    )


def mlp() -> S.NetworkSpec:
    """No convolution at all: 784 -> 128 -> 64 -> 10, for comparison with the CNNs."""
    return network("MLP", MNIST, [flatten(), linear(128), relu(), linear(64), relu(), linear(10)])


def _basic_block(out: int, stride: int, downsample: bool) -> list[S.Layer]:
    """A ResNet basic block: two 3x3 convs added to the input, then relu."""
    body = [*conv_bn_relu(out, 3, stride, 1), conv(out, 3, padding=1, bias=False), bn()]
    # When the shape changes the identity cannot be added: a strided 1x1 conv projects it.
    shortcut = [conv(out, 1, stride, bias=False), bn()] if downsample else []
    return [S.Residual(body=body, shortcut=shortcut, merge="add"), relu()]


def tiny_resnet() -> S.NetworkSpec:
    """(1,28,28) -> stem (16,28,28) -> (16,28,28) -> (32,14,14) -> (32,14,14) -> 10."""
    return network(
        "Tiny ResNet",
        MNIST,
        [
            *conv_bn_relu(16, 3, 1, 1),
            *_basic_block(16, 1, downsample=False),
            *_basic_block(32, 2, downsample=True),
            *_basic_block(32, 1, downsample=False),
            gap(),
            flatten(),
            linear(10),
        ],
    )


def tiny_inception() -> S.NetworkSpec:
    """One Inception module on (16,14,14): 1x1, 1x1->3x3, 1x1->5x5, pool->1x1, concatenated
    to (16+24+8+8 = 56, 14, 14)."""
    module = S.Parallel(
        branches=[
            [conv(16, 1), relu()],
            [conv(16, 1), relu(), conv(24, 3, padding=1), relu()],
            [conv(8, 1), relu(), conv(8, 5, padding=2), relu()],
            [maxpool(3, 1, 1), conv(8, 1), relu()],
        ],
        merge="concat",
    )
    return network(
        "Tiny Inception",
        MNIST,
        [
            *_stem(),  # (16, 14, 14)
            module,  # (56, 14, 14)
            maxpool(2),  # (56, 7, 7)
            gap(),
            flatten(),
            linear(10),
        ],
    )


def _dense_layer(growth: int) -> S.Residual:
    """bn-relu-conv3x3 producing `growth` new channels, concatenated onto the input."""
    body = [bn(), relu(), conv(growth, 3, padding=1, bias=False)]
    return S.Residual(body=body, merge="concat")


def tiny_densenet() -> S.NetworkSpec:
    """(16,28,28) + 3x8 -> (40,28,28) -> transition (20,14,14) + 3x8 -> (44,14,14) -> 10."""
    growth = 8
    return network(
        "Tiny DenseNet",
        MNIST,
        [
            conv(16, 3, padding=1, bias=False),
            *[_dense_layer(growth) for _ in range(3)],
            # Transition: halve the channels with a 1x1 conv and the size with a 2x2 average.
            bn(),
            relu(),
            conv(20, 1, bias=False),
            avgpool(2),
            *[_dense_layer(growth) for _ in range(3)],
            bn(),
            relu(),
            gap(),
            flatten(),
            linear(10),
        ],
    )


RNN_HIDDEN = 128


def _rnn_mnist(kind: str) -> S.NetworkSpec:
    """Row-by-row MNIST: the (1, 28, 28) image is read as 28 steps of 28 pixels; the last
    hidden state (128,) goes to a linear layer of 10."""
    rnn = S.LSTM if kind == "lstm" else S.GRU
    name = "Row-by-row MNIST " + kind.upper()
    return network(name, MNIST, [rnn(hidden_size=RNN_HIDDEN, output="last"), linear(10)])


def rnn_mnist_lstm() -> S.NetworkSpec:
    """LSTM(28 -> 128), last step, linear 10: 4*128*(28+128) + 8*128 + 1290 = 82,186 params."""
    return _rnn_mnist("lstm")


def rnn_mnist_gru() -> S.NetworkSpec:
    """GRU(28 -> 128), last step, linear 10: 3*128*(28+128) + 6*128 + 1290 = 61,962 params."""
    return _rnn_mnist("gru")


# name, title, description, builder
SMALL: list[tuple[str, str, str, Callable[[], S.NetworkSpec]]] = [
    (
        "mnist_cnn",
        "MNIST CNN",
        "Two 3x3 conv + max-pool stages (16 and 32 filters), dropout and a 64-unit dense "
        "layer: small enough to train on MNIST in seconds on a CPU.",
        mnist_cnn,
    ),
    (
        "mlp",
        "MLP (no convolutions)",
        "Flatten the digit and use dense layers 784-128-64-10: a baseline that ignores "
        "which pixels are neighbours.",
        mlp,
    ),
    (
        "tiny_resnet",
        "Tiny ResNet",
        "A stem conv and three residual blocks with batch norm; the second halves the size "
        "and needs a strided 1x1 conv on its shortcut. Global average pooling, then 10.",
        tiny_resnet,
    ),
    (
        "tiny_inception",
        "Tiny Inception",
        "One Inception module: 1x1, 3x3, 5x5 and pooling branches side by side, "
        "concatenated along the channels.",
        tiny_inception,
    ),
    (
        "tiny_densenet",
        "Tiny DenseNet",
        "Two dense blocks of three layers, each layer concatenating 8 new channels onto "
        "everything before it, with a transition (1x1 conv + average pool) between.",
        tiny_densenet,
    ),
    (
        "rnn_mnist_lstm",
        "Row-by-row MNIST LSTM",
        "Reads a digit as a sequence: 28 steps, one image row of 28 pixels each, through an "
        "LSTM with 128 hidden units; the last hidden state is classified by a linear layer.",
        rnn_mnist_lstm,
    ),
    (
        "rnn_mnist_gru",
        "Row-by-row MNIST GRU",
        "The same sequence reading with a GRU (reset and update gates, no separate cell "
        "state): 128 hidden units, last step, then a linear layer of 10.",
        rnn_mnist_gru,
    ),
]

for _name, _title, _description, _builder in SMALL:
    register(_name, _title, _description, _builder, "small")
