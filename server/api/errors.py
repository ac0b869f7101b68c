"""Error handlers: every client mistake is a 4xx a person can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The input is left out: it may be a 10,000-layer spec.
    detail = [
        {"loc": list(e["loc"]), "field": _where(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in exc.errors()[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _recursion(request: Request, exc: RecursionError) -> JSONResponse:
    return JSONResponse({"detail": "the request is nested too deeply"}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(RecursionError, _recursion)  # type: ignore[arg-type]
