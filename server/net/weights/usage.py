"""The weights library's disk use, bounded by Settings.max_library_bytes (issue 17).

Counted: every file under <data dir>/weights (imported and downloaded entries, their JSON)
and under <data dir>/pretrained (ImageNet downloads in flight: .part and .pth files).
Training runs keep their weights with the run (<data dir>/runs) and are bounded there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LIMIT_NAME = "CNNPLAY_MAX_LIBRARY_BYTES"


class LibraryFull(RuntimeError):
    """Adding a file would take the library past its disk bound; the message says by how much."""


@dataclass(frozen=True)
class Usage:
    bytes: int
    files: int  # weight files (.safetensors) in the library

    def public(self, limit: int) -> dict[str, int]:
        return {"bytes": self.bytes, "limit": limit, "files": self.files}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def usage(data_dir: Path) -> Usage:
    library = _files(Path(data_dir) / "weights")
    in_flight = _files(Path(data_dir) / "pretrained")
    return Usage(
        bytes=sum(p.stat().st_size for p in library + in_flight),
        files=sum(1 for p in library if p.suffix == ".safetensors"),
    )


def check_room(used: int, adding: int, limit: int, what: str) -> None:
    """LibraryFull unless `used` + `adding` bytes stay within `limit`."""
    if used + adding > limit:
        raise LibraryFull(
            f"{what} needs {adding:,} bytes; the weights library holds {used:,} of its "
            f"{limit:,} ({LIMIT_NAME}); delete some weights first"
        )
