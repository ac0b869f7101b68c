"""GET /api/layers: the JSON Schema of every layer type, for the browser's forms."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from server.net.core.spec import ALL_TYPES, NetworkSpec

router = APIRouter(tags=["layers"])


@cache
def layer_schemas() -> dict[str, Any]:
    full = NetworkSpec.model_json_schema()
    # Each type's definition as it stands in the NetworkSpec schema; block fields
    # refer to the union of all layers through "$ref" into the network's "$defs".
    types = {
        model.model_fields["type"].default: full["$defs"][model.__name__] for model in ALL_TYPES
    }
    return {"types": types, "network": full}


@router.get("/layers")
def layers() -> dict[str, Any]:
    """Each layer type's schema (title, category, description, fields with defaults
    and bounds), and the NetworkSpec schema as a whole."""
    return layer_schemas()
