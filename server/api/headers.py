"""Security headers on every response (issue 13): a Content-Security-Policy, nosniff and
frame denial.

The policy allows nothing from outside the server and no framing. Inline scripts are
allowed only by the sha256 of their own text: an HTML answer (the app's index.html with
its import map, the vendored Swagger UI page with its start-up script) is held until
whole, its inline scripts hashed, and the hashes put in its policy; nothing else is
buffered. Style attributes are allowed (the views set widths and custom properties
through them); style elements only from files, except on the docs pages, whose ReDoc
writes its styles into <style> elements.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIXED = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
DOCS_PATHS = ("/docs", "/redoc")
# <script ...>text</script> without a src: what an inline-script hash covers
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
MAX_HTML = 1 << 20  # HTML bigger than this is passed on without inline hashes
FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def script_hashes(html: bytes) -> list[str]:
    """'sha256-...' of each inline script's exact text."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in INLINE_SCRIPT.finditer(html)
    ]


def _page_hashes() -> list[str]:
    """The inline scripts of the app's own pages (index.html's import map), allowed on
    every answer: a 304 for a page carries no body to hash, and the browser then applies
    the 304's policy to the page it kept."""
    found: list[str] = []
    for page in sorted(FRONTEND.glob("**/*.html")):
        if "vendor" not in page.relative_to(FRONTEND).parts:
            found += [h for h in script_hashes(page.read_bytes()) if h not in found]
    return found


PAGE_HASHES = _page_hashes() if FRONTEND.is_dir() else []


def policy(path: str, hashes: Sequence[str] = ()) -> str:
    docs = path in DOCS_PATHS
    hashes = list(dict.fromkeys([*hashes, *PAGE_HASHES]))
    styles = (
        "style-src 'self' 'unsafe-inline'"
        if docs
        else ("style-src 'self'; style-src-attr 'unsafe-inline'")
    )
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *hashes]),
            styles,
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _with(headers: list[tuple[bytes, bytes]], csp: str) -> list[tuple[bytes, bytes]]:
    have = {k.lower() for k, _ in headers}
    extra = [(k, v) for k, v in FIXED if k not in have]
    if b"content-security-policy" not in have:
        extra.append((b"content-security-policy", csp.encode()))
    return [*headers, *extra]


def _is_html(message: Message) -> bool:
    kind = dict(message.get("headers", [])).get(b"content-type", b"")
    return kind.startswith(b"text/html")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        held: Message | None = None
        parts: list[bytes] = []
        size = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal held, size
            if message["type"] == "http.response.start":
                if _is_html(message) and scope["method"] != "HEAD":
                    held = message  # sent with the body, once its scripts are hashed
                    return
                await send({**message, "headers": _with(list(message["headers"]), policy(path))})
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if message.get("more_body", False) and size <= MAX_HTML:
                return
            html = b"".join(parts)
            hashes = script_hashes(html) if size <= MAX_HTML else []
            start, held = held, None
            headers = _with(list(start["headers"]), policy(path, hashes))
            await send({**start, "headers": headers})
            await send({**message, "body": html})

        await self.app(scope, receive, send_with_headers)
