"""The nouns every layer shares. Frozen so a view or a finding can be passed around safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # engine.descriptors depends on nothing here; typing only
    from engine.descriptors.types import DescriptorSet


class WindowPreset(NamedTuple):
    """A named window (DICOM WindowCenter/Width) on the values of Image.pixels."""

    name: str
    center: float
    width: float


@dataclass(frozen=True, eq=False)
class VoiLut:
    """A DICOM VOI LUT table: values first_mapped, first_mapped+1, ... map to table[i].

    Already expressed on the values of Image.pixels (so on inverted values for MONOCHROME1);
    output_bits says the range of the table (display = table / (2**output_bits - 1)).
    """

    name: str
    first_mapped: int
    table: np.ndarray
    output_bits: int


@dataclass(frozen=True)
class UltrasoundRegion:
    """One item of DICOM SequenceOfUltrasoundRegions: where it is and what a pixel measures.

    Bounds are inclusive pixel indices (row0..row1, col0..col1), as in the DICOM tags.
    delta_x/delta_y are the physical size of one pixel in units_x/units_y (DICOM units: cm,
    seconds, cm/s, ...); delta_mm is (row, col) in millimetres only when both units are cm.
    spatial_format: "2D", "M-mode", "spectral", "waveform", "graphics" or "none".
    data_type: "tissue", "color flow", "PW spectral Doppler", "CW spectral Doppler",
    "ECG trace", "color bar", ... (DICOM RegionDataType meaning).
    """

    row0: int
    col0: int
    row1: int
    col1: int
    spatial_format: str
    data_type: str
    units_x: str
    units_y: str
    delta_x: float
    delta_y: float
    flags: int = 0
    reference_pixel: tuple[int, int] | None = None  # (x0, y0) when the scanner gave one

    @property
    def delta_mm(self) -> tuple[float, float] | None:
        if self.units_x == "cm" and self.units_y == "cm" and self.delta_x > 0 and self.delta_y > 0:
            return (self.delta_y * 10.0, self.delta_x * 10.0)
        return None

    @property
    def is_tissue(self) -> bool:
        """B-mode tissue: where inference should look and where distances in mm make sense."""
        return self.data_type == "tissue" and self.spatial_format == "2D"

    @property
    def area_px(self) -> int:
        return (self.row1 - self.row0 + 1) * (self.col1 - self.col0 + 1)

    def contains(self, row: float, col: float) -> bool:
        return self.row0 <= row <= self.row1 and self.col0 <= col <= self.col1


@dataclass(frozen=True)
class Image:
    """A 2D picture as acquired.

    pixels: H×W (grayscale) or H×W×3 (RGB), display-ready (MONOCHROME1 already inverted).
    spacing_mm: (row, col) pixel size in millimetres, or None when the image is uncalibrated;
    measurements fall back to pixels then, and say so. For ultrasound it is the spacing of
    the largest tissue region; each region keeps its own (see regions).
    window_presets / voi_luts: the display windows the modality suggested, on pixel values.
    regions: ultrasound regions (bounds, units, deltas); empty for other images.
    metadata: source tags (patient, study, device). Kept apart from the pixels so that
    de-identification has one place to act on.
    """

    pixels: np.ndarray
    photometric: str = "MONOCHROME2"
    spacing_mm: tuple[float, float] | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    window_presets: tuple[WindowPreset, ...] = ()
    voi_luts: tuple[VoiLut, ...] = ()
    regions: tuple[UltrasoundRegion, ...] = ()

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def is_color(self) -> bool:
        return self.pixels.ndim == 3 and self.pixels.shape[-1] == 3

    @property
    def calibrated(self) -> bool:
        return self.spacing_mm is not None


@dataclass(frozen=True)
class Volume:
    """A 3D scan (CT/MR series, enhanced multi-frame, NIfTI) as D×H×W values.

    voxels: values after the modality LUT, slice index first, ordered along the slice normal
    (increasing position). spacing_mm: (z, y, x) = (between slices, row, col).
    orientation: the 6 DICOM direction cosines (row direction, then column direction) in the
    patient frame (LPS); origin: the patient position (mm) of the first voxel of slice 0.
    """

    voxels: np.ndarray
    spacing_mm: tuple[float, float, float]
    orientation: tuple[float, float, float, float, float, float] = (1, 0, 0, 0, 1, 0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    window_presets: tuple[WindowPreset, ...] = ()

    @property
    def depth(self) -> int:
        return int(self.voxels.shape[0])

    @property
    def slice_normal(self) -> tuple[float, float, float]:
        row, col = np.asarray(self.orientation[:3]), np.asarray(self.orientation[3:])
        return tuple(float(v) for v in np.cross(row, col))  # type: ignore[return-value]

    def slice_image(self, index: int) -> Image:
        """One slice as an Image (for display and 2D analysis), spacing (row, col)."""
        return Image(
            pixels=self.voxels[index],
            spacing_mm=(self.spacing_mm[1], self.spacing_mm[2]),
            source=self.source,
            metadata=self.metadata,
            window_presets=self.window_presets,
        )


@dataclass(frozen=True)
class Prediction:
    """What the model said about one image, at the image's own size.

    mask: H×W uint8 labels (0 background, 1 lesion). probabilities: per class, calibrated
    with the bundle's temperature. uncertainty: H×W float32 in [0, 1] (per-pixel binary
    entropy of the segmentation), so the viewer can show where the model hesitates.
    """

    mask: np.ndarray
    probabilities: dict[str, float]
    uncertainty: np.ndarray
    model_id: str
    # Test-time augmentation: spread (standard deviation) of each class probability over the
    # augmented passes, and how many passes there were (1 = no TTA, spread all zero).
    probability_spread: dict[str, float] = field(default_factory=dict)
    tta_passes: int = 1
    # The model's preprocessed view of the image is letterboxed to this size (for the record).
    input_size: int = 0
    # Models with a presence output: the probability that the image shows a lesion at all
    # (calibrated), and whether it reached the bundle's threshold. None/True otherwise.
    lesion_probability: float | None = None
    lesion_found: bool = True
    # The lesion-present threshold applied and the operating point it came from ("" = as the
    # bundle ships it); None for models without a presence output.
    presence_threshold: float | None = None
    operating_point: str = ""
    # Models with a features output: the image features (TTA mean) the scope score reads.
    features: np.ndarray | None = None

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def spread(self) -> float:
        """Spread of the predicted class's probability over the TTA passes."""
        return float(self.probability_spread.get(self.label, 0.0))


@dataclass(frozen=True)
class Measurements:
    """Size of one lesion. *_px always present; *_mm present only on calibrated images."""

    area_px: float
    long_axis_px: float
    short_axis_px: float
    area_mm2: float | None
    long_axis_mm: float | None
    short_axis_mm: float | None
    long_axis_endpoints: tuple[tuple[float, float], tuple[float, float]]
    short_axis_endpoints: tuple[tuple[float, float], tuple[float, float]]
    perimeter_px: float = 0.0
    perimeter_mm: float | None = None
    # Angle of the long axis to the skin line (image rows), degrees in [0, 90]: benign nodes
    # lie roughly parallel (small angle).
    orientation_deg: float = 0.0
    # 1 - area / convex-hull area: 0 for a smooth convex outline, larger for a lobulated one.
    irregularity: float = 0.0

    @property
    def ls_ratio(self) -> float:
        """Long/short axis ratio, the sonographer's roundness index (>= 2 oval, < 1.5 round)."""
        if self.long_axis_mm is not None and self.short_axis_mm:
            return self.long_axis_mm / self.short_axis_mm
        return self.long_axis_px / self.short_axis_px if self.short_axis_px else float("inf")


@dataclass(frozen=True)
class Finding:
    """One lesion: where it is (contour in (row, col) image coordinates) and how big."""

    contour: np.ndarray
    measurements: Measurements
    label: str
    probability: float
    uncertainty: float
    corrected: bool = False
    low_confidence: bool = False
    # Lexicon descriptors (engine.descriptors: BI-RADS for breast models), each with its
    # measurement and a proposed category; None for models that describe nothing.
    descriptors: DescriptorSet | None = None
    # Who set the class: "AI" (the model's image-level class) or "reader" (chosen in the
    # review). Exports say which.
    label_source: str = "AI"
    # Outlined by the reader where the model found nothing: no AI probability, uncertainty or
    # confidence applies to it, and exports say "drawn by reader" instead of showing any.
    drawn_by_reader: bool = False

    @property
    def ai_probability(self) -> float | None:
        """The model's probability for this lesion's class; None on a reader-drawn lesion."""
        return None if self.drawn_by_reader else self.probability


@dataclass(frozen=True)
class LineMeasurement:
    """A caliper the reader drew: (row, col) end points, its length in px and, where the
    image is calibrated for both points, in mm (None otherwise)."""

    start: tuple[float, float]
    end: tuple[float, float]
    length_px: float
    length_mm: float | None = None


@dataclass(frozen=True)
class Scope:
    """The verdict on one image: its score (distance / threshold), in or out, and why."""

    score: float | None  # None: the bundle has no scope model (features not checked)
    in_scope: bool
    reasons: tuple[str, ...] = ()
    forced: bool = False  # the reader ran the model although the image is out of scope

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "score": None if self.score is None else round(self.score, 4),
            "in_scope": self.in_scope,
            "reasons": list(self.reasons),
            "run_on_demand": self.forced,
        }


@dataclass(frozen=True)
class Analysis:
    """An image with the model's prediction and the findings derived from it.

    scope: whether the image is one the model was made for (engine.scope.Scope; None when not
    checked). Out of scope, findings are withheld (empty) unless the reader ran the model on
    demand (scope.forced).
    """

    image: Image
    prediction: Prediction
    findings: tuple[Finding, ...]
    scope: Scope | None = None

    @property
    def withheld(self) -> bool:
        """Findings withheld: the image is out of the model's scope (and not forced)."""
        return self.scope is not None and not self.scope.in_scope and not self.scope.forced

    @property
    def result(self) -> str:
        """The image-level answer in plain words: "lesion found", "no lesion found" or
        "withheld: out of scope"."""
        if self.withheld:
            return "withheld: out of scope"
        return "lesion found" if self.findings else "no lesion found"


@dataclass(frozen=True)
class Study:
    """One case seen from several views (ultrasound + clinical photo, anterior + posterior
    scintigram, ...), so a reader can look at them side by side.

    views: view name -> image or volume, in reading order ("us", "clinical", "anterior",
    "posterior", or "view1", "view2" when the source gave no names). metadata: where the
    study came from (source, StudyInstanceUID, patient) - kept apart from the pixels.
    """

    case_id: str
    views: dict[str, Image | Volume]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyPrediction:
    """What a multi-input model (two views, or photo + ultrasound) said about one case.

    The class belongs to the case, not to a view. view_maps: per view name, where the model
    looked (attention or saliency in [0, 1] at that view's image size) so a reader can check
    the evidence view by view. masks: per view name, a lesion mask (0/1, view size) for the
    views the model segments (the fusion model segments "us"; the two-view model none).
    """

    probabilities: dict[str, float]
    view_maps: dict[str, np.ndarray]
    masks: dict[str, np.ndarray]
    model_id: str
    probability_spread: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class StudyAnalysis:
    """A study with its prediction and, per segmented view, the findings on that view."""

    study: Study
    prediction: StudyPrediction
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumePrediction:
    """What a volume model said about one CT/MR volume, at the volume's own grid.

    labels: D×H×W uint8 label map; label_names[i] names value i (0 is "background").
    probabilities: the tumour class from the deep classifier head; radiomics_probabilities:
    the same question answered by the classical classifier on radiomics features of the
    segmented tumour (empty when there is no tumour or no radiomics model in the bundle).
    volumes_ml: per label name (background excluded), from the voxel spacing.
    """

    labels: np.ndarray
    label_names: tuple[str, ...]
    probabilities: dict[str, float]
    volumes_ml: dict[str, float]
    model_id: str
    radiomics_probabilities: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)  # radiomics of the tumour

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


@runtime_checkable
class CasePrediction(Protocol):
    """What every kind of model says about a case, whatever else it says: the model, the
    probability per class and the class it picked. Prediction (one image), StudyPrediction
    (several views, one class) and VolumePrediction (CT/MR) all carry it, so a batch line,
    a record or a score row can be written once for all of them (engine.tasks)."""

    @property
    def model_id(self) -> str: ...

    @property
    def probabilities(self) -> dict[str, float]: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class VolumeAnalysis:
    """A volume with its prediction: the volume's counterpart of Analysis and StudyAnalysis
    (a volume's findings are its label map and the volumes in mL, both in the prediction)."""

    volume: Volume
    prediction: VolumePrediction


@runtime_checkable
class CaseAnalysis(Protocol):
    """Analysis, StudyAnalysis and VolumeAnalysis: a case's prediction and what follows."""

    @property
    def prediction(self) -> CasePrediction: ...
