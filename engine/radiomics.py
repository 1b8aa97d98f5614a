"""Radiomics of a segmented tumour: a documented subset of the IBSI features, on numpy/scipy/
scikit-image (pyradiomics does not build on this Python: its wheel needs a C compiler step
that fails, so we do not depend on it).

Conventions (IBSI reference manual, Zwanenburg et al. 2020; names in `FEATURE_NAMES`):
- intensities are CT Hounsfield units inside the mask, at the volume's own grid;
- discretisation: fixed bin size BIN_WIDTH_HU from DISCRETISATION_MIN_HU (IBSI 2.7.1:
  level = floor((x - min) / width) + 1), values clipped to [DISCRETISATION_MIN_HU,
  DISCRETISATION_MAX_HU] first (re-segmentation range), so levels 1..N_LEVELS;
- texture matrices are 2D per axial slice in 4 in-plane directions (0, 45, 90, 135 degrees;
  distance 1 for the GLCM) and merged over slices and directions before features are
  computed (IBSI "2.5D, merged"): CT slices are 3 mm apart against 2.8 mm pixels here, and
  the 2.5D choice keeps texture comparable when slice thickness changes.

First order (IBSI 3.1 / 3.4): mean, standard deviation, skewness, excess kurtosis, median,
10th/90th percentile, minimum, maximum, energy (sum of squared HU; scales with volume),
root mean square, and intensity-histogram entropy (log2, of the discretised levels).
Shape (IBSI 3.1): voxel volume (mL), mesh surface area (marching cubes, mm^2), mesh volume,
sphericity = (36 pi V^2)^(1/3) / A, elongation = sqrt(lambda_minor / lambda_major) and
flatness = sqrt(lambda_least / lambda_major) from the principal components of the voxel
centres in mm.
GLCM (IBSI 3.6, symmetric, merged): joint energy (angular second moment), contrast,
inverse difference moment (skimage "homogeneity"), correlation, joint entropy.
GLRLM (IBSI 3.7, merged): short run emphasis, long run emphasis, grey level
non-uniformity, run length non-uniformity, run percentage (N_runs / (N_voxels x number of
directions), the IBSI rule for merged matrices).
"""

from __future__ import annotations

from typing import Any

import numpy as np

BIN_WIDTH_HU = 25.0
DISCRETISATION_MIN_HU = -200.0
DISCRETISATION_MAX_HU = 400.0
N_LEVELS = int(np.ceil((DISCRETISATION_MAX_HU - DISCRETISATION_MIN_HU) / BIN_WIDTH_HU)) + 1
ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)

FEATURE_NAMES = (
    "firstorder_mean",
    "firstorder_sd",
    "firstorder_skewness",
    "firstorder_kurtosis",
    "firstorder_median",
    "firstorder_p10",
    "firstorder_p90",
    "firstorder_min",
    "firstorder_max",
    "firstorder_energy",
    "firstorder_rms",
    "firstorder_entropy",
    "shape_voxel_volume_ml",
    "shape_surface_area_mm2",
    "shape_mesh_volume_ml",
    "shape_sphericity",
    "shape_elongation",
    "shape_flatness",
    "glcm_joint_energy",
    "glcm_contrast",
    "glcm_inverse_difference_moment",
    "glcm_correlation",
    "glcm_joint_entropy",
    "glrlm_short_run_emphasis",
    "glrlm_long_run_emphasis",
    "glrlm_grey_level_non_uniformity",
    "glrlm_run_length_non_uniformity",
    "glrlm_run_percentage",
)


def tumour_features(
    hu: np.ndarray, mask: np.ndarray, spacing_mm: tuple[float, float, float]
) -> dict[str, float]:
    """All FEATURE_NAMES for the voxels of `mask` (D×H×W bool) in `hu` (D×H×W)."""
    mask = np.asarray(mask, dtype=bool)
    if hu.shape != mask.shape:
        raise ValueError(f"image {hu.shape} and mask {mask.shape} differ")
    if not mask.any():
        raise ValueError("the mask is empty: no tumour to describe")
    values = hu[mask].astype(np.float64)
    levels = discretise(hu)
    features = first_order(values)
    features.update(shape_features(mask, spacing_mm))
    features.update(glcm_features(levels, mask))
    features.update(glrlm_features(levels, mask))
    return features


def discretise(hu: np.ndarray) -> np.ndarray:
    """Fixed bin size: levels 1..N_LEVELS (IBSI 2.7.1)."""
    clipped = np.clip(hu.astype(np.float64), DISCRETISATION_MIN_HU, DISCRETISATION_MAX_HU)
    return (np.floor((clipped - DISCRETISATION_MIN_HU) / BIN_WIDTH_HU) + 1).astype(np.int32)


def first_order(values: np.ndarray) -> dict[str, float]:
    mean = float(values.mean())
    sd = float(values.std())  # IBSI: population variance
    centred = values - mean
    skew = float((centred**3).mean() / sd**3) if sd > 0 else 0.0
    kurt = float((centred**4).mean() / sd**4 - 3.0) if sd > 0 else 0.0
    counts = np.bincount(discretise(values))
    p = counts[counts > 0] / values.size
    return {
        "firstorder_mean": mean,
        "firstorder_sd": sd,
        "firstorder_skewness": skew,
        "firstorder_kurtosis": kurt,
        "firstorder_median": float(np.median(values)),
        "firstorder_p10": float(np.percentile(values, 10)),
        "firstorder_p90": float(np.percentile(values, 90)),
        "firstorder_min": float(values.min()),
        "firstorder_max": float(values.max()),
        "firstorder_energy": float((values**2).sum()),
        "firstorder_rms": float(np.sqrt((values**2).mean())),
        "firstorder_entropy": float(-(p * np.log2(p)).sum()),
    }


def shape_features(mask: np.ndarray, spacing_mm: tuple[float, float, float]) -> dict[str, float]:
    from skimage.measure import marching_cubes, mesh_surface_area

    voxel_mm3 = float(np.prod(spacing_mm))
    volume_mm3 = float(mask.sum()) * voxel_mm3
    padded = np.pad(mask.astype(np.float32), 1)
    verts, faces, _, _ = marching_cubes(padded, level=0.5, spacing=tuple(spacing_mm))
    area = float(mesh_surface_area(verts, faces))
    mesh_volume = _mesh_volume(verts, faces)
    sphericity = float((36 * np.pi * mesh_volume**2) ** (1 / 3) / area) if area > 0 else 0.0
    points = np.argwhere(mask) * np.asarray(spacing_mm)
    if len(points) > 1:
        eig = np.sort(np.linalg.eigvalsh(np.cov(points.T)))[::-1]
        eig = np.clip(eig, 0.0, None)
        elongation = float(np.sqrt(eig[1] / eig[0])) if eig[0] > 0 else 1.0
        flatness = float(np.sqrt(eig[2] / eig[0])) if eig[0] > 0 else 1.0
    else:
        elongation = flatness = 1.0
    return {
        "shape_voxel_volume_ml": volume_mm3 / 1000.0,
        "shape_surface_area_mm2": area,
        "shape_mesh_volume_ml": mesh_volume / 1000.0,
        "shape_sphericity": sphericity,
        "shape_elongation": elongation,
        "shape_flatness": flatness,
    }


def _mesh_volume(verts: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed triangle mesh (divergence theorem, IBSI 3.1.1)."""
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    return float(abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0)


def _slices(levels: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The axial slices that hold the mask, cropped to its bounding box."""
    idx = np.argwhere(mask)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    return levels[box], mask[box]


def glcm_matrix(levels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Symmetric co-occurrence counts (N_LEVELS × N_LEVELS) merged over slices and ANGLES."""
    from skimage.feature import graycomatrix

    lv, mk = _slices(levels, mask)
    total = np.zeros((N_LEVELS, N_LEVELS), dtype=np.float64)
    for level_slice, mask_slice in zip(lv, mk, strict=True):
        if not mask_slice.any():
            continue
        # Level 0 marks "outside the mask"; its row and column are dropped afterwards.
        image = np.where(mask_slice, level_slice, 0).astype(np.uint8)
        counts = graycomatrix(image, [1], list(ANGLES), levels=N_LEVELS + 1, symmetric=True)
        total += counts[1:, 1:, 0, :].sum(axis=-1)
    return total


def glcm_features(levels: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    counts = glcm_matrix(levels, mask)
    n = counts.sum()
    if n == 0:
        return dict.fromkeys(
            (
                "glcm_joint_energy",
                "glcm_contrast",
                "glcm_inverse_difference_moment",
                "glcm_correlation",
                "glcm_joint_entropy",
            ),
            float("nan"),
        )
    p = counts / n
    i, j = np.indices(p.shape) + 1
    mu_i, mu_j = float((i * p).sum()), float((j * p).sum())
    sd_i = float(np.sqrt(((i - mu_i) ** 2 * p).sum()))
    sd_j = float(np.sqrt(((j - mu_j) ** 2 * p).sum()))
    cov = float(((i - mu_i) * (j - mu_j) * p).sum())
    nz = p[p > 0]
    return {
        "glcm_joint_energy": float((p**2).sum()),
        "glcm_contrast": float(((i - j) ** 2 * p).sum()),
        "glcm_inverse_difference_moment": float((p / (1 + (i - j) ** 2)).sum()),
        "glcm_correlation": cov / (sd_i * sd_j) if sd_i > 0 and sd_j > 0 else 1.0,
        "glcm_joint_entropy": float(-(nz * np.log2(nz)).sum()),
    }


def _lines(grid: np.ndarray, direction: int) -> np.ndarray:
    """The lines of a (slices × H × W) grid along an in-plane direction, one per row of the
    result (slices stacked), padded with -1 where a diagonal runs out of the plane.

    direction 0: along columns (0 deg); 1: rows (90 deg); 2: the main diagonal (r+1, c+1);
    3: the anti-diagonal (r+1, c-1). Diagonals come from shearing: row r shifted by r."""
    if direction == 0:
        planes = grid
    elif direction == 1:
        planes = np.swapaxes(grid, 1, 2)
    else:
        src = grid if direction == 2 else grid[:, :, ::-1]
        s, h, w = src.shape
        sheared = np.full((s, h, w + h - 1), -1, dtype=src.dtype)
        rows = np.arange(h)[:, None]
        cols = np.arange(w)[None, :] + (h - 1 - rows)
        sheared[:, rows, cols] = src
        planes = np.swapaxes(sheared, 1, 2)  # each column of the sheared plane is a diagonal
    return planes.reshape(-1, planes.shape[-1])


def run_length_matrix(
    levels: np.ndarray, mask: np.ndarray, directions: tuple[int, ...] = (0, 1, 2, 3)
) -> np.ndarray:
    """Grey level run length counts r[level-1, length-1] over slices and directions.

    Voxels outside the mask break runs. Vectorised: every line gets a -1 sentinel at its end,
    all lines are concatenated and the runs of the 1D sequence are counted at once."""
    grid = np.where(mask, levels, -1).astype(np.int32)
    if grid.ndim == 2:
        grid = grid[None]
    longest = max(grid.shape[1:]) + 1
    matrix = np.zeros((N_LEVELS, longest), dtype=np.int64)
    for direction in directions:
        lines = _lines(grid, direction)
        seq = np.concatenate([lines, np.full((lines.shape[0], 1), -1, np.int32)], axis=1).ravel()
        change = np.flatnonzero(np.diff(seq)) + 1
        starts = np.concatenate([[0], change])
        lengths = np.diff(np.concatenate([starts, [seq.size]]))
        values = seq[starts]
        keep = values > 0
        np.add.at(matrix, (values[keep] - 1, lengths[keep] - 1), 1)
    return matrix


def glrlm_features(levels: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    lv, mk = _slices(levels, mask)
    r = run_length_matrix(lv, mk).astype(np.float64)
    n_runs = r.sum()
    lengths = np.arange(1, r.shape[1] + 1, dtype=np.float64)[None, :]
    return {
        "glrlm_short_run_emphasis": float((r / lengths**2).sum() / n_runs),
        "glrlm_long_run_emphasis": float((r * lengths**2).sum() / n_runs),
        "glrlm_grey_level_non_uniformity": float((r.sum(axis=1) ** 2).sum() / n_runs),
        "glrlm_run_length_non_uniformity": float((r.sum(axis=0) ** 2).sum() / n_runs),
        "glrlm_run_percentage": float(n_runs / (mk.sum() * len(ANGLES))),
    }


# --- the classical classifier, applied from JSON (no scikit-learn at run time) ---------------


def classifier_probabilities(features: dict[str, float], model: dict[str, Any]) -> dict[str, float]:
    """Standardise with the training means/scales, then a (multinomial) logistic regression.

    model: {"features": [...], "mean": [...], "scale": [...], "coef": [[...]],
    "intercept": [...], "classes": [...]} as written by training.make_ct. A feature that is
    missing or not finite counts as the training mean (standardised 0)."""
    names = list(model["features"])
    x = np.array([float(features.get(n, np.nan)) for n in names])
    z = (x - np.asarray(model["mean"], float)) / np.asarray(model["scale"], float)
    z = np.where(np.isfinite(z), z, 0.0)
    coef = np.atleast_2d(np.asarray(model["coef"], float))
    logits = coef @ z + np.asarray(model["intercept"], float)
    classes = [str(c) for c in model["classes"]]
    if logits.size == 1:  # binary: sklearn keeps one row for classes[1]
        p1 = float(1.0 / (1.0 + np.exp(-np.clip(logits[0], -60, 60))))
        return {classes[0]: 1.0 - p1, classes[1]: p1}
    e = np.exp(logits - logits.max())
    return {c: float(v) for c, v in zip(classes, e / e.sum(), strict=True)}
