"""Two-view (anterior/posterior) whole-body bone scintigraphy, projected from a 3D phantom.

What a gamma camera does with a Tc-99m MDP patient, simplified:
1. tracer in bone (more in the axial skeleton and joints), faint soft tissue, normal
   excretion through the kidneys into the bladder (engine.synth.scinti_body);
2. each structure's activity is attenuated on its way to the camera (exp(-mu*distance): the
   spine is much brighter posteriorly, the sternum anteriorly) and blurred by the collimator
   more the further it is from the detector;
3. the posterior view looks from behind, so it is mirrored left-right;
4. counts are Poisson at the scan's count level; the image is shown as clinicians read it:
   inverted (uptake black on white).

Class semantics: "metastatic" patients carry 1-12 hot spots seeded mostly in the axial
skeleton (spine, ribs, pelvis, skull, proximal femur/humerus, sternum, scapula), 2-6 times
the uptake of the host bone; "normal" patients none. Both classes may show benign look-alikes
(degenerative joint uptake, a tracer extravasation at the injection site) that are NOT in the
mask. The mask of a view holds the footprint of every metastasis that is visible in that view
(its signal reaches at least a third of what the better view sees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.synth.scinti_body import Shape, build_body, make_patient

CLASSES = ("normal", "metastatic")
VIEWS = ("anterior", "posterior")


@dataclass(frozen=True)
class GammaCameraProfile:
    """Acquisition and display settings; `shifted` is another camera and protocol."""

    counts: tuple[float, float] = (0.8e6, 2.0e6)  # total counts in the anterior view
    mu_per_mm: float = 0.011  # effective Tc-99m attenuation in tissue (with scatter)
    fwhm_mm: float = 4.0  # collimator resolution at the face
    fwhm_per_mm: float = 0.045  # growth of the FWHM with distance (LEHR collimator)
    downsample: tuple[float, float] = (1.0, 1.0)
    gamma: tuple[float, float] = (0.75, 0.95)
    window: tuple[float, float] = (0.6, 0.9)  # upper level as a fraction of the bone maximum


DEFAULT_CAMERA = GammaCameraProfile()
SHIFTED_CAMERA = GammaCameraProfile(
    counts=(0.15e6, 0.4e6),  # fast scan or low dose: noisier
    mu_per_mm=0.012,
    fwhm_mm=6.0,
    fwhm_per_mm=0.065,  # general-purpose collimator
    downsample=(1.4, 1.9),  # coarser acquisition matrix
    gamma=(0.55, 0.7),
    window=(0.3, 0.5),
)


@dataclass(frozen=True)
class ScintiSample:
    anterior: np.ndarray  # H×W uint8, inverted display (uptake dark)
    posterior: np.ndarray
    anterior_mask: np.ndarray  # H×W uint8 0/255: metastases visible in this view
    posterior_mask: np.ndarray
    anterior_counts: np.ndarray  # H×W int32 Poisson counts before display
    posterior_counts: np.ndarray
    label: str
    spacing_mm: float
    lesions: tuple[dict, ...]  # per metastasis: host bone, centre (x, y mm), radius mm


def generate_scinti(
    rng: np.random.Generator,
    label: str | None = None,
    profile: GammaCameraProfile = DEFAULT_CAMERA,
    height: int = 512,
    width: int = 192,
) -> ScintiSample:
    if label is None:
        label = CLASSES[int(rng.integers(0, 2))]
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, not {label!r}")
    patient = make_patient(rng)
    shapes = build_body(rng, patient)
    shapes += _benign_lookalikes(rng, shapes)
    lesions = _metastases(rng, shapes) if label == "metastatic" else []
    px = patient.height_mm / (height * rng.uniform(0.9, 0.95))
    top = rng.uniform(0.01, 0.04) * height
    shift_x = rng.normal(0, 0.02) * width
    cols = (np.arange(width) + 0.5 - width / 2 - shift_x) * px
    rows = (np.arange(height) + 0.5 - top) * px
    views, masks = {}, {}
    for view in VIEWS:
        activity = _project(shapes + [s for s, _ in lesions], view, cols, rows, px, profile)
        mask = np.zeros((height, width), dtype=bool)
        for shape, host in lesions:
            if _visible(shape, host, view, profile):
                mask |= _footprint(shape, cols, rows, px)
        if view == "posterior":  # seen from behind: the patient's left is on the left
            activity, mask = activity[:, ::-1], mask[:, ::-1]
        views[view], masks[view] = activity, mask
    scale = rng.uniform(*profile.counts) / max(views["anterior"].sum(), 1e-9)
    counts, shown = {}, {}
    for view in VIEWS:
        expected = _matrix(rng, views[view] * scale, profile)
        counts[view] = rng.poisson(np.clip(expected, 0, None)).astype(np.int32)
        shown[view] = _display(rng, counts[view], profile)
    return ScintiSample(
        anterior=shown["anterior"],
        posterior=shown["posterior"],
        anterior_mask=(masks["anterior"] * 255).astype(np.uint8),
        posterior_mask=(masks["posterior"] * 255).astype(np.uint8),
        anterior_counts=counts["anterior"],
        posterior_counts=counts["posterior"],
        label=label,
        spacing_mm=float(px),
        lesions=tuple(
            {"host": host.name, "centre_mm": shape.points[0], "radius_mm": shape.radius_mm}
            for shape, host in lesions
        ),
    )


# --- lesions --------------------------------------------------------------------------------

HOST_WEIGHTS = {
    "spine": 0.4,
    "rib": 0.22,
    "ilium": 0.08,
    "sacrum": 0.05,
    "pubis": 0.02,
    "ischium": 0.02,
    "femur": 0.06,
    "skull": 0.05,
    "sternum": 0.03,
    "scapula": 0.03,
    "humerus": 0.02,
    "clavicle": 0.02,
}


def _metastases(rng: np.random.Generator, shapes: list[Shape]) -> list[tuple[Shape, Shape]]:
    """Hot spots seeded in bone, mostly axial; returned with the host they sit in."""
    hosts = [s for s in shapes if s.name in HOST_WEIGHTS]
    weights = np.array([HOST_WEIGHTS[s.name] for s in hosts])
    # A rib or vertebra is one of many; weight per bone type, not per shape.
    per_type = {name: sum(1 for s in hosts if s.name == name) for name in HOST_WEIGHTS}
    weights = weights / np.array([per_type[s.name] for s in hosts])
    n = int(min(12, 1 + rng.geometric(0.3) - 1 + rng.integers(0, 3)))
    out = []
    for i in rng.choice(len(hosts), size=n, p=weights / weights.sum()):
        host = hosts[int(i)]
        centre = _point_in(rng, host)
        radius = rng.uniform(6.0, 16.0)
        ratio = rng.uniform(0.6, 1.0)
        depth_semi = min(radius, host.radius_mm if host.kind == "tube" else radius)
        lesion_uptake = _peak_path(host) * rng.uniform(2.0, 6.0) / (2 * depth_semi)
        lesion = Shape(
            "metastasis",
            "ellipsoid",
            (centre,),
            radius,
            radius * ratio,
            lesion_uptake,
            host.depth,
            host.thickness_mm,
            False,
            False,
        )
        out.append((lesion, host))
    return out


def _benign_lookalikes(rng: np.random.Generator, shapes: list[Shape]) -> list[Shape]:
    """Degenerative joint uptake and injection-site extravasation: hot, but not metastases."""
    extra = []
    joints = [s for s in shapes if s.name in ("knee", "shoulder", "hand", "foot")]
    for joint in joints:
        if rng.random() < 0.15:
            extra.append(_hot(rng, joint, _point_in(rng, joint), rng.uniform(1.0, 2.5), 12.0))
    lumbar = [s for s in shapes if s.name == "spine"][-5:]
    if rng.random() < 0.3:  # facet/osteophyte uptake at the lower lumbar spine
        host = lumbar[int(rng.integers(0, len(lumbar)))]
        (x, y) = _point_in(rng, host)
        x += float(rng.choice([-1, 1])) * host.radius_mm * 0.8
        extra.append(_hot(rng, host, (x, y), rng.uniform(0.8, 1.8), 9.0))
    if rng.random() < 0.2:  # tracer extravasated at the injection site (elbow or hand)
        site = [s for s in shapes if s.name in ("elbow", "hand")][int(rng.integers(0, 4))]
        extra.append(_hot(rng, site, site.points[0], rng.uniform(2.0, 6.0), 8.0))
    return extra


def _hot(rng, host: Shape, centre, factor: float, radius: float) -> Shape:  # noqa: ANN001
    r = radius * rng.uniform(0.7, 1.3)
    uptake = _peak_path(host) * factor / (2 * r)
    return Shape(
        "benign_hot",
        "ellipsoid",
        (centre,),
        r,
        r,
        uptake,
        host.depth,
        host.thickness_mm,
        False,
        False,
    )


def _peak_path(shape: Shape) -> float:
    """Tracer along the ray through the middle of the shape (its brightest projection)."""
    if shape.kind == "tube":
        return shape.uptake * 2 * shape.radius_mm
    if shape.kind == "plate":
        return shape.uptake * PLATE_MM
    if shape.kind == "shell":
        return shape.uptake * 2 * np.sqrt(2 * shape.radius_mm * 7.0)
    return shape.uptake * 2 * min(shape.radius_mm, shape.radius_y_mm)


def _point_in(rng: np.random.Generator, shape: Shape) -> tuple[float, float]:
    if shape.kind == "tube":
        pts = np.asarray(shape.points)
        seg = int(rng.integers(0, len(pts) - 1))
        t = rng.uniform(0, 1)
        if shape.name in ("femur", "humerus"):  # proximal part only
            seg, t = 0, rng.uniform(0, 0.6)
        base = pts[seg] + t * (pts[seg + 1] - pts[seg])
        return (
            float(base[0] + rng.normal(0, 0.3) * shape.radius_mm),
            float(base[1] + rng.normal(0, 0.3) * shape.radius_mm),
        )
    cx, cy = shape.points[0]
    angle = rng.uniform(0, 2 * np.pi)
    reach = 0.92 if shape.kind == "shell" else rng.uniform(0, 0.8)
    return (
        float(cx + reach * shape.radius_mm * np.cos(angle)),
        float(cy + reach * shape.radius_y_mm * np.sin(angle)),
    )


def _distance(shape: Shape, view: str) -> float:
    """mm of tissue between the structure and the camera in this view."""
    front = shape.depth if view == "anterior" else 1 - shape.depth
    return front * shape.thickness_mm


def _visible(lesion: Shape, host: Shape, view: str, profile: GammaCameraProfile) -> bool:
    seen = {v: np.exp(-profile.mu_per_mm * _distance(lesion, v)) for v in VIEWS}
    return bool(seen[view] >= seen[max(seen, key=seen.get)] / 3)


def _footprint(shape: Shape, cols: np.ndarray, rows: np.ndarray, px: float) -> np.ndarray:
    cx, cy = shape.points[0]
    rx, ry = max(shape.radius_mm, 1.5 * px), max(shape.radius_y_mm, 1.5 * px)
    return ((cols[None, :] - cx) / rx) ** 2 + ((rows[:, None] - cy) / ry) ** 2 <= 1


# --- projection -----------------------------------------------------------------------------

DEPTH_BINS_MM = (0.0, 70.0, 140.0, np.inf)
PLATE_MM = 8.0  # thickness of a flat bone (scapula, iliac wing) seen face-on


def _project(shapes, view, cols, rows, px, profile) -> np.ndarray:  # noqa: ANN001
    """Attenuated tracer path per pixel, blurred per distance band by the collimator."""
    bins = [np.zeros((rows.size, cols.size)) for _ in DEPTH_BINS_MM[:-1]]
    for shape in shapes:
        dist = _distance(shape, view)
        band = int(np.searchsorted(DEPTH_BINS_MM, dist, side="right") - 1)
        weight = np.exp(-profile.mu_per_mm * dist)
        _accumulate(bins[band], shape, cols, rows, weight)
    out = np.zeros_like(bins[0])
    for band, image in enumerate(bins):
        centre = min(DEPTH_BINS_MM[band] + 35.0, 210.0)
        fwhm = profile.fwhm_mm + profile.fwhm_per_mm * (centre + 30.0)  # + air gap
        out += ndimage.gaussian_filter(image, fwhm / 2.355 / px)
    return out


def _accumulate(image, shape: Shape, cols, rows, weight: float) -> None:  # noqa: ANN001
    """Add uptake × path length through the shape, inside its bounding box only."""
    pts = np.asarray(shape.points, dtype=np.float64)
    reach = shape.radius_mm if shape.kind == "tube" else max(shape.radius_mm, shape.radius_y_mm)
    c0, c1 = np.searchsorted(cols, [pts[:, 0].min() - reach, pts[:, 0].max() + reach])
    r0, r1 = np.searchsorted(rows, [pts[:, 1].min() - reach, pts[:, 1].max() + reach])
    if c1 <= c0 or r1 <= r0:
        return
    x = cols[c0:c1][None, :]
    y = rows[r0:r1][:, None]
    if shape.kind == "tube":
        d2 = np.full((r1 - r0, c1 - c0), np.inf)
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            ab = b - a
            t = np.clip(((x - a[0]) * ab[0] + (y - a[1]) * ab[1]) / max(ab @ ab, 1e-9), 0, 1)
            d2 = np.minimum(d2, (x - a[0] - t * ab[0]) ** 2 + (y - a[1] - t * ab[1]) ** 2)
        path = 2 * np.sqrt(np.clip(shape.radius_mm**2 - d2, 0, None))
    else:
        cx, cy = pts[0]
        rho2 = ((x - cx) / shape.radius_mm) ** 2 + ((y - cy) / shape.radius_y_mm) ** 2
        semi_z = min(shape.radius_mm, shape.radius_y_mm)
        if shape.kind == "ellipsoid":
            path = 2 * semi_z * np.sqrt(np.clip(1 - rho2, 0, None))
        elif shape.kind == "shell":
            k = 1 - 7.0 / semi_z  # 7 mm of cortical bone and diploe
            outer = np.sqrt(np.clip(1 - rho2, 0, None))
            inner = np.sqrt(np.clip(k**2 - rho2, 0, None))
            path = 2 * semi_z * (outer - inner)
        else:  # plate: a flat bone seen face-on
            path = PLATE_MM * np.clip((1 - rho2) * 6, 0, 1)
    image[r0:r1, c0:c1] += weight * shape.uptake * path


def _matrix(rng: np.random.Generator, expected: np.ndarray, profile) -> np.ndarray:  # noqa: ANN001
    """A coarser acquisition matrix, resampled back to the output grid (counts preserved)."""
    factor = rng.uniform(*profile.downsample)
    if factor <= 1.01:
        return expected
    h, w = expected.shape
    small = ndimage.zoom(expected, 1 / factor, order=1)
    big = ndimage.zoom(small, (h / small.shape[0], w / small.shape[1]), order=0)
    return big * expected.sum() / max(big.sum(), 1e-9)


def _display(rng: np.random.Generator, counts: np.ndarray, profile) -> np.ndarray:  # noqa: ANN001
    """Inverted grey scale, upper level set on the skeleton so the bladder saturates."""
    smooth = ndimage.gaussian_filter(counts.astype(np.float64), 1.0)
    body = smooth > np.quantile(smooth, 0.5)
    upper = np.quantile(smooth[body], 0.995) * rng.uniform(*profile.window)
    level = np.clip(counts / max(upper, 1e-9), 0, 1) ** rng.uniform(*profile.gamma)
    return (255 * (1 - level)).astype(np.uint8)
