"""The app's core services, made once in the lifespan, and their errors as HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

import models
from server.api.shapes import checked_report
from server.api.weights import Library
from server.config import Settings
from server.net.core import init_store
from server.net.core.feature_maps import FeatureMaps
from server.net.core.networks import Network, NetworkError, NetworkNotFound, Networks
from server.net.core.spec import NetworkSpec
from server.net.weights.library import Entry
from server.store import Store, UserRow


def _lookup(library: Library) -> Callable[[str], Entry]:
    def entry(weights_id: str) -> Entry:
        try:
            return library.get(weights_id)
        except HTTPException as exc:  # the library's 404: the service says which field
            if exc.status_code == 404:
                raise LookupError(weights_id) from None
            raise

    return entry


def make_networks(settings: Settings, store: Store) -> Networks:
    """The network service: the zoo, the weights library with its runs, and the Settings
    limits checked before anything is built (a 422 / 413 naming the layer or limit)."""
    init_store.configure(settings.data_dir / "init", settings.init_store_bytes)  # issue 20
    return Networks(
        zoo=models.get,
        weights=_lookup(Library(settings, store)),
        check=lambda spec: checked_report(spec, settings),
        cap=settings.feature_cache_networks,
        max_bytes=settings.network_cache_bytes,
    )


def user_networks(request: Request, user: UserRow) -> Networks:
    """The network service finding weights in `user`'s view of the library (issue 14):
    another student's run or imported file is a 404 like an unknown id."""
    state = request.app.state
    store = state.store.as_user(user.id, sees_all=user.is_owner)
    return state.networks.only_weights(Library(state.settings, store).allows)


def make_feature_maps(settings: Settings) -> FeatureMaps:
    return FeatureMaps(settings.feature_cache_bytes)


def open_network(
    networks: Networks,
    *,
    zoo: str | None = None,
    spec: NetworkSpec | None = None,
    weights: str | None = None,
    where: str = "net",
) -> Network:
    """networks.open with its errors as a 404 (unknown name or id) or a 422, naming the
    request's field (`where`: the object that holds zoo, spec and weights)."""
    try:
        return networks.open(zoo=zoo, spec=spec, weights=weights)
    except NetworkError as exc:
        field = ".".join(part for part in (where, exc.field) if part)
        status = 404 if isinstance(exc, NetworkNotFound) else 422
        raise HTTPException(status, f"{field}: {exc.message}" if field else exc.message) from None
