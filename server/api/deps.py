"""Annotated dependency aliases shared by the routers: what create_app and its lifespan
put on app.state (server/api/services.py makes the core services).

StoreDep is the store as the signed-in user sees it (issue 14): every query of it is
filtered by owner, so a router never checks ownership itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from server.api.auth import CurrentUser
from server.config import Settings
from server.net.core.feature_maps import FeatureMaps
from server.net.core.networks import Networks
from server.store import Store


def _app_state(name: str) -> Callable[[Request], Any]:
    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


def user_store(request: Request, user: CurrentUser) -> Store:
    """The app's store as `user` sees it (the teacher sees everything)."""
    return request.app.state.store.as_user(user.id, sees_all=user.is_owner)


SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
StoreDep = Annotated[Store, Depends(user_store)]


def _user_networks(request: Request, user: CurrentUser) -> Networks:
    from server.api.services import user_networks  # services imports the routers' modules

    return user_networks(request, user)


NetworksDep = Annotated[Networks, Depends(_user_networks)]
FeatureMapsDep = Annotated[FeatureMaps, Depends(_app_state("feature_maps"))]
