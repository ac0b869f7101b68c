"""The `cnnplay` console script: serve the app, list the zoo, print a network's shapes
table, export it.

Exit status: 0 done; 1 the network is wrong (not a NetworkSpec, its shapes do not work
out, too large to export); 2 the command line is wrong (a missing file or unknown zoo
name, an output path that cannot be written, a bad port). Every error is one line on
stderr, never a traceback (issue 18).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from server.config import Settings
from server.net.core.spec import NetworkSpec

NETWORK_WRONG = 1
USAGE_WRONG = 2


class CliError(Exception):
    """One line for stderr, and the exit status it ends with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with where to look) instead of the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_WRONG, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    try:
        return metadata.version("cnnplay")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def load_spec(arg: str) -> NetworkSpec:
    """A JSON file path, else a zoo name (case-insensitive)."""
    path = Path(arg)
    if path.is_dir():
        raise CliError(f"{path} is a directory, not a NetworkSpec JSON file", USAGE_WRONG)
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}", USAGE_WRONG) from None
        try:
            return NetworkSpec.model_validate_json(data)
        except ValidationError as exc:
            raise CliError(f"{path} is not a valid NetworkSpec:\n{exc}", NETWORK_WRONG) from None
    if path.suffix or len(path.parts) > 1:  # looks like a path, not a zoo name
        raise CliError(f"no such file: {path}", USAGE_WRONG)
    import models  # the zoo imports every architecture; only needed here

    if arg in models.ZOO:
        return models.get(arg)
    known = ", ".join(e.name for e in models.entries())
    raise CliError(f"{arg!r} is neither a JSON file nor a zoo name (known: {known})", USAGE_WRONG)


def writable_output(path: Path) -> Path:
    """`path` if a file can be written there; checked before any work is done."""
    if path.is_dir():
        raise CliError(
            f"{path} is a directory; give a file name (e.g. {path / 'net.py'})", USAGE_WRONG
        )
    if not path.parent.is_dir():
        raise CliError(
            f"cannot write {path}: the directory {path.parent} does not exist", USAGE_WRONG
        )
    return path


def port(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return value


def serve_settings(args: argparse.Namespace) -> Settings:
    """Settings from CNNPLAY_* with the flags that were given on top; a data directory
    that cannot be used is refused here, before the server starts."""
    given = {"host": args.host, "port": args.port, "data_dir": args.data_dir}
    given |= {"executor": args.executor, "ray_address": args.ray_address}  # issue 15
    try:
        settings = Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:  # a bad CNNPLAY_* environment variable
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CliError(f"setting {field}: {first['msg']}", USAGE_WRONG) from None
    if not 1 <= settings.port <= 65535:
        raise CliError(f"port {settings.port} is not a port (1 to 65535)", USAGE_WRONG)
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise CliError(f"the data directory {settings.data_dir} is a file", USAGE_WRONG)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # permissions
        raise CliError(
            f"cannot use {settings.data_dir} as the data directory: {exc.strerror}", USAGE_WRONG
        ) from None
    return settings


def sign_in_url(settings: Settings) -> str:
    """The address that signs the teacher in: this machine, the port, the token."""
    return f"http://127.0.0.1:{settings.port}/?token={settings.token}"


def with_token(settings: Settings) -> Settings:
    """CNNPLAY_TOKEN if set, else a new random token for this run of the server."""
    import secrets

    return settings.model_copy(update={"token": settings.token or secrets.token_urlsafe(32)})


def _open_when_up(url: str, port: int, timeout_s: float = 30.0) -> None:
    """Open the browser once the server accepts connections (in a daemon thread)."""
    import socket
    import threading
    import time
    import webbrowser

    def wait_and_open() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    webbrowser.open(url)
                    return
            except OSError:
                time.sleep(0.2)

    threading.Thread(target=wait_and_open, daemon=True).start()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.main import create_app
    from server.serve_limits import uvicorn_config

    settings = with_token(serve_settings(args))
    url = sign_in_url(settings)
    print(f"cnnplay: open {url}", flush=True)
    print("  (the token signs you in as the teacher; keep it to yourself)", flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"  students: http://<this machine's address>:{settings.port}/join "
            "with the class code made in the Class panel",
            flush=True,
        )
    if not args.no_browser:
        _open_when_up(url, settings.port)
    uvicorn.Server(uvicorn_config(create_app(settings), settings)).run()
    return 0


def _zoo(args: argparse.Namespace) -> int:
    import models

    header = ("name", "title", "params", "input (CxHxW)")
    rows = [header]
    for r in (entry.summary() for entry in models.entries()):
        shape = "x".join(map(str, r["input_shape"]))
        rows.append((r["name"], r["title"], f"{r['params']:,}", shape))
    name, title, params, _ = (max(len(row[i]) for row in rows) for i in range(4))
    rule = ("-" * name, "-" * title, "-" * params, "-" * len(header[3]))
    for a, b, c, d in [header, rule, *rows[1:]]:
        print(f"{a:<{name}}  {b:<{title}}  {c:>{params}}  {d}")
    return 0


def _shapes(args: argparse.Namespace) -> int:
    from server.net.core.shapes import infer
    from server.net.core.summary_table import format_report

    spec = load_spec(args.spec)
    report = infer(spec)
    print(format_report(report, title=spec.name))
    if not report.valid:
        assert report.error is not None
        raise CliError(report.error["message"], NETWORK_WRONG)
    return 0


def _export(args: argparse.Namespace) -> int:
    from server.net.core import export
    from server.net.core.build import TooLarge
    from server.net.core.shapes import ShapeError

    output = writable_output(args.output)
    spec = load_spec(args.spec)
    settings = Settings()
    try:
        if args.format == "pytorch":
            data = export.to_pytorch_code(spec).encode()
        else:
            data = export.to_onnx_bytes(
                spec,
                max_params=settings.max_params,
                max_activation_bytes=settings.max_activation_bytes,
            )
    except (ShapeError, TooLarge, export.ExportError) as exc:
        raise CliError(str(exc), NETWORK_WRONG) from None
    try:
        output.write_bytes(data)
    except OSError as exc:  # permissions, a full disk
        raise CliError(f"cannot write {output}: {exc.strerror}", USAGE_WRONG) from None
    print(f"wrote {output} ({len(data):,} bytes, {args.format})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="cnnplay", description="A visual CNN playground.")
    p.add_argument("--version", action="version", version=f"cnnplay {version()}")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app")
    # Unset flags fall back to CNNPLAY_HOST / CNNPLAY_PORT / CNNPLAY_DATA_DIR, then to these.
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1, local only)")
    serve.add_argument("--port", type=port, help="default: 8000")
    serve.add_argument("--data-dir", type=Path, help="default: ~/.cnnplay")
    serve.add_argument(
        "--no-browser", action="store_true", help="do not open the sign-in address in a browser"
    )
    # issue 15: CNNPLAY_EXECUTOR / CNNPLAY_RAY_ADDRESS when not given
    serve.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="where runs train: local worker processes (default) or a Ray cluster",
    )
    serve.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="the Ray cluster to join (e.g. 10.0.0.5:6379); without it --executor ray "
        "starts a Ray instance on this machine",
    )
    serve.set_defaults(run=_serve)

    zoo = sub.add_parser("zoo", help="list the zoo's networks (names are case-insensitive)")
    zoo.set_defaults(run=_zoo)

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
    try:
        return args.run(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # `cnnplay zoo | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
