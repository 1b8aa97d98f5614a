"""The three reading planes of a volume and how each is laid out on screen, without Qt.

A Volume is (z, y, x) = (slice, row, column). The axial plane is a slice as acquired; the
coronal plane (fixed row) and the sagittal plane (fixed column) are reformats whose vertical
axis is z. Readers expect the head at the top of a reformat, so when the slices run towards
the head (the slice normal points superior, +z in DICOM's LPS frame) the reformat is shown
upside down relative to the array. Everything here returns numpy *views*, so a brush stroke
painted on a plane writes straight into the label volume.

Display coordinates of a plane are (row, col) with pixel centres on integers, as in the 2D
canvas; `voxel` and `plane_point` convert between them and (z, y, x) indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.types import Volume

AXIAL, CORONAL, SAGITTAL = "axial", "coronal", "sagittal"
PLANES = (AXIAL, CORONAL, SAGITTAL)
AXIS = {AXIAL: 0, CORONAL: 1, SAGITTAL: 2}  # the array axis a plane's slice index runs along
TITLES = {AXIAL: "Axial", CORONAL: "Coronal", SAGITTAL: "Sagittal"}

Voxel = tuple[int, int, int]


def anatomical_title(volume: Volume, plane: str) -> str:
    """What the plane shows in the patient: a plane cut across the array axis that runs
    mostly left-right is sagittal, front-back coronal, head-foot axial. For the usual axial
    CT this is the plane's own name; a sagittal MR series gets its views named truly."""
    row_dir = np.asarray(volume.orientation[:3], dtype=np.float64)
    col_dir = np.asarray(volume.orientation[3:], dtype=np.float64)
    normal = np.asarray(volume.slice_normal, dtype=np.float64)
    direction = (normal, col_dir, row_dir)[AXIS[plane]]  # of array axes z, y, x
    return ("Sagittal", "Coronal", "Axial")[int(np.argmax(np.abs(direction)))]


def head_first(volume: Volume) -> bool:
    """True when increasing slice index runs towards the head (normal has a +S component)."""
    return volume.slice_normal[2] > 0


@dataclass(frozen=True)
class PlaneLayout:
    """One plane of one volume: which axis it cuts, and whether its rows are shown flipped."""

    plane: str
    shape_zyx: tuple[int, int, int]
    spacing_zyx: tuple[float, float, float]
    flip_rows: bool  # reformats of a head-first stack: slice D-1 on the top row
    title: str = ""  # what the plane shows in the patient (anatomical_title)

    @classmethod
    def of(cls, volume: Volume, plane: str) -> PlaneLayout:
        shape = tuple(int(n) for n in volume.voxels.shape)
        flip = plane != AXIAL and head_first(volume)
        spacing = tuple(float(s) for s in volume.spacing_mm)
        return cls(plane, shape, spacing, flip, anatomical_title(volume, plane))  # type: ignore[arg-type]

    @property
    def axis(self) -> int:
        return AXIS[self.plane]

    @property
    def count(self) -> int:
        """How many slices of this plane there are (the slider's range)."""
        return self.shape_zyx[self.axis]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the plane on screen."""
        d, h, w = self.shape_zyx
        return {AXIAL: (h, w), CORONAL: (d, w), SAGITTAL: (d, h)}[self.plane]

    @property
    def pixel_mm(self) -> tuple[float, float]:
        """(row, col) size of one displayed pixel in mm: the on-screen aspect."""
        sz, sy, sx = self.spacing_zyx
        return {AXIAL: (sy, sx), CORONAL: (sz, sx), SAGITTAL: (sz, sy)}[self.plane]

    def view(self, array: np.ndarray, index: int) -> np.ndarray:
        """The plane `index` of a (z, y, x) array as shown (a writable view, not a copy)."""
        plane = _cut(array, self.axis, index)
        return plane[::-1] if self.flip_rows else plane

    def voxel(self, index: int, row: float, col: float) -> Voxel | None:
        """The voxel under display point (row, col) of slice `index`; None outside."""
        r, c = round(row), round(col)
        rows, cols = self.shape
        if not (0 <= r < rows and 0 <= c < cols):
            return None
        if self.flip_rows:
            r = rows - 1 - r
        if self.plane == AXIAL:
            return (index, r, c)
        if self.plane == CORONAL:
            return (r, index, c)
        return (r, c, index)

    def plane_point(self, voxel: Voxel) -> tuple[int, int, int]:
        """(slice index, display row, display col) of a voxel in this plane."""
        z, y, x = voxel
        index, row, col = {AXIAL: (z, y, x), CORONAL: (y, z, x), SAGITTAL: (x, z, y)}[self.plane]
        if self.flip_rows:
            row = self.shape[0] - 1 - row
        return index, row, col

    def region(self, index: int, rows: slice, cols: slice) -> tuple[slice, slice, slice]:
        """The (z, y, x) slices of a display box (half-open rows/cols) of slice `index`."""
        if self.flip_rows:
            n = self.shape[0]
            rows = slice(n - rows.stop, n - rows.start)
        one = slice(index, index + 1)
        if self.plane == AXIAL:
            return (one, rows, cols)
        if self.plane == CORONAL:
            return (rows, one, cols)
        return (rows, cols, one)


# DICOM's patient frame (LPS): the letter for the negative and the positive end of each axis.
_LPS_LETTERS = (("R", "L"), ("A", "P"), ("I", "S"))
OBLIQUE_SHARE = 0.25  # a component at least this large adds its letter ("LP" for an oblique)


def direction_letters(vector: np.ndarray) -> str:
    """The patient direction a display axis points to, as radiology letters: "L", "A",
    "S", or two or three for an oblique axis, the strongest first."""
    v = np.asarray(vector, dtype=np.float64)
    order = np.argsort(-np.abs(v))
    return "".join(
        _LPS_LETTERS[axis][int(v[axis] > 0)] for axis in order if abs(v[axis]) >= OBLIQUE_SHARE
    )


def edge_letters(volume: Volume, layout: PlaneLayout) -> dict[str, str]:
    """The orientation letters at the four edges of a plane as shown (top, bottom, left,
    right): an axial CT shows A at the top, P at the bottom, R on the left (the patient's
    right on the reader's left) and L on the right."""
    row_dir = np.asarray(volume.orientation[:3], dtype=np.float64)  # increasing column
    col_dir = np.asarray(volume.orientation[3:], dtype=np.float64)  # increasing row
    normal = np.asarray(volume.slice_normal, dtype=np.float64)  # increasing slice
    down, right = {
        AXIAL: (col_dir, row_dir),
        CORONAL: (normal, row_dir),
        SAGITTAL: (normal, col_dir),
    }[layout.plane]
    if layout.flip_rows:
        down = -down
    return {
        "top": direction_letters(-down),
        "bottom": direction_letters(down),
        "left": direction_letters(-right),
        "right": direction_letters(right),
    }


def _cut(array: np.ndarray, axis: int, index: int) -> np.ndarray:
    if axis == 0:
        return array[index]
    if axis == 1:
        return array[:, index]
    return array[:, :, index]
