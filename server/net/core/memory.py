"""Give freed memory back to the system (issue 13).

glibc keeps freed blocks under its mmap threshold (which grows to 32 MB) in its heaps,
so Pillow's 16 MB image blocks stay in the process after the image is gone: forty
6000x6000 uploads left 550 MB resident with a 256 MB store, 270 MB after a trim.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def release() -> None:
    """malloc_trim(0) where the C library has it (glibc); nothing elsewhere."""
    trim = _trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]
