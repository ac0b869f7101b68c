"""The `cnnplay` console script: serve the app, print a network's shapes table, export it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from server.net.core.spec import NetworkSpec


class SpecError(Exception):
    """A SPEC argument that is neither a readable NetworkSpec file nor a zoo name."""


def load_spec(arg: str) -> NetworkSpec:
    """A JSON file path, else a zoo name."""
    path = Path(arg)
    if path.is_file():
        try:
            return NetworkSpec.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise SpecError(f"{path} is not a valid NetworkSpec:\n{exc}") from None
    import models  # the zoo imports every architecture; only needed here

    if arg in models.ZOO:
        return models.get(arg)
    known = ", ".join(e.name for e in models.entries())
    raise SpecError(f"{arg!r} is neither a JSON file nor a zoo name (known: {known})")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.config import Settings
    from server.main import create_app

    overrides = {"host": args.host, "port": args.port}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


def _shapes(args: argparse.Namespace) -> int:
    from server.net.core.shapes import infer
    from server.net.core.summary_table import format_report

    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report = infer(spec)
    print(format_report(report, title=spec.name))
    if not report.valid:
        assert report.error is not None
        print(f"error: {report.error['message']}", file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from server.config import Settings
    from server.net.core import export
    from server.net.core.build import TooLarge
    from server.net.core.shapes import ShapeError

    settings = Settings()
    try:
        spec = load_spec(args.spec)
        if args.format == "pytorch":
            data = export.to_pytorch_code(spec).encode()
        else:
            data = export.to_onnx_bytes(
                spec,
                max_params=settings.max_params,
                max_activation_bytes=settings.max_activation_bytes,
            )
    except (SpecError, ShapeError, TooLarge, export.ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data):,} bytes, {args.format})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnplay", description="A visual CNN playground.")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: local only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data-dir", type=Path, default=None, help="default: ~/.cnnplay")
    serve.set_defaults(run=_serve)

    shapes = sub.add_parser("shapes", help="print every layer's output shape, params and MACs")
    shapes.add_argument("spec", help="a NetworkSpec JSON file or a zoo name (e.g. resnet50)")
    shapes.set_defaults(run=_shapes)

    exp = sub.add_parser("export", help="write the network as PyTorch source or ONNX")
    exp.add_argument("spec", help="a NetworkSpec JSON file or a zoo name")
    exp.add_argument("--format", choices=["pytorch", "onnx"], default="pytorch")
    exp.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    exp.set_defaults(run=_export)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
