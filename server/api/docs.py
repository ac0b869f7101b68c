"""The API docs pages (/docs, /redoc) from vendored copies, and the favicon (issue 18).

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so offline they are blank;
these load the pinned copies under frontend/vendor/ (served by the static mount) and
nothing from outside: no Google Fonts, no online validator badge.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)

FAVICON = "/favicon.svg"
SWAGGER_JS = "/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/vendor/swagger-ui/swagger-ui.css"
REDOC_JS = "/vendor/redoc/redoc.standalone.js"


def _openapi_url(request: Request) -> str:
    return request.scope.get("root_path", "") + (request.app.openapi_url or "/openapi.json")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title}: API (Swagger UI)",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=FAVICON,
        # null: no badge image fetched from validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title}: API (ReDoc)",
        redoc_js_url=REDOC_JS,
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (and the JSON answers)."""
    return RedirectResponse(FAVICON, status_code=308)
