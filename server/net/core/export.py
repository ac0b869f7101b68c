"""Export a NetworkSpec as standalone PyTorch source, or as an ONNX model.

`to_pytorch_code(spec)` writes a file that needs nothing but torch: one
`nn.Module` class named after the design, plus the few helper blocks it uses
(Group, Residual, Parallel, Recurrent) written into the file. Its attribute
names are the layer paths, exactly as `build.build_module` names them, so
`exported.load_state_dict(build_module(spec).state_dict(), strict=True)` works
and trained weights move between the two.

`to_onnx_bytes(spec)` exports `build_module(spec)` with the TorchScript-based
exporter (`dynamo=False`: the dynamo exporter needs onnxscript), a dynamic batch
axis, input "input" (N, C, H, W) and output "logits".
"""

from __future__ import annotations

import inspect
import io
import json
import keyword
import re
import warnings

import torch
from torch import nn

from server.net.core import modules
from server.net.core import spec as S
from server.net.core.build import build_module
from server.net.core.export_leaves import LEAVES
from server.net.core.shapes import ShapeError, ShapeReport, infer

Shape = tuple[int, ...]
ONNX_OPSET = 17
HELPERS = ("Group", "Residual", "Parallel", "Recurrent")
INDENT = "    "


class ExportError(ValueError):
    """The exporter refused this network (an operator ONNX cannot express)."""


# --- names ------------------------------------------------------------------------


def class_name(name: str) -> str:
    """'LeNet-5' -> 'LeNet5', 'my small net' -> 'MySmallNet': a safe identifier."""
    parts = re.findall(r"[A-Za-z0-9]+", name)
    ident = "".join(p[:1].upper() + p[1:] for p in parts) or "Network"
    if ident[0].isdigit():
        ident = "Net" + ident
    if keyword.iskeyword(ident) or ident in HELPERS or ident in ("Module", "Tensor"):
        ident += "Net"
    return ident


def file_stem(name: str) -> str:
    """An ASCII file name stem for a Content-Disposition header."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")[:80] or "network"


def _plain(text: str) -> str:
    """Text that is safe inside a one-line comment (no newlines or control chars)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _str(text: str) -> str:
    """A string literal in double quotes (only spec literals such as 'same' reach here)."""
    return json.dumps(text)


def _shape(shape: list[int] | Shape) -> str:
    return "(N, " + ", ".join(str(x) for x in shape) + ")"


# --- helper blocks, written into the file only when used --------------------------

# The very classes build_module uses (server/net/core/modules.py), their source copied into the
# file, so the exported network computes exactly what cnnplay's does.
_HELPER_SOURCE = {
    "merge": modules._merge,
    "Group": modules.Group,
    "Residual": modules.Residual,
    "Parallel": modules.Parallel,
    "Recurrent": modules.Recurrent,
}


def _helper_source(key: str) -> str:
    return inspect.getsource(_HELPER_SOURCE[key]).strip()


# --- the whole file ----------------------------------------------------------------


class _Writer:
    """Walks the spec and writes each layer as one expression, nested blocks indented."""

    def __init__(self, report: ShapeReport) -> None:
        self.rows = {row.path: row for row in report.layers}
        self.used: set[str] = set()

    def _note(self, path: str, title: str = "") -> str:
        row = self.rows[path]
        where = f"{path} ({title})" if title else path
        return f"  # {where}: {_shape(row.input_shape)} -> {_shape(row.output_shape)}"

    def stack(self, layers: list[S.Layer], prefix: str, depth: int) -> list[str]:
        lines: list[str] = []
        for i, layer in enumerate(layers):
            lines += self.one(layer, f"{prefix}.{i}", depth)
        return lines

    def _list(self, layers: list[S.Layer], prefix: str, depth: int, key: str) -> list[str]:
        pad = INDENT * depth
        if not layers:
            return [f"{pad}{key}[],"]
        return [f"{pad}{key}["] + self.stack(layers, prefix, depth + 1) + [f"{pad}],"]

    def one(self, layer: S.Layer, path: str, depth: int) -> list[str]:
        pad = INDENT * depth
        if isinstance(layer, S.Sequential):
            self.used.add("Group")
            head = f"{pad}Group([{self._note(path, _plain(layer.name))}"
            return [head] + self.stack(layer.layers, f"{path}.layers", depth + 1) + [f"{pad}]),"]
        if isinstance(layer, S.Residual):
            self.used |= {"Residual", "merge"}
            return (
                [f"{pad}Residual({self._note(path)}"]
                + self._list(layer.body, f"{path}.body", depth + 1, "body=")
                + self._list(layer.shortcut, f"{path}.shortcut", depth + 1, "shortcut=")
                + [f"{pad}{INDENT}merge={_str(layer.merge)},", f"{pad}),"]
            )
        if isinstance(layer, S.Parallel):
            self.used |= {"Parallel", "merge"}
            lines = [f"{pad}Parallel({self._note(path)}", f"{pad}{INDENT}["]
            for i, branch in enumerate(layer.branches):
                lines += self._list(branch, f"{path}.branches.{i}", depth + 2, "")
            return lines + [
                f"{pad}{INDENT}],",
                f"{pad}{INDENT}merge={_str(layer.merge)},",
                f"{pad}),",
            ]
        if layer.type in ("lstm", "gru"):
            self.used.add("Recurrent")
        expr = LEAVES[layer.type](layer, tuple(self.rows[path].input_shape))
        return [f"{pad}{expr},{self._note(path)}"]


def _checked_report(spec: S.NetworkSpec) -> ShapeReport:
    report = infer(spec)
    if report.error:
        raise ShapeError(report.error["layer"], report.error["message"])
    return report


def _weights_lines(weights: tuple[str, str] | None) -> tuple[str, str]:
    """(header comment, __main__ lines) saying how to load downloaded weights."""
    if weights is None:
        return "", ""
    weights_id, file_name = _plain(weights[0]), _plain(weights[1])
    header = f"""#
# Weights: {weights_id}. Download them (GET /api/weights/{weights_id}/file) as
# {file_name}, a safetensors file keyed by these layer paths, and load them with
#     from safetensors.torch import load_file
#     model.load_state_dict(load_file({_str(file_name)}))
"""
    main = f"""
    weights = Path({_str(file_name)})  # GET /api/weights/{weights_id}/file
    if weights.is_file():
        from safetensors.torch import load_file

        model.load_state_dict(load_file(weights))
    else:
        print(f"{{weights}} not found: the network runs with random weights")"""
    return header, main


def to_pytorch_code(spec: S.NetworkSpec, *, weights: tuple[str, str] | None = None) -> str:
    """Readable, self-contained PyTorch source of the network; raises ShapeError.
    `weights` = (weights id, file name): the file says how to load those weights."""
    report = _checked_report(spec)
    writer = _Writer(report)
    body = writer.stack(spec.layers, "layers", 1)
    name = class_name(spec.name)
    c, h, w = report.input_shape
    used = [_helper_source(k) for k in ("merge", *HELPERS) if k in writer.used]
    helpers = "\n\n" + "\n\n\n".join(used) + "\n" if used else ""
    imports = "import torch\nfrom torch import nn"
    if used:  # the helper classes annotate with Literal
        imports = "from typing import Literal\n\n" + imports
    if weights is not None:
        imports = "from pathlib import Path\n" + ("" if used else "\n") + imports
    weights_header, weights_main = _weights_lines(weights)
    layers = ["self.layers = nn.Sequential("] if body else ["self.layers = nn.Sequential()"]
    if body:
        layers += body + [")"]
    init = "\n".join(INDENT * 2 + line for line in layers)
    out_shape = report.output_shape or []
    # A header of comments, not a docstring: the design's name is user text.
    return f"""# {name}: PyTorch source exported by cnnplay.
#
# Design: {_plain(spec.name)}
# Input:  {_shape(report.input_shape)}
# Output: {_shape(out_shape)}
# Parameters: {report.total_params:,} ({report.trainable_params:,} trainable)
#
# Module names are the layer paths of the design (layers.0, layers.4.body.1, ...), so a
# state_dict saved from cnnplay loads with model.load_state_dict(state_dict).
{weights_header}
{imports}
{helpers}

class {name}(nn.Module):
    def __init__(self) -> None:
        super().__init__()
{init}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, {c}, {h}, {w})
        return self.layers(x)


if __name__ == "__main__":
    model = {name}().eval(){weights_main}
    x = torch.randn(1, {c}, {h}, {w})
    with torch.no_grad():
        y = model(x)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"input {{tuple(x.shape)}} -> output {{tuple(y.shape)}}")
    print(f"{{n_params:,}} parameters")
"""


def to_onnx_bytes(
    spec: S.NetworkSpec,
    *,
    module: nn.Module | None = None,
    max_params: int | None = None,
    max_activation_bytes: int | None = None,
) -> bytes:
    """The network as an ONNX model (opset 17), with `module`'s weights (trained ones,
    say) or freshly initialised ones. Raises ShapeError, TooLarge, ExportError."""
    if module is None:
        module = build_module(
            spec, max_params=max_params, max_activation_bytes=max_activation_bytes
        )
    was_training = module.training
    module.eval()  # dropout off, batch norm on its running stats
    dummy = torch.zeros(1, *spec.input.shape)  # (1, C, H, W)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The tracer warns about Python-side shape checks (Recurrent's x.dim()) and
        # about LSTM with a dynamic batch; both are fine for these modules.
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                module,
                (dummy,),
                buffer,
                dynamo=False,
                opset_version=ONNX_OPSET,
                input_names=["input"],
                output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            )
        except Exception as exc:  # the exporter raises many types for unsupported ops
            # The exporter appends the whole traced graph; its first line is the reason.
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(f"ONNX cannot express this network: {reason}") from exc
        finally:
            module.train(was_training)
    return buffer.getvalue()
