"""Where the training scripts of models/ write their weights and manifest (issue 18).

By default a retraining goes to the data directory (`Settings().data_dir / "trained"`,
~/.cnnplay/trained) or to `--out DIR`, so running a script never silently replaces the
files the package ships. `--ship` writes into models/weights/ itself: the maintainers'
way to update the shipped files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from server.config import Settings

SHIPPED = Path(__file__).resolve().parent / "weights"


def default_dir() -> Path:
    return Settings().data_dir / "trained"


def directory(out: Path | None = None, ship: bool = False) -> Path:
    """The folder to write into (created): SHIPPED with `ship`, else `out`, else the
    data directory's trained/."""
    if ship and out is not None:
        raise ValueError("give --out or --ship, not both")
    folder = SHIPPED if ship else out if out is not None else default_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out", type=Path, default=None, help="folder to write to (default: <data dir>/trained)"
    )
    where.add_argument(
        "--ship", action="store_true", help=f"replace the shipped files in {SHIPPED}"
    )


def chosen(args: argparse.Namespace) -> Path:
    """The folder named by add_arguments' flags."""
    return directory(args.out, args.ship)
