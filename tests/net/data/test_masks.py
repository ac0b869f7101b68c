"""shapes_masks and mask resizing (issue 16)."""

from __future__ import annotations

import pytest
import torch

from server.net.data import datasets, masks, synthetic


def test_masks_label_the_shape_pixels_with_its_class() -> None:
    x, labels, m = synthetic.generate_masks(40, 64, 64, seed=3)
    img, same = synthetic.generate(40, 64, 64, seed=3)
    assert torch.equal(x, img) and torch.equal(labels, same)  # the same images as "shapes"
    assert m.shape == (40, 64, 64) and m.dtype == torch.int64
    for i in range(40):
        present = set(m[i].unique().tolist())
        assert present == {0, int(labels[i]) + 1}  # background and the one shape
    # Shape pixels are the ones drawn mostly in the shape's colour.
    _, _, d = synthetic._render(40, 64, 64, 3)
    assert torch.equal(m > 0, (0.5 - d).clamp(0, 1) > 0.5)
    # Seeded: the same seed gives the same masks.
    assert torch.equal(m, synthetic.generate_masks(40, 64, 64, seed=3)[2])


def test_shapes_masks_loads_masks_at_the_network_size() -> None:
    split = datasets.load("shapes_masks", 32, 32, train_limit=10, channels=1)
    assert split.task == "segmentation" and split.num_classes == 5
    assert split.x_train.shape == (10, 1, 32, 32) and split.y_train.shape == (10, 32, 32)
    assert split.y_val.shape == (500, 32, 32)
    assert int(split.y_val.max()) <= 4
    assert datasets.info("shapes_masks").task == "segmentation"


def test_classification_options_are_refused() -> None:
    with pytest.raises(masks.NotForMasks, match="classes"):
        datasets.load("shapes_masks", 16, 16, classes=[0, 1])
    with pytest.raises(masks.NotForMasks, match="val_split"):
        datasets.load("shapes_masks", 16, 16, val_split=0.2)


def test_resize_is_nearest_and_never_invents_a_class() -> None:
    m = torch.tensor([[[0, 2], [4, 0]]])
    up = masks.resize(m, (4, 4))
    assert up.tolist() == [[[0, 0, 2, 2], [0, 0, 2, 2], [4, 4, 0, 0], [4, 4, 0, 0]]]
    assert torch.equal(masks.resize(up, (2, 2)), m)
    assert set(masks.resize(m, (3, 5)).unique().tolist()) <= {0, 2, 4}
