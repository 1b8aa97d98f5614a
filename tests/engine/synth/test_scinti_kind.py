"""Bone scintigraphy: hot spots only in metastatic cases, Poisson counts, mirrored posterior."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from engine.synth.scinti import SHIFTED_CAMERA, generate_scinti


def test_metastatic_cases_have_hot_spot_masks_and_normal_ones_none() -> None:
    for i in range(4):
        normal = generate_scinti(np.random.default_rng([1, i]), label="normal")
        assert not normal.anterior_mask.any() and not normal.posterior_mask.any()
        assert normal.lesions == ()
        meta = generate_scinti(np.random.default_rng([1, i]), label="metastatic")
        union = (meta.anterior_mask > 0) | (meta.posterior_mask > 0)
        assert union.any() and len(meta.lesions) >= 1


def test_hot_spots_hold_more_counts_than_the_bone_around_them() -> None:
    s = generate_scinti(np.random.default_rng(21), label="metastatic")
    for counts, mask in (
        (s.anterior_counts, s.anterior_mask),
        (s.posterior_counts, s.posterior_mask),
    ):
        hot = mask > 0
        if not hot.any():
            continue
        ring = ndimage.binary_dilation(hot, iterations=4) & ~ndimage.binary_dilation(
            hot, iterations=2
        )
        assert counts[hot].mean() > counts[ring].mean()


def test_posterior_view_is_mirrored_and_display_inverted() -> None:
    s = generate_scinti(np.random.default_rng(2), label="normal")
    # The right kidney sits lower than the left (anatomy in scinti_body): in the anterior view
    # the patient's right is on the viewer's left, in the posterior view on the right.
    w = s.anterior.shape[1]
    kidney_rows = slice(int(0.32 * s.anterior.shape[0]), int(0.40 * s.anterior.shape[0]))
    post = s.posterior_counts[kidney_rows].astype(float)
    assert post[:, : w // 2].sum() > 0 and post[:, w // 2 :].sum() > 0
    # Background is white (few counts), bone is dark.
    assert s.anterior[0, 0] > 240 and s.anterior.min() < 60
    assert np.issubdtype(s.anterior_counts.dtype, np.integer)
    # Anterior and posterior differ (attenuation), but the body is the same size.
    body_a = ndimage.gaussian_filter(s.anterior_counts.astype(float), 3) > 0.5
    body_p = ndimage.gaussian_filter(s.posterior_counts.astype(float), 3) > 0.5
    assert abs(int(body_a.sum()) - int(body_p.sum())) < 0.1 * body_a.sum()
    assert np.abs(body_a.sum(axis=0) - body_p.sum(axis=0)[::-1]).mean() < 6


def test_lateral_lesion_appears_on_opposite_sides_of_the_two_views() -> None:
    for i in range(30):
        s = generate_scinti(np.random.default_rng([9, i]), label="metastatic")
        if len(s.lesions) == 1 and s.anterior_mask.any() and s.posterior_mask.any():
            x_mm = s.lesions[0]["centre_mm"][0]
            if abs(x_mm) > 40:
                break
    else:
        raise AssertionError("no single lateral lesion visible in both views among the seeds")
    w = s.anterior.shape[1]
    col_a = np.flatnonzero(s.anterior_mask.any(axis=0)).mean()
    col_p = np.flatnonzero(s.posterior_mask.any(axis=0)).mean()
    # x is the patient's left: viewer's right anteriorly, viewer's left posteriorly.
    assert (col_a > w / 2) == (x_mm > 0)
    assert (col_p > w / 2) == (x_mm < 0)


def test_shifted_camera_counts_fewer_photons() -> None:
    a = generate_scinti(np.random.default_rng(3), label="normal")
    b = generate_scinti(np.random.default_rng(3), label="normal", profile=SHIFTED_CAMERA)
    assert 0.8e6 <= a.anterior_counts.sum() <= 2.0e6 * 1.01
    assert b.anterior_counts.sum() < 0.5 * a.anterior_counts.sum()
