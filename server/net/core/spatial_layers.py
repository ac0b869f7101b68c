"""Layer specs that slide a window over an image or resize it: convolutions
(conv2d, its depthwise form, conv_transpose2d), pooling and upsampling."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, WithJsonSchema, model_validator

from server.net.core.layer_base import PadPair, SizePair, Units, _Layer, _meta

# A one-word choice, written as an enum (not a const) like padding's 'same' / 'valid', so
# the browser's forms read every word choice the same way.
Depthwise = Annotated[
    Literal["depthwise"], WithJsonSchema({"type": "string", "enum": ["depthwise"]})
]

# --- convolution and pooling -------------------------------------------------


class Conv2d(_Layer):
    model_config = _meta(
        "Convolution 2D",
        "convolution",
        "Slides out_channels filters of kernel_size over the input; each output value "
        "is the sum of the products of a filter with the pixels under it, plus a bias.",
    )
    type: Literal["conv2d"] = "conv2d"
    out_channels: Units = Field(description="Number of filters (output channels).")
    kernel_size: SizePair = Field(description="Filter size f, an int or [h, w].")
    stride: SizePair = Field(1, description="Step s between filter positions.")
    padding: PadPair | Literal["same", "valid"] = Field(
        0, description="Zeros p added on each side; 'same' keeps the size (stride 1)."
    )
    dilation: SizePair = Field(1, description="Spacing d between filter taps.")
    groups: Units | Depthwise = Field(
        1,
        description="Split channels into groups, each filtered on its own; 'depthwise' "
        "(= the input channels) gives each channel its own filters.",
    )
    bias: StrictBool = Field(True, description="Add a learned bias per filter.")


class ConvTranspose2d(_Layer):
    model_config = _meta(
        "Transposed convolution 2D",
        "upsampling",
        "Spreads each input value over a kernel_size window of the output, weighted by "
        "the filter, stepping stride apart: the gradient of a convolution, used to "
        "upsample (a U-Net's decoder). Overlapping windows add up.",
    )
    type: Literal["conv_transpose2d"] = "conv_transpose2d"
    out_channels: Units = Field(description="Number of filters (output channels).")
    kernel_size: SizePair = Field(description="Filter size f, an int or [h, w].")
    stride: SizePair = Field(1, description="Step s between the windows in the output.")
    padding: PadPair = Field(0, description="Rows and columns p cropped from each side.")
    output_padding: PadPair = Field(
        0, description="Extra rows/columns on one side (less than the stride or dilation)."
    )
    dilation: SizePair = Field(1, description="Spacing d between filter taps.")
    groups: Units = Field(1, description="Split channels into groups.")
    bias: StrictBool = Field(True, description="Add a learned bias per filter.")


class MaxPool2d(_Layer):
    model_config = _meta("Max pooling 2D", "pooling", "Keeps the largest value of each window.")
    type: Literal["maxpool2d"] = "maxpool2d"
    kernel_size: SizePair = Field(description="Window size f.")
    stride: SizePair | None = Field(None, description="Step s; defaults to kernel_size.")
    padding: PadPair = Field(0, description="Padding p (at most half the window).")
    dilation: SizePair = Field(1, description="Spacing d between window taps.")
    ceil_mode: StrictBool = Field(False, description="Round the output size up.")


class AvgPool2d(_Layer):
    model_config = _meta("Average pooling 2D", "pooling", "Averages each window.")
    type: Literal["avgpool2d"] = "avgpool2d"
    kernel_size: SizePair = Field(description="Window size f.")
    stride: SizePair | None = Field(None, description="Step s; defaults to kernel_size.")
    padding: PadPair = Field(0, description="Padding p (at most half the window).")
    ceil_mode: StrictBool = Field(False, description="Round the output size up.")
    count_include_pad: StrictBool = Field(True, description="Count padding zeros in the average.")


class AdaptiveAvgPool2d(_Layer):
    model_config = _meta(
        "Adaptive average pooling",
        "pooling",
        "Averages into a fixed output size whatever the input size.",
    )
    type: Literal["adaptive_avgpool2d"] = "adaptive_avgpool2d"
    output_size: SizePair = Field(description="Output height and width.")


class GlobalAvgPool2d(_Layer):
    model_config = _meta(
        "Global average pooling",
        "pooling",
        "Averages each channel to one value: (C, H, W) -> (C, 1, 1).",
    )
    type: Literal["global_avgpool2d"] = "global_avgpool2d"


class Upsample(_Layer):
    model_config = _meta(
        "Upsample",
        "upsampling",
        "Enlarges each channel by scale_factor (or to size) without weights: 'nearest' "
        "repeats each value, 'bilinear' blends the four nearest.",
    )
    type: Literal["upsample"] = "upsample"
    scale_factor: SizePair | None = Field(
        2, description="Times larger, an int or [h, w]; left out when size is set."
    )
    size: SizePair | None = Field(None, description="Output height and width instead.")
    mode: Literal["nearest", "bilinear"] = "nearest"
    align_corners: StrictBool = Field(
        False, description="Bilinear only: pin the corner pixels of input and output."
    )

    @model_validator(mode="before")
    @classmethod
    def _one_of_scale_or_size(cls, data: Any) -> Any:
        """size replaces the default scale_factor; both set (or neither) is a mistake."""
        if not isinstance(data, dict):
            return data
        size, scale = data.get("size"), data.get("scale_factor")
        if size is not None and scale is not None:
            raise ValueError("set scale_factor or size, not both")
        if size is not None:
            return {**data, "scale_factor": None}
        if "scale_factor" in data and scale is None:
            raise ValueError("set scale_factor or size")
        return data

    @model_validator(mode="after")
    def _corners_need_bilinear(self) -> Upsample:
        if self.align_corners and self.mode != "bilinear":
            raise ValueError("align_corners is for mode 'bilinear' only")
        return self
