"""Error handlers: every client mistake is a 4xx a person can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.net.core.spec import ALL_TYPES

# The discriminator tag pydantic puts in a location (`layers.0.conv2d.out_channels`):
# it names the union member, not a JSON key, so the field path leaves it out.
_TAGS = {model.model_fields["type"].default for model in ALL_TYPES}
MAX_LOC = 12  # parts of a location shown; a 5,000-deep spec has a 15,000-part one


def _where(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p != "body" and not (isinstance(p, str) and p in _TAGS)]
    if len(parts) > MAX_LOC:
        parts = [*parts[:MAX_LOC], "..."]
    return ".".join(parts) or "body"


def _too_deep(request: Request) -> JSONResponse:
    limit = request.app.state.settings.max_depth
    return JSONResponse(
        {
            "detail": f"the request is nested too deeply; blocks may nest at most {limit} "
            "deep (CNNPLAY_MAX_DEPTH)"
        },
        status_code=422,
    )


def _recursion_error(error: dict) -> bool:
    """pydantic's recursion_loop and recursion_depth_exceeded, and its JSON parser's
    "recursion limit exceeded" (server/api/shapes.py parses with it)."""
    return "recursion" in error["type"] or (
        error["type"] == "json_invalid" and "recursion limit" in str(error.get("msg", ""))
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(_recursion_error(e) for e in errors):
        return _too_deep(request)
    # The input is left out: it may be a 10,000-layer spec.
    detail = [
        {
            "loc": list(e["loc"])[: MAX_LOC + 1],
            "field": _where(e["loc"]),
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _recursion(request: Request, exc: RecursionError) -> JSONResponse:
    return _too_deep(request)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # FastAPI answers a body its JSON parser gave up on with a bare 400; when the
    # parser ran out of stack the body was nested too deeply: say so.
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
        return _too_deep(request)
    return await http_exception_handler(request, exc)  # type: ignore[return-value]


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(RecursionError, _recursion)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
