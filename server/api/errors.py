"""Error handlers: every client mistake is a 4xx a person can act on, in one shape.

Every 4xx the app answers is an ErrorBody (issue 13: validation errors had a list in
`detail`, the app's own a string, and the OpenAPI document said a list):

    {"detail": "layers.0.out_features: Input should be greater than or equal to 1",
     "errors": [{"loc": [...], "field": "layers.0.out_features", "msg": "...",
                 "type": "greater_than_equal"}]}

`detail` is always a sentence naming the field or limit; `errors` lists each field's
problem when the request did not validate (absent otherwise). The OpenAPI document says
so for every operation, and an /api path with a wrong method is a 405 with `Allow`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from server.net.core.spec import ALL_TYPES

# The discriminator tag pydantic puts in a location (`layers.0.conv2d.out_channels`):
# it names the union member, not a JSON key, so the field path leaves it out, as it
# does a union member's type (`input.list[list[float]].0.0`).
_TAGS = {model.model_fields["type"].default for model in ALL_TYPES}
_UNION_MEMBER = re.compile(r"^[a-z]+\[.*\]$|^(int|float|str|bool|dict|list)$")
MAX_LOC = 12  # parts of a location shown; a 5,000-deep spec has a 15,000-part one
MAX_ERRORS = 20  # problems listed in one answer
SUMMARY = 3  # problems `detail` spells out


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="where, as pydantic says it (body, field, index)")
    field: str = Field(
        description="the field's dotted path in the request, e.g. layers.3.kernel_size"
    )
    msg: str
    type: str = Field(description="pydantic's error type, e.g. missing, greater_than_equal")


class ErrorBody(BaseModel):
    """The body of every 4xx."""

    detail: str = Field(description="what is wrong, naming the field, layer or limit")
    errors: list[ErrorItem] | None = Field(
        None, description="each field's problem, when the request did not validate"
    )


def _where(loc: tuple | list) -> str:
    parts = [
        str(p)
        for p in loc
        if p != "body" and not (isinstance(p, str) and (p in _TAGS or _UNION_MEMBER.match(p)))
    ]
    if len(parts) > MAX_LOC:
        parts = [*parts[:MAX_LOC], "..."]
    return ".".join(parts) or "body"


def body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail} if errors is None else {"detail": detail, "errors": errors}


def summary(errors: list[dict[str, Any]]) -> str:
    """'field: msg; field: msg (and 4 more)' from ErrorItem dicts."""
    text = "; ".join(f"{e.get('field', 'body')}: {e.get('msg', '')}" for e in errors[:SUMMARY])
    more = len(errors) - SUMMARY
    return text + (f" (and {more} more)" if more > 0 else "")


def _too_deep(request: Request) -> JSONResponse:
    limit = request.app.state.settings.max_depth
    return JSONResponse(
        body(
            f"the request is nested too deeply; blocks may nest at most {limit} "
            "deep (CNNPLAY_MAX_DEPTH)"
        ),
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
    items = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in list(e["loc"])[: MAX_LOC + 1]],
            "field": _where(e["loc"]),
            "msg": str(e["msg"]),
            "type": str(e["type"]),
        }
        for e in errors[:MAX_ERRORS]
    ]
    return JSONResponse(body(summary(items), items), status_code=422)


async def _recursion(request: Request, exc: RecursionError) -> JSONResponse:
    return _too_deep(request)


def _items(detail: list) -> list[dict[str, Any]]:
    """A list an HTTPException was raised with, as ErrorItems."""
    out = []
    for d in detail[:MAX_ERRORS]:
        d = d if isinstance(d, dict) else {"msg": str(d)}
        field = str(d.get("field") or "body")
        loc = d.get("loc") or field.split(".")
        out.append(
            {
                "loc": [p if isinstance(p, int) else str(p) for p in loc],
                "field": field,
                "msg": str(d.get("msg", "")),
                "type": str(d.get("type", "value_error")),
            }
        )
    return out


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # FastAPI answers a body its JSON parser gave up on with a bare 400; when the
    # parser ran out of stack the body was nested too deeply: say so.
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
        return _too_deep(request)
    detail = exc.detail
    if isinstance(detail, list):
        items = _items(detail)
        content = body(summary(items), items)
    elif isinstance(detail, str):
        content = body(detail)
    else:
        content = body(json.dumps(detail, default=str))
    return JSONResponse(content, status_code=exc.status_code, headers=exc.headers)


# --- 405 for /api paths whose method is wrong ------------------------------------------

CATCH_ALL = "/api/{rest:path}"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(app: FastAPI, scope: dict[str, Any]) -> list[str]:
    """The methods the app's routes (not this catch-all, not the static mount) take at
    this path: each method is tried against every route."""
    routes = [
        r
        for r in app.router.routes
        if not isinstance(r, Mount) and getattr(r, "path", None) != CATCH_ALL
    ]
    return [
        method
        for method in METHODS
        if any(r.matches({**scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def _no_route(request: Request, rest: str) -> JSONResponse:
    """Every method at every /api path no route took: a 405 naming the methods that
    path takes, else a 404 (the static mount used to catch these: GET on a POST route
    was a 404 with `Allow: GET, HEAD`)."""
    allowed = allowed_methods(request.app, request.scope)
    if allowed:
        return JSONResponse(
            body(
                f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
            ),
            status_code=405,
            headers={"Allow": ", ".join(allowed)},
        )
    return JSONResponse(body(f"no API route at {request.url.path[:200]}"), status_code=404)


# --- the OpenAPI document -------------------------------------------------------------

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
ERROR_RESPONSE = {
    "description": "a client error: `detail` names the field, layer or limit",
    "content": {"application/json": {"schema": ERROR_REF}},
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation's 4xx answers are ErrorBody: its 422 (FastAPI says
    HTTPValidationError) and a 4XX range for the rest (404, 409, 413, the guard's 403/421)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    defs = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(defs.pop("$defs", {}))
    components["ErrorBody"] = defs
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if "422" in responses:
                responses["422"] = {**ERROR_RESPONSE, "description": "the request is not valid"}
            responses.setdefault("4XX", ERROR_RESPONSE)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(RecursionError, _recursion)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    # after every router: a full match for any /api path and method no route took
    app.add_api_route("/api/{rest:path}", _no_route, methods=METHODS, include_in_schema=False)
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(plain())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
