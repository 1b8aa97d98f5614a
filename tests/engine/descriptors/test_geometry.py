"""The box and label helpers of engine.descriptors.geometry: each gives the whole frame's
answer from a part of it."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy import ndimage

from engine.descriptors.geometry import (
    gaussian_reach,
    grown_box,
    label_counts,
    label_maxima,
    largest_component,
    mask_box,
    outline,
)


def _blobs(seed: int = 0) -> np.ndarray:
    """A frame of random blobs, some with holes, two of the same size."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:120, :160]
    mask = np.zeros((120, 160), dtype=bool)
    for _ in range(6):
        cy, cx, r = rng.integers(15, 105), rng.integers(15, 145), rng.integers(4, 14)
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    mask[40:60, 40:60] = True
    mask[47:53, 47:53] = False  # a hole
    mask[5:9, 100:104] = True
    mask[5:9, 120:124] = True  # two blobs of the same size
    return mask


def test_mask_box_and_grown_box() -> None:
    mask = np.zeros((50, 60), dtype=bool)
    assert mask_box(mask) is None
    with pytest.raises(ValueError, match="empty"):
        grown_box(mask, 3)
    mask[10:20, 30:35] = True
    assert mask_box(mask) == (slice(10, 20), slice(30, 35))
    assert grown_box(mask, 5) == (slice(5, 25), slice(25, 40))
    assert grown_box(mask, 40) == (slice(0, 50), slice(0, 60))  # cut at the frame


def test_largest_component_is_the_whole_frame_one() -> None:
    """Labelled and filled in the mask's box: the whole frame's largest region, filled."""
    for seed in range(5):
        mask = _blobs(seed)
        labels, count = ndimage.label(mask)
        sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
        expected = ndimage.binary_fill_holes(labels == int(np.argmax(sizes)) + 1)
        assert np.array_equal(largest_component(mask), expected)
    tie = np.zeros((30, 30), dtype=bool)
    tie[20:24, 2:6] = tie[2:6, 20:24] = True  # same size: the first in raster order wins
    assert largest_component(tie)[2:6, 20:24].all() and not largest_component(tie)[20:24].any()
    with pytest.raises(ValueError, match="empty"):
        largest_component(np.zeros((5, 5), dtype=bool))


def test_label_maxima_and_counts_are_ndimage_s() -> None:
    rng = np.random.default_rng(1)
    labels, count = ndimage.label(_blobs(1))
    values = rng.random(labels.shape) * 10 - 5
    index = np.arange(1, count + 1)
    assert np.array_equal(
        label_maxima(values, labels, count), np.asarray(ndimage.maximum(values, labels, index))
    )
    counts = label_counts(labels, count)
    assert counts.dtype == np.float64
    assert np.array_equal(counts, ndimage.sum_labels(np.ones_like(labels), labels, index))


def test_smoothing_on_a_box_grown_by_its_reach_is_the_whole_frame_s() -> None:
    rng = np.random.default_rng(2)
    image = rng.random((90, 110)) * 255
    mask = np.zeros(image.shape, dtype=bool)
    mask[30:50, 2:40] = True  # near the left edge: cut there, reflected as on the frame
    for sigma in (1.0, 1.5, 3.7):
        box = grown_box(mask, gaussian_reach(sigma))
        cut = ndimage.gaussian_filter(image[box], sigma)[mask[box]]
        assert np.array_equal(cut, ndimage.gaussian_filter(image, sigma)[mask])
        # one pixel less reach and the box no longer gives the frame's values
        short = grown_box(mask, gaussian_reach(sigma) - 1)
        assert not np.array_equal(ndimage.gaussian_filter(image[short], sigma)[mask[short]], cut)


def _traced_fresh(mask: np.ndarray) -> np.ndarray:
    from skimage import measure

    rows, cols = np.nonzero(mask)
    crop = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32)
    points = max(measure.find_contours(np.pad(crop, 1), 0.5), key=len)[:-1]
    points = points - 1.0 + np.array([rows.min(), cols.min()], dtype=np.float64)
    r, c = points[:, 0], points[:, 1]
    area = 0.5 * (np.dot(c, np.roll(r, -1)) - np.dot(r, np.roll(c, -1)))
    return points[::-1] if area < 0 else points


def test_outline_remembers_the_last_crop_only_for_the_same_crop() -> None:
    """The outline of a lesion asked again (at another offset, as the descriptors ask it)
    is the one traced fresh; another lesion's is its own."""
    a = largest_component(_blobs(3))
    b = largest_component(_blobs(4))
    shifted = np.zeros((200, 220), dtype=bool)
    shifted[31 : 31 + a.shape[0], 17 : 17 + a.shape[1]] = a
    for mask in (a, shifted, b, a, b):
        assert np.array_equal(outline(mask), _traced_fresh(mask))
    grey = a.astype(np.uint8) * 255  # not a bool mask: traced on its own values
    assert np.array_equal(outline(grey), _traced_fresh(grey))
    with pytest.raises(ValueError, match="empty"):
        outline(np.zeros((4, 4), dtype=bool))


def test_outline_is_per_thread() -> None:
    a, b = largest_component(_blobs(5)), largest_component(_blobs(6))
    got = {}

    def trace(name: str, mask: np.ndarray) -> None:
        got[name] = [outline(mask) for _ in range(20)]

    threads = [threading.Thread(target=trace, args=(n, m)) for n, m in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(p, _traced_fresh(a)) for p in got["a"])
    assert all(np.array_equal(p, _traced_fresh(b)) for p in got["b"])
