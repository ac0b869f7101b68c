"""A class of users (issue 14): who am I, signing out, the class code, joining, and the
teacher's list of students with their usage.

`public` holds POST /api/join (no token yet: the class code is what lets one in);
`router` is behind the auth dependency like every other router.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from server.api import auth
from server.api.deps import SettingsDep
from server.auth import tokens
from server.config import Settings
from server.net.data import uploaded
from server.net.weights import library as lib
from server.store import NotFound, Store, StoreFull, UserRow

router = APIRouter(tags=["users"])
public = APIRouter(tags=["users"])


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40, description="a display name")


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=tokens.MAX_TOKEN_CHARS)


class Join(NewUser):
    code: str = Field(min_length=1, max_length=40, description="the teacher's class code")


def _user_json(user: UserRow) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": user.role}


def _clean_name(name: str) -> str:
    clean = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    if not clean:
        raise HTTPException(422, "name: give a display name (1 to 40 characters)")
    return clean


def _new_student(request: Request, name: str) -> tuple[UserRow, str]:
    settings = request.app.state.settings
    store: Store = request.app.state.store
    token = tokens.new_token()
    try:
        user = store.create_user(_clean_name(name), tokens.hash_token(token), settings.max_users)
    except StoreFull as exc:
        raise HTTPException(
            409, f"the class is full: {exc.limit:,} students (CNNPLAY_MAX_USERS)"
        ) from None
    return user, token


@router.get("/me")
def me(user: auth.CurrentUser) -> dict[str, Any]:
    """The signed-in user: {id, name, role: owner|student}."""
    return _user_json(user)


@router.post("/signout", status_code=204)
def sign_out(user: auth.CurrentUser) -> Response:
    """Forget the sign-in cookie in this browser (the token itself stays valid)."""
    response = Response(status_code=204)
    auth.clear_cookie(response)
    return response


@router.get("/class-code")
def get_class_code(request: Request, owner: auth.OwnerUser) -> dict[str, str | None]:
    """The open class code, or null when nobody can join."""
    return {"code": request.app.state.store.class_code()}


@router.post("/class-code", status_code=201)
def new_class_code(request: Request, owner: auth.OwnerUser) -> dict[str, str]:
    """Open the class with a new code (an older one stops working)."""
    code = tokens.new_class_code()
    request.app.state.store.set_class_code(code)
    return {"code": code}


@router.delete("/class-code", status_code=204)
def close_class(request: Request, owner: auth.OwnerUser) -> Response:
    """Nobody can join until a new code is made; students who joined stay."""
    request.app.state.store.set_class_code(None)
    return Response(status_code=204)


@public.post("/signin")
async def sign_in(body: SignIn, request: Request) -> Response:
    """A pasted token -> the sign-in cookie and {id, name, role}; 401 (slowed down after a
    few tries) when it is no valid token."""
    user = await request.app.state.auth.check(request, body.token.strip())
    if user is None:
        raise HTTPException(
            401, "token: that is not a valid token here (a new `cnnplay serve` makes a new one)"
        )
    response = JSONResponse(_user_json(user))
    auth.set_cookie(response, request, body.token.strip())
    return response


@public.post("/join", status_code=201)
async def join(body: Join, request: Request) -> Response:
    """Class code + display name -> a student account, its token and the sign-in cookie:
    {"user": {id, name, role}, "token"}. Keep the token to sign in from elsewhere."""
    store: Store = request.app.state.store
    code = store.class_code()
    given = tokens.normal_code(body.code)
    if code is None or not tokens.same_secret(given, code):
        client = request.client.host if request.client else "?"
        await asyncio.sleep(request.app.state.auth.backoff.failed(client))
        raise HTTPException(
            403, "code: that is not the open class code; ask the teacher for the code on screen"
        )
    user, token = _new_student(request, body.name)
    response = JSONResponse({"user": _user_json(user), "token": token}, status_code=201)
    auth.set_cookie(response, request, token)
    return response


@router.get("/users")
def list_users(request: Request, owner: auth.OwnerUser) -> list[dict[str, Any]]:
    """Everyone with their usage: designs, runs, active (queued + running) runs and the
    bytes they store, beside the per-user limits."""
    store: Store = request.app.state.store
    settings = request.app.state.settings
    out = []
    for user in store.list_users():
        use = store.usage(user.id)
        out.append(
            {
                **_user_json(user),
                "created_at": user.created_at,
                "networks": use.networks,
                "runs": use.runs,
                "active_runs": use.active_runs,
                "stored_bytes": use.stored_bytes,
            }
        )
    return [{**u, "limits": _limits(settings)} if u["role"] != "owner" else u for u in out]


def _limits(settings: Settings) -> dict[str, int]:
    return {
        "jobs": settings.max_user_jobs,
        "networks": settings.max_user_networks,
        "stored_bytes": settings.max_user_bytes,
    }


@router.post("/users", status_code=201)
def create_user(body: NewUser, request: Request, owner: auth.OwnerUser) -> dict[str, str]:
    """A student account made by the teacher: {id, name, token} (hand the token over)."""
    user, token = _new_student(request, body.name)
    return {"id": user.id, "name": user.name, "token": token}


@router.delete("/users/{user_id}", status_code=204)
def delete_user(
    user_id: str, request: Request, owner: auth.OwnerUser, settings: SettingsDep
) -> Response:
    """Remove a student: their runs are cancelled, their designs, runs and files deleted."""
    store: Store = request.app.state.store
    runner = request.app.state.runner
    mine = store.as_user(user_id)
    try:
        store.get_user(user_id)
    except NotFound:
        raise HTTPException(404, f"no user with id {user_id[:64]!r}") from None
    if user_id == owner.id:
        raise HTTPException(409, "the teacher's account cannot be removed")
    runs = [row for row in mine.list_runs() if row.owner_id == user_id]
    for row in runs:
        if row.status in ("queued", "running"):
            runner.cancel(row.id)
    try:
        files = store.delete_user(user_id)
    except NotFound:
        raise HTTPException(404, f"no user with id {user_id[:64]!r}") from None
    request.app.state.auth.forget_users()
    for row in runs:  # a cancelled worker may still be writing its file: best effort
        if row.weights_path:
            Path(row.weights_path).unlink(missing_ok=True)
    for kind, file_id in files:
        _delete_file(settings.data_dir, kind, file_id)
    return Response(status_code=204)


def _delete_file(data_dir: Path, kind: str, file_id: str) -> None:
    try:
        if kind == "weights":
            lib.delete_upload(data_dir, file_id)
        elif kind == "dataset":
            uploaded.delete(data_dir, file_id)
    except (lib.NotFound, uploaded.NotFound):
        pass  # already gone
