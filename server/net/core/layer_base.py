"""What every layer spec shares: the schema's sanity bounds, the field types of sizes,
and the base model with its palette metadata (title, category, description).

Shapes are per sample (no batch axis): images are (C, H, W), feature vectors (F,),
sequences (T, F). server/net/core/spec.py gathers every layer type into NetworkSpec.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

# Sanity bounds of the schema (not resource limits: those live in Settings).
# They keep every number a spec can hold far from overflow and refuse
# `out_channels=10**9` with a message naming the field.
MAX_SIZE = 1 << 16  # a height, width, kernel, stride, padding or dilation
MAX_UNITS = 1 << 16  # channels, features, hidden units

Size = Annotated[StrictInt, Field(ge=1, le=MAX_SIZE)]
NonNeg = Annotated[StrictInt, Field(ge=0, le=MAX_SIZE)]
Units = Annotated[StrictInt, Field(ge=1, le=MAX_UNITS)]
Prob = Annotated[float, Field(ge=0.0, lt=1.0)]

# An int or [h, w]; JSON has no tuples, so a pair arrives as a two-item list.
SizePair = Size | tuple[Size, Size]
PadPair = NonNeg | tuple[NonNeg, NonNeg]


class _Layer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _meta(title: str, category: str, description: str) -> ConfigDict:
    return ConfigDict(
        extra="forbid",
        frozen=True,
        title=title,
        json_schema_extra={"category": category, "description": description},
    )
