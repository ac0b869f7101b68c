"""A ShapeReport as a text table, like torchinfo's summary (formatting only, no torch).

Computing per layer lives in shapes.py; this file only lays the rows out.
"""

from __future__ import annotations

from server.net.core.shapes import ShapeReport

HEADERS = ("Layer", "Type", "Output shape", "Params", "MACs")
INDENT = "  "  # per nesting level


def _shape(shape: list[int] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(x) for x in shape) + ("," if len(shape) == 1 else "") + ")"


def _rows(report: ShapeReport) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for layer in report.layers:
        path = INDENT * layer.depth + layer.path
        rows.append(
            (
                path,
                f"{layer.type} ({layer.variant})" if layer.variant else layer.type,
                _shape(layer.output_shape),
                f"{layer.params:,}" if layer.params else "--",
                f"{layer.macs:,}" if layer.macs else "--",
            )
        )
    return rows


def format_report(report: ShapeReport, title: str | None = None) -> str:
    """Per-layer rows indented by depth, then totals; an error line when invalid."""
    rows = [HEADERS, *_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    right = {3, 4}  # numbers align right

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        ]
        return "  ".join(cells).rstrip()

    rule_width = sum(widths) + 2 * (len(widths) - 1)
    out: list[str] = []
    if title:
        out.append(title)
    out += ["=" * rule_width, line(HEADERS), "=" * rule_width]
    out += [line(row) for row in rows[1:]]
    out.append("=" * rule_width)
    out.append(f"Input shape: {_shape(report.input_shape)}")
    out.append(f"Output shape: {_shape(report.output_shape)}")
    out.append(f"Total params: {report.total_params:,}")
    out.append(f"Trainable params: {report.trainable_params:,}")
    out.append(f"Non-trainable params: {report.total_params - report.trainable_params:,}")
    out.append(f"MACs per sample: {report.macs:,}")
    if report.error:
        out.append(f"Error at {report.error['layer']}: {report.error['message']}")
    out.append("=" * rule_width)
    return "\n".join(out)
