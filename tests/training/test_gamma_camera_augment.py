"""training.augment.gamma_camera_batch: another gamma camera's look, checked against an
independent numpy model of the same acquisition (counts, blur, display)."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import ndimage

from training.augment import CameraDraw, draw_camera, gamma_camera_batch
from training.fit_views import ViewsObjective, _batch
from training.view_data import ViewDataset


def _views(n: int = 4, seed: int = 0) -> torch.Tensor:
    """Inverted bone-scan-like views in [0, 1]: white background, a grey body, dark bone
    and one small hot spot (uptake dark)."""
    rng = np.random.default_rng(seed)
    x = np.ones((n, 1, 64, 24), dtype=np.float32)
    x[:, :, 10:60, 6:18] = 0.8 + rng.normal(0, 0.01, (n, 1, 50, 12))  # soft tissue
    x[:, :, 12:58, 11:13] = 0.35  # spine
    x[:, :, 30:32, 11:13] = 0.0  # metastasis (saturated)
    return torch.from_numpy(x.clip(0, 1))


def _camera(n: int, counts: float, blur: float = 0.0, matrix: float = 1.0) -> CameraDraw:
    return CameraDraw(
        counts=torch.full((n,), counts),
        blur_px=torch.full((n,), blur),
        matrix=torch.full((n,), matrix),
    )


def test_same_seed_same_views_and_range_shape_dtype_kept() -> None:
    x = _views()
    runs = []
    for _ in range(2):
        g = torch.Generator().manual_seed(5)
        runs.append(gamma_camera_batch(x, draw_camera(len(x), g, p=1.0), g))
    assert torch.equal(runs[0], runs[1])
    out = runs[0]
    assert out.shape == x.shape and out.dtype == x.dtype
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert torch.all(out[:, :, :2, :] == 1.0)  # no counts outside the body: stays white
    g = torch.Generator().manual_seed(6)
    assert not torch.equal(out, gamma_camera_batch(x, draw_camera(len(x), g, p=1.0), g))


def test_fewer_counts_give_the_poisson_noise_of_that_count_level() -> None:
    x = torch.full((2, 1, 128, 128), 0.5)
    identity = {"window": (1.0, 1.0), "gamma": (1.0, 1.0), "percentiles": None}
    g = torch.Generator().manual_seed(0)
    low = gamma_camera_batch(x, _camera(2, 50.0), g, **identity)
    high = gamma_camera_batch(x, _camera(2, 2000.0), g, **identity)
    linear = (1 - 0.5) ** (1 / 0.85)  # the display gamma undone
    for out, counts in ((low, 50.0), (high, 2000.0)):
        shown = 1 - out.numpy()  # identity display: counts / level, linear
        assert abs(shown.mean() - linear) < 0.01
        assert abs(shown.std() - math.sqrt(linear / counts)) < 0.1 * math.sqrt(linear / counts)
        # Poisson: only multiples of 1 / counts occur
        assert np.allclose(shown * counts, np.round(shown * counts), atol=1e-3)


def test_blur_and_matrix_soften_a_hot_spot_like_a_coarser_camera() -> None:
    x = torch.ones(1, 1, 40, 40)
    x[0, 0, 20, 20] = 0.0  # one saturated pixel
    identity = {"window": (1.0, 1.0), "gamma": (1.0, 1.0), "percentiles": None}
    g = torch.Generator().manual_seed(0)
    blurred = 1 - gamma_camera_batch(x, _camera(1, math.inf, blur=1.0), g, **identity)[0, 0]
    reference = ndimage.gaussian_filter(np.pad([[1.0]], ((20, 19), (20, 19))), 1.0, truncate=3.0)
    assert np.allclose(blurred.numpy(), reference, atol=2e-3)
    assert abs(float(blurred.sum()) - 1) < 1e-3  # counts kept, only spread
    coarse = 1 - gamma_camera_batch(x, _camera(1, math.inf, matrix=2.0), g, **identity)[0, 0]
    # a 2x coarser matrix: the hot pixel's counts shared by its 2x2 block, shown as a block
    assert np.allclose(coarse[20:22, 20:22].numpy(), 0.25, atol=1e-6)
    assert abs(float(coarse.sum()) - 1) < 1e-5


def test_a_lower_window_and_gamma_darken_the_skeleton_as_the_shifted_display() -> None:
    x = _views(1)
    g = torch.Generator().manual_seed(0)
    display = {"window": (0.4, 0.4), "gamma": (0.6, 0.6), "percentiles": None}
    shifted = gamma_camera_batch(x, _camera(1, math.inf), g, **display)
    spine = 1 - float(x[0, 0, 14:28, 11:13].mean())
    expected = min(1.0, spine ** (1 / 0.85) / 0.4) ** 0.6
    assert abs((1 - float(shifted[0, 0, 14:28, 11:13].mean())) - expected) < 0.02
    assert float(shifted[0, 0, 30:32, 11:13].max()) == 0.0  # the metastasis stays saturated


def test_draw_camera_keeps_some_cases_untouched() -> None:
    g = torch.Generator().manual_seed(1)
    camera = draw_camera(400, g, p=0.8)
    untouched = torch.isinf(camera.counts)
    assert 0.1 < float(untouched.float().mean()) < 0.3
    assert torch.all(camera.blur_px[untouched] == 0) and torch.all(camera.matrix[untouched] == 1)
    assert float(camera.counts[~untouched].min()) >= 60 and float(camera.counts.max()) > 1000


def test_the_output_gets_the_percentile_window_of_a_real_input() -> None:
    x = 0.3 + 0.4 * torch.rand(2, 1, 64, 24, generator=torch.Generator().manual_seed(2))
    g = torch.Generator().manual_seed(0)
    out = gamma_camera_batch(x, _camera(2, math.inf), g, window=(1.0, 1.0), gamma=(1.0, 1.0))
    for image in range(2):
        # independent reference: the displayed image, then numpy's percentile window
        shown = 1 - (1 - x[image, 0].numpy().astype(np.float64)) ** (1 / 0.85)
        lo, hi = np.percentile(shown, [0.5, 99.5])
        expected = np.clip((shown - lo) / (hi - lo), 0, 1)
        assert np.allclose(out[image, 0].numpy(), expected, atol=1e-4)


def test_the_camera_objective_mirrors_both_views_of_a_case_together() -> None:
    n = 8
    masks = np.zeros((n, 1, 64, 24), dtype=np.float32)
    masks[:, :, 30:32, 3:5] = 1.0  # a lesion on the left of both views
    data = ViewDataset(
        cases=[f"c{i}" for i in range(n)],
        labels=np.ones(n, dtype=np.int64),
        views={"anterior": _views(n).numpy(), "posterior": _views(n, seed=1).numpy()},
        masks={"anterior": masks, "posterior": masks.copy()},
        splits=["train"] * n,
        classes=("normal", "metastatic"),
    )
    objective = ViewsObjective(feed=("anterior", "posterior"), augment="camera")
    g = torch.Generator().manual_seed(0)
    inputs, targets = _batch(data, torch.arange(n), objective, g, augment=True)
    assert torch.equal(targets[0], targets[1])  # one mirrored patient, not two
    mirrored = targets[0][:, 0, 30, 20] == 1
    assert 0 < int(mirrored.sum()) < n
    assert all(x.shape == (n, 1, 64, 24) and float(x.min()) >= 0 for x in inputs)
    assert not torch.equal(inputs[0], torch.from_numpy(data.views["anterior"]))
