"""How `cnnplay serve` bounds connections (issue 13): uvicorn's own options from Settings,
plus a header timeout that uvicorn does not have.

uvicorn (0.30 to 0.54 checked) offers `limit_concurrency` (connections or tasks past it
get a 503), `timeout_keep_alive` (an idle connection after a response is closed),
`h11_max_incomplete_event_size` (a request line and headers larger than it are a 400)
and `timeout_graceful_shutdown`; nothing bounds how long a request may take to send its
headers: a connection that sends half a request line and then nothing stays open for
ever, holding a file descriptor and a place under `limit_concurrency`. HeaderTimeout
closes it `header_timeout_s` after its first byte (or after it opened) with a 408.
It wraps the HTTP protocol class uvicorn would pick, at the protocol level, so it does
not depend on the ASGI app.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from server.config import Settings

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
)


def header_timeout(base: type[asyncio.Protocol], seconds: float) -> type[asyncio.Protocol]:
    """`base` (uvicorn's H11Protocol or HttpToolsProtocol) with a deadline on each
    request's headers: armed when a connection opens and when the first bytes of a next
    request arrive on a kept-alive one, cancelled once uvicorn has parsed the headers
    (it then has a new request cycle)."""

    class HeaderTimeout(base):  # type: ignore[valid-type, misc]
        _deadline: asyncio.TimerHandle | None = None
        _waiting_after: Any = None  # the cycle before the request being waited for

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            cycle = getattr(self, "cycle", None)
            if self._deadline is None and (cycle is None or cycle.response_complete):
                self._arm()  # a next request on a kept-alive connection
            super().data_received(data)
            if self._deadline is not None and self.cycle is not self._waiting_after:
                self._disarm()  # its headers are in

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._waiting_after = getattr(self, "cycle", None)
            self._deadline = asyncio.get_running_loop().call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                msg = f"the request headers did not arrive within {seconds:g} s\n".encode()
                self.transport.write(TIMED_OUT % (len(msg), msg))
                self.transport.close()

    HeaderTimeout.__name__ = f"HeaderTimeout{base.__name__}"
    return HeaderTimeout


def raise_open_files(wanted: int) -> int:
    """Lift the soft limit on open files towards `wanted` (at most the hard limit), so
    `max_connections` sockets fit; answers the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    """The server `cnnplay serve` runs: address and port, and every connection limit."""
    base = import_from_string(HTTP_PROTOCOLS["auto"])  # httptools when installed, else h11
    raise_open_files(settings.max_connections + 256)  # + the data files, SQLite, pipes
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=header_timeout(base, settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_s,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
