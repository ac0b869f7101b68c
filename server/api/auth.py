"""Who is asking (issue 14): the one auth dependency, CurrentUser, and the exchange of
`?token=` on a page URL for the sign-in cookie.

`require_user` is applied where the routers are included (server/main.py), so every
/api route but the public ones (health, join) needs a token: the HttpOnly cookie or
`Authorization: Bearer <token>`. Routers that care whose objects they touch take
`CurrentUser` (the same dependency, resolved once per request) and hand the user to
the store (`Store.as_user`), which filters every query by owner.

The cookie carries the token itself: HttpOnly, so page scripts never read it,
SameSite=Strict, so no other site's page makes the browser send it. Removing a user
deletes their token's hash, so their cookie stops working at once.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, HTTPException, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.auth import tokens
from server.auth.backoff import Backoff
from server.config import Settings
from server.store import Store, UserRow

COOKIE = "cnnplay_token"
HOW_TO_SIGN_IN = (
    "sign in: open the address `cnnplay serve` printed (http://HOST:PORT/?token=...), "
    "paste that token on the page, join with the teacher's class code at /join, or send "
    "the header Authorization: Bearer <token>"
)


CACHED_USERS = 1024  # signed-in users remembered by token hash (no SQLite read per request)


class Auth:
    """The app's sign-in state: the teacher's token, the failures being slowed down, and
    the users recently signed in (by token hash; `forget_users` when one is removed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token = settings.token or tokens.new_token()
        self.backoff = Backoff(max_clients=settings.max_auth_clients)
        self._users: dict[str, UserRow] = {}

    def user(self, store: Store, token: str) -> UserRow | None:
        """The user a token signs in as, or None."""
        if not token or len(token) > tokens.MAX_TOKEN_CHARS:
            return None
        key = "owner" if tokens.same_secret(token, self.token) else tokens.hash_token(token)
        user = self._users.get(key)
        if user is None:
            user = store.owner() if key == "owner" else store.user_by_token_hash(key)
            if user is not None:
                if len(self._users) >= CACHED_USERS:
                    self._users.clear()
                self._users[key] = user
        return user

    def forget_users(self) -> None:
        """After a user is removed: their token must stop working at once."""
        self._users.clear()

    async def check(self, request: Request, token: str) -> UserRow | None:
        """`user`, with a failure counted against the client and slowed down."""
        client = request.client.host if request.client else "?"
        user = self.user(request.app.state.store, token)
        if user is None:
            await asyncio.sleep(self.backoff.failed(client))
        else:
            self.backoff.succeeded(client)
        return user


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


async def require_user(request: Request) -> UserRow:
    """401 without a valid token; the signed-in user otherwise."""
    token = presented_token(request)
    if token is None:
        raise HTTPException(401, HOW_TO_SIGN_IN, headers={"WWW-Authenticate": "Bearer"})
    user = await request.app.state.auth.check(request, token)
    if user is None:
        raise HTTPException(
            401,
            f"that token is not valid here (a new `cnnplay serve` makes a new one); "
            f"{HOW_TO_SIGN_IN}",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user  # for code that has the request but no dependency of its own
    return user


CurrentUser = Annotated[UserRow, Depends(require_user)]


def require_owner(user: CurrentUser) -> UserRow:
    if not user.is_owner:
        raise HTTPException(403, "only the teacher (the serve token) can do this")
    return user


OwnerUser = Annotated[UserRow, Depends(require_owner)]


def cookie_header(settings: Settings, token: str, secure: bool) -> str:
    age = settings.session_days * 86_400
    flags = "; Secure" if secure else ""
    return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={age}{flags}"


def set_cookie(response: Response, request: Request, token: str) -> None:
    secure = request.url.scheme == "https"
    response.headers.append("set-cookie", cookie_header(request.app.state.settings, token, secure))


def clear_cookie(response: Response) -> None:
    response.headers.append(
        "set-cookie", f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    )


class TokenExchange:
    """GET of a page (not /api) with `?token=`: a 303 to the same URL without the token,
    setting the cookie when the token is valid (an invalid one is slowed down and the
    page then asks for a token)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith("/api/")
            or "token=" not in query
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        pairs = parse_qsl(query, keep_blank_values=True)
        token = next((v for k, v in pairs if k == "token"), "")
        rest = urlencode([(k, v) for k, v in pairs if k != "token"])
        location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        response = Response(status_code=303, headers={"Location": location})
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        app = scope["app"]
        user = await app.state.auth.check(request, token)
        if user is not None:
            secure = scope.get("scheme") == "https"
            response.headers.append("set-cookie", cookie_header(app.state.settings, token, secure))
        await response(scope, receive, send)
