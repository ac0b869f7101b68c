"""The building blocks of the mobile networks (MobileNetV2, MobileNetV3, EfficientNet),
written as NetworkSpec data the way torchvision composes them (issue 16).

- `cna`: torchvision's Conv2dNormActivation, a conv (no bias, "same" padding (k-1)/2)
  -> batch norm -> activation, as a named `sequential` of its own;
- `squeeze_excite`: torchvision's SqueezeExcitation, a `residual` whose body turns the
  input into a (C, 1, 1) gate (pool -> 1x1 conv -> act -> 1x1 conv -> gate) and whose
  merge is `mul`: the input times its gate;
- `inverted`: an inverted residual block (expand -> depthwise -> project); it adds its
  input back only when the shape is unchanged, as torchvision's `use_res_connect`.

The spec mirrors torchvision's module tree one to one (models/naming.py `mirrored`).
"""

from __future__ import annotations

from models.layers import flatten, gap, network
from server.net.core import spec as S

ACTIVATIONS = {
    "relu": S.ReLU,
    "relu6": S.ReLU6,
    "hardswish": S.Hardswish,
    "silu": S.SiLU,
    "sigmoid": S.Sigmoid,
    "hardsigmoid": S.Hardsigmoid,
}


def make_divisible(value: float, divisor: int = 8) -> int:
    """The nearest multiple of `divisor` at or above 90% of `value` (torchvision's rule
    for channel counts, from the TensorFlow MobileNet code)."""
    out = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * value else out


def cna(
    out: int,
    k: int,
    stride: int = 1,
    *,
    depthwise: bool = False,
    act: str | None = "relu",
    eps: float = 1e-5,
    momentum: float = 0.1,
) -> S.Sequential:
    """conv -> batch norm (-> activation): one Conv2dNormActivation."""
    conv = S.Conv2d(
        out_channels=out,
        kernel_size=k,
        stride=stride,
        padding=(k - 1) // 2,
        groups="depthwise" if depthwise else 1,
        bias=False,
    )
    layers: list[S.Layer] = [conv, S.BatchNorm2d(eps=eps, momentum=momentum)]
    if act is not None:
        layers.append(ACTIVATIONS[act]())
    kind = "depthwise conv" if depthwise else f"{k}x{k} conv"
    return S.Sequential(name=f"{kind}-bn" + (f"-{act}" if act else ""), layers=layers)


def squeeze_excite(channels: int, squeeze: int, act: str, gate: str) -> S.Residual:
    """(C, H, W) * gate(C, 1, 1): each channel scaled by what the whole map says of it."""
    return S.Residual(
        body=[
            S.GlobalAvgPool2d(),
            S.Conv2d(out_channels=squeeze, kernel_size=1),
            ACTIVATIONS[act](),
            S.Conv2d(out_channels=channels, kernel_size=1),
            ACTIVATIONS[gate](),
        ],
        merge="mul",
    )


def inverted(in_ch: int, out_ch: int, stride: int, body: list[S.Layer], name: str) -> S.Layer:
    """The block's body, with the input added back when it keeps the shape."""
    if stride == 1 and in_ch == out_ch:
        return S.Residual(body=body, merge="add")
    return S.Sequential(name=name, layers=body)


def block_stack(block: S.Layer, path: str) -> tuple[list[S.Layer], str]:
    """An inverted block's layers and their path prefix, whether it adds its input back
    (a residual's body) or not (a sequential's layers)."""
    if isinstance(block, S.Residual):
        return block.body, f"{path}.body"
    assert isinstance(block, S.Sequential), block.type
    return block.layers, f"{path}.layers"


def imagenet_net(title: str, features: list[S.Layer], classifier: list[S.Layer]) -> S.NetworkSpec:
    """features -> global average pool -> flatten -> classifier, at 224x224: the layout the
    three mobile networks share (torchvision's `features` and `classifier` modules)."""
    layers: list[S.Layer] = [
        S.Sequential(name="features", layers=features),
        gap(),
        flatten(),
        S.Sequential(name="classifier", layers=classifier),
    ]
    return network(title, (3, 224, 224), layers)
