"""Annotated dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.config import Settings
from server.net.core.feature_maps import FeatureMaps
from server.net.core.networks import Networks
from server.store import Store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def get_networks(request: Request) -> Networks:
    """The app's network service (server/api/services.py makes it in the lifespan)."""
    return request.app.state.networks


NetworksDep = Annotated[Networks, Depends(get_networks)]


def get_feature_maps(request: Request) -> FeatureMaps:
    return request.app.state.feature_maps


FeatureMapsDep = Annotated[FeatureMaps, Depends(get_feature_maps)]
