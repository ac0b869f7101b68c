"""The request guard: Host and Origin checks, and bounded request bodies.

A pure ASGI middleware, so bodies are counted while they stream (413 past the
limit) and nothing is buffered first. Foreign Origins may not change state or
open event streams; a Host that is not the server's own is refused (DNS
rebinding, as in Gradio CVE-2024-1727).

Issue 13: a request with no Origin is judged by its Referer (and a browser's
`Sec-Fetch-Site: cross-site`) the same way, and event streams are recognised by
their path, whatever the Accept header says. Security headers: server/api/headers.py.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.headers import FIXED, SecurityHeaders, policy
from server.config import Settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
WEIGHTS_UPLOAD = "/api/weights"  # POST: a .safetensors file, limited by max_weights_bytes
FORM_SLACK = 2 * 1024 * 1024  # the multipart form around the file (the spec, boundaries)
UPLOAD_TYPES = ("multipart/form-data", "application/zip", "application/octet-stream", "image/")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# event streams: GET /api/runs/{id}/events and any later .../events or .../stream route
STREAM_PATH = re.compile(r"^/api/(.+/)?(events|stream)$")


class _TooLarge(HTTPException):
    """Raised from receive() past the limit. An HTTPException, so FastAPI's body
    parser re-raises it as is (it turns any other error into a bare 400) and the
    app answers 413; the guard catches it itself for apps that do not."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _over(limit))


def _over(limit: int) -> str:
    return f"the request body is over the limit of {limit:,} bytes"


def _hostname(host: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'."""
    return urlsplit(f"//{host}").hostname or ""


def _foreign(headers: dict[str, str], host: str) -> str | None:
    """The foreign site a browser says the request comes from: its Origin, else (no
    Origin) its Referer, else a cross-site Sec-Fetch-Site; None for this server's own
    pages and for clients that send none of them (curl, scripts)."""
    origin = headers.get("origin")
    if origin:
        return origin if urlsplit(origin).netloc != host else None
    referer = headers.get("referer")
    if referer:
        return referer[:200] if urlsplit(referer).netloc != host else None
    if headers.get("sec-fetch-site") == "cross-site":
        return "another site (Sec-Fetch-Site: cross-site)"
    return None


class Guard:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hosts = LOCAL_HOSTS | {settings.host} | set(settings.allowed_hosts)
        # Exposed on purpose (--host other than loopback): students reach it by names the
        # server cannot know, and the sign-in cookie, not Host, guards the data (issue 14).
        self.exposed = settings.host not in LOCAL_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self.exposed and "*" not in self.hosts and _hostname(host) not in self.hosts:
            await _reply(
                send, 421, f"Host {host!r} is not this server's; see CNNPLAY_ALLOWED_HOSTS"
            )
            return
        streams = bool(STREAM_PATH.match(scope["path"])) or "text/event-stream" in headers.get(
            "accept", ""
        )
        guarded = scope["method"] not in SAFE_METHODS or streams
        foreign = _foreign(headers, host) if guarded else None
        if foreign:
            await _reply(send, 403, f"requests from {foreign} are not allowed")
            return
        kind = headers.get("content-type", "")
        limit = self._limit(scope["path"], kind)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _reply(send, 413, _over(limit))
            return
        await self._bounded(scope, receive, send, limit)

    def _limit(self, path: str, kind: str) -> int:
        """A JSON body, an upload, or a weights file (ResNet-50's is about 100 MB) with the
        form around it."""
        if not kind.startswith(UPLOAD_TYPES):
            return self.settings.max_body_bytes
        if path == WEIGHTS_UPLOAD:
            return max(self.settings.max_upload_bytes, self.settings.max_weights_bytes + FORM_SLACK)
        return self.settings.max_upload_bytes

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, _over(limit))


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *FIXED,
                (b"content-security-policy", policy("").encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(Guard, settings=settings)
    app.add_middleware(SecurityHeaders)  # outermost: on the guard's own answers too
