"""Radiomics features against values worked out by hand on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from engine.radiomics import (
    FEATURE_NAMES,
    N_LEVELS,
    classifier_probabilities,
    discretise,
    first_order,
    glcm_features,
    glrlm_features,
    run_length_matrix,
    shape_features,
    tumour_features,
)

# Levels of a 4×4 slice; its runs are counted by hand in the tests below.
GRID = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 3, 3], [1, 2, 3, 4]])
FULL = np.ones_like(GRID, dtype=bool)


def _runs(matrix: np.ndarray) -> dict[tuple[int, int], int]:
    """{(level, length): count} of the non-zero entries."""
    return {(int(i) + 1, int(j) + 1): int(matrix[i, j]) for i, j in np.argwhere(matrix)}


def test_horizontal_runs_of_the_4x4_example() -> None:
    # rows: 11|22, 11|22, 3333, 1|2|3|4
    assert _runs(run_length_matrix(GRID, FULL, (0,))) == {
        (1, 2): 2,
        (1, 1): 1,
        (2, 2): 2,
        (2, 1): 1,
        (3, 4): 1,
        (3, 1): 1,
        (4, 1): 1,
    }


def test_diagonal_runs_of_the_4x4_example() -> None:
    # (r+1, c+1) diagonals: [1] [3,2] [1,3,3] [1,1,3,4] [1,2,3] [2,2] [2]
    assert _runs(run_length_matrix(GRID, FULL, (2,))) == {
        (1, 1): 3,
        (1, 2): 1,
        (2, 1): 3,
        (2, 2): 1,
        (3, 1): 3,
        (3, 2): 1,
        (4, 1): 1,
    }
    # columns 11 3 1 | 11 3 2 | 22 33 | 22 3 4 -> 11 runs; anti-diagonals
    # [1] [1,1] [2,1,3] [2,2,3,1] [2,3,2] [3,3] [4] -> 13 runs
    assert run_length_matrix(GRID, FULL, (1,)).sum() == 11
    assert run_length_matrix(GRID, FULL, (3,)).sum() == 13


def test_a_voxel_outside_the_mask_breaks_a_run() -> None:
    mask = FULL.copy()
    mask[2, 1] = False  # row 3333 -> 3 | _ | 33
    runs = _runs(run_length_matrix(GRID, mask, (0,)))
    assert runs[(3, 1)] == 2 and runs[(3, 2)] == 1 and (3, 4) not in runs


def test_glrlm_features_of_the_4x4_example() -> None:
    feats = glrlm_features(GRID[None], FULL[None])
    # 9 + 11 + 13 + 13 = 46 runs in 4 directions over 16 voxels
    # (IBSI merged run percentage: N_v x number of directions)
    assert feats["glrlm_run_percentage"] == pytest.approx(46 / 64)
    horizontal = run_length_matrix(GRID, FULL, (0,)).astype(float)
    lengths = np.arange(1, horizontal.shape[1] + 1)
    # by hand for the horizontal runs: SRE 5.0625/9, LRE 36/9, GLNU 23/9, RLNU 33/9
    assert (horizontal / lengths**2).sum() / 9 == pytest.approx(5.0625 / 9)
    assert (horizontal * lengths**2).sum() / 9 == pytest.approx(4.0)
    assert (horizontal.sum(axis=1) ** 2).sum() / 9 == pytest.approx(23 / 9)
    assert (horizontal.sum(axis=0) ** 2).sum() / 9 == pytest.approx(33 / 9)


def test_glcm_of_a_2x2_example() -> None:
    # [[1,1],[2,2]]: symmetric pairs over 4 angles: (1,1)x2, (2,2)x2, (1,2)x4, (2,1)x4
    levels = np.array([[[1, 1], [2, 2]]])
    feats = glcm_features(levels, np.ones_like(levels, bool))
    assert feats["glcm_contrast"] == pytest.approx(2 / 3)
    assert feats["glcm_joint_energy"] == pytest.approx(5 / 18)
    assert feats["glcm_inverse_difference_moment"] == pytest.approx(2 / 3)
    assert feats["glcm_correlation"] == pytest.approx(-1 / 3)


def test_first_order_by_hand() -> None:
    feats = first_order(np.array([0.0, 10.0, 20.0, 30.0]))
    assert feats["firstorder_mean"] == 15.0
    assert feats["firstorder_sd"] == pytest.approx(np.sqrt(125))
    assert feats["firstorder_skewness"] == pytest.approx(0.0)
    assert feats["firstorder_kurtosis"] == pytest.approx(25625 / 15625 - 3)
    # bins of 25 HU from -200: 0, 10, 20 -> level 9, 30 -> level 10
    assert feats["firstorder_entropy"] == pytest.approx(
        -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))
    )
    assert feats["firstorder_energy"] == 1400.0
    assert discretise(np.array([-1000.0, -200.0, 400.0, 3000.0])).tolist() == [1, 1, 25, 25]
    assert N_LEVELS == 25


def test_shape_of_a_cube_and_a_ball() -> None:
    cube = np.zeros((14, 14, 14), bool)
    cube[2:12, 2:12, 2:12] = True
    feats = shape_features(cube, (2.0, 2.0, 2.0))
    assert feats["shape_voxel_volume_ml"] == pytest.approx(8.0)  # (10 x 2 mm)^3
    # marching cubes at 0.5 cuts the edges: a little under 6 x (20 mm)^2, mesh volume too
    assert 0.9 * 2400 < feats["shape_surface_area_mm2"] <= 2400
    assert 0.9 * 8.0 < feats["shape_mesh_volume_ml"] <= 8.0
    assert feats["shape_elongation"] == pytest.approx(1.0)

    z, y, x = np.indices((30, 30, 30)) - 14.5
    ball = z**2 + y**2 + x**2 <= 12**2
    assert shape_features(ball, (1.0, 1.0, 1.0))["shape_sphericity"] > 0.9
    # A cube's sphericity is (pi/6)^(1/3) = 0.806 for a perfect cube
    assert feats["shape_sphericity"] == pytest.approx((np.pi / 6) ** (1 / 3), abs=0.05)


def test_box_axes_give_elongation_and_flatness() -> None:
    box = np.zeros((20, 20, 20), bool)
    box[2:18, 5:13, 8:12] = True  # 16 x 8 x 4 voxels
    feats = shape_features(box, (1.0, 1.0, 1.0))
    # variance of n evenly spaced voxels: (n^2 - 1) / 12
    assert feats["shape_elongation"] == pytest.approx(np.sqrt(63 / 255))
    assert feats["shape_flatness"] == pytest.approx(np.sqrt(15 / 255))


def test_tumour_features_are_all_there_and_finite() -> None:
    rng = np.random.default_rng(0)
    hu = rng.normal(60, 20, (12, 16, 16))
    mask = np.zeros(hu.shape, bool)
    mask[3:9, 4:12, 4:12] = True
    feats = tumour_features(hu, mask, (3.0, 2.8, 2.8))
    assert tuple(feats) == FEATURE_NAMES or set(feats) == set(FEATURE_NAMES)
    assert all(np.isfinite(v) for v in feats.values())
    with pytest.raises(ValueError, match="empty"):
        tumour_features(hu, np.zeros_like(mask), (3.0, 2.8, 2.8))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_json_classifier_matches_sklearn(n_classes: int) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(n_classes)
    names = ["a", "b", "c", "d"]
    x = rng.normal(size=(60, 4)) * [1, 10, 100, 0.1] + [0, 5, -50, 1]
    y = (x[:, 0] + x[:, 1] / 10 + rng.normal(size=60) > 0.5).astype(int)
    if n_classes == 3:
        y[x[:, 2] > -20] = 2
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=0.7).fit(scaler.transform(x), y)
    classes = ["benign", "malignant", "other"][:n_classes]
    model = {
        "features": names,
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
        "classes": classes,
    }
    expected = clf.predict_proba(scaler.transform(x[:10]))
    for row, want in zip(x[:10], expected, strict=True):
        got = classifier_probabilities(dict(zip(names, row, strict=True)), model)
        assert [got[c] for c in classes] == pytest.approx(want.tolist(), abs=1e-9)
    # a missing feature counts as the training mean
    partial = classifier_probabilities({"a": float(scaler.mean_[0])}, model)
    assert sum(partial.values()) == pytest.approx(1.0)
