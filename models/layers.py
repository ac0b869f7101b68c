"""Short constructors for the layer specs the zoo uses, so builders read like the papers.

Each returns a pydantic layer from server/net/core/spec.py; nothing here knows torch.
"""

from __future__ import annotations

from server.net.core import spec as S


def conv(out: int, k: int, stride: int = 1, padding: int = 0, *, bias: bool = True) -> S.Conv2d:
    return S.Conv2d(out_channels=out, kernel_size=k, stride=stride, padding=padding, bias=bias)


def bn(eps: float = 1e-5) -> S.BatchNorm2d:
    return S.BatchNorm2d(eps=eps)


def relu() -> S.ReLU:
    return S.ReLU()


def maxpool(
    k: int, stride: int | None = None, padding: int = 0, *, ceil: bool = False
) -> S.MaxPool2d:
    return S.MaxPool2d(kernel_size=k, stride=stride, padding=padding, ceil_mode=ceil)


def avgpool(k: int, stride: int | None = None) -> S.AvgPool2d:
    return S.AvgPool2d(kernel_size=k, stride=stride)


def gap() -> S.GlobalAvgPool2d:
    return S.GlobalAvgPool2d()


def flatten() -> S.Flatten:
    return S.Flatten()


def linear(out: int) -> S.Linear:
    return S.Linear(out_features=out)


def dropout(p: float = 0.5) -> S.Dropout:
    return S.Dropout(p=p)


def conv_bn_relu(
    out: int, k: int, stride: int = 1, padding: int = 0, eps: float = 1e-5
) -> list[S.Layer]:
    """conv (no bias: the batch norm's shift replaces it) -> batch norm -> relu."""
    return [conv(out, k, stride, padding, bias=False), bn(eps), relu()]


def stage(name: str, layers: list[S.Layer]) -> S.Sequential:
    return S.Sequential(name=name, layers=layers)


def network(name: str, input_shape: tuple[int, int, int], layers: list[S.Layer]) -> S.NetworkSpec:
    c, h, w = input_shape
    return S.NetworkSpec(name=name, input=S.InputSpec(channels=c, height=h, width=w), layers=layers)
