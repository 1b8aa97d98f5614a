"""Dermoscopy and photo + skin-ultrasound pairs: ABCD semantics and cross-view agreement."""

from __future__ import annotations

import numpy as np
from skimage.measure import perimeter

from engine.synth.skin import generate_skin_image
from engine.synth.skin_lesion import make_skin_lesion
from engine.synth.skin_pair import SHIFTED_SKIN_US, generate_skin_pair
from engine.synth.skin_surface import SHIFTED_CAMERA


def _irregularity(mask: np.ndarray) -> float:
    """Perimeter² / (4π area): 1 for a disc, larger for notched, lobed borders."""
    mask = mask > 0
    return float(perimeter(mask) ** 2 / (4 * np.pi * mask.sum()))


def test_malignant_borders_are_more_irregular_and_colours_more_varied() -> None:
    benign = [make_skin_lesion(np.random.default_rng([1, i]), "benign") for i in range(8)]
    malignant = [make_skin_lesion(np.random.default_rng([1, i]), "malignant") for i in range(8)]
    irregular_b = [_irregularity(lesion.shape < 1) for lesion in benign]
    irregular_m = [_irregularity(lesion.shape < 1) for lesion in malignant]
    assert np.mean(irregular_m) > 1.3 * np.mean(irregular_b)
    assert max(irregular_b) < 1.35  # nevi stay round-ish and smooth

    def extra_colours(lesion) -> int:  # noqa: ANN001 - blue-grey, red, white regression
        return sum(getattr(lesion, k).max() > 0.3 for k in ("dermal", "red", "regression"))

    assert all(extra_colours(lesion) == 0 for lesion in benign)
    assert np.mean([extra_colours(lesion) >= 1 for lesion in malignant]) >= 0.75


def test_lesion_in_the_mask_is_darker_than_the_skin_around_it() -> None:
    for i, label in enumerate(("benign", "malignant")):
        s = generate_skin_image(np.random.default_rng([2, i]), label=label)
        assert s.image.shape == (*s.mask.shape, 3) and s.image.dtype == np.uint8
        luma = s.image.astype(float) @ np.array([0.299, 0.587, 0.114])
        inside = s.mask > 0
        assert 0.03 < inside.mean() < 0.7
        assert luma[inside].mean() < luma[~inside].mean() - 25


def test_shifted_camera_changes_colour_balance() -> None:
    a = generate_skin_image(np.random.default_rng(4), label="benign")
    b = generate_skin_image(np.random.default_rng(4), label="benign", profile=SHIFTED_CAMERA)
    np.testing.assert_array_equal(a.mask, b.mask)  # same lesion, other camera

    def blue_over_red(img: np.ndarray) -> float:  # on lit skin (not the lens's black circle)
        skin = (a.mask == 0) & (img.astype(float).mean(axis=-1) > 60)
        return float(img[..., 2][skin].mean() / img[..., 0][skin].mean())

    assert blue_over_red(b.image) > blue_over_red(a.image) + 0.03


def test_pair_views_agree_on_width_and_depth() -> None:
    for i, label in enumerate(("benign", "malignant", "benign")):
        s = generate_skin_pair(np.random.default_rng([3, i]), label=label)
        left, right = s.lesion.chord_mm()
        us = s.us_mask > 0
        cols = np.flatnonzero(us.any(axis=0))
        width_us = (cols[-1] - cols[0] + 1) * s.us_spacing_mm
        assert abs(width_us - (right - left)) < 3 * s.us_spacing_mm + 0.05 * (right - left)
        depth_us = us.sum(axis=0).max() * s.us_spacing_mm
        assert 0.7 * s.lesion.thickness_mm < depth_us < 1.6 * s.lesion.thickness_mm
        # The lesion sits right under the bright entry echo of the epidermis.
        centre = int(np.median(cols))
        top = int(np.flatnonzero(us[:, centre])[0])
        entry = s.us[max(top - 6, 0) : top, centre - 3 : centre + 4].astype(float).max()
        assert entry > s.us[us].astype(float).mean() + 50
        # ... and is darker than the dermis beside it at the same depth.
        rows = np.flatnonzero(us.any(axis=1))
        band = s.us[rows[0] : rows[-1] + 1].astype(float)
        assert band[us[rows[0] : rows[-1] + 1]].mean() < band[~us[rows[0] : rows[-1] + 1]].mean()
        # The photo shows the same lesion: its chord through the centre (mm) is the US width.
        row = int(s.photo_centre_rc[0])
        chord_photo = (s.photo_mask[row] > 0).sum() * s.photo_spacing_mm
        assert abs(chord_photo - (right - left)) < 3 * s.photo_spacing_mm + 0.05 * (right - left)


def test_shifted_skin_ultrasound_is_smoother() -> None:
    a = generate_skin_pair(np.random.default_rng(5), label="benign")
    b = generate_skin_pair(np.random.default_rng(5), label="benign", us_profile=SHIFTED_SKIN_US)
    grad = [np.abs(np.diff(x.us.astype(float), axis=1)).mean() for x in (a, b)]
    assert grad[1] < grad[0]
