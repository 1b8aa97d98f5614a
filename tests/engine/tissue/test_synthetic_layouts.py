"""Every screen layout the synthetic scanner draws: panels, overlays and seams are found."""

from __future__ import annotations

import numpy as np
import pytest

from engine.synth.scanner_layouts import LAYOUT_KINDS, render_layout
from engine.tissue import find_tissue_area
from engine.types import Image

SEEDS = (0, 1)


def _image(layout) -> Image:  # noqa: ANN001 - ScreenLayout
    photometric = "RGB" if layout.pixels.ndim == 3 else "MONOCHROME2"
    return Image(pixels=layout.pixels, photometric=photometric)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", LAYOUT_KINDS)
def test_panels_match_the_truth(kind: str, seed: int, tissue_kit) -> None:  # noqa: ANN001
    layout = render_layout(kind, seed)
    area = find_tissue_area(_image(layout))
    assert area.found, area.reason
    assert len(area.panels) == len(layout.panels), area.reason
    for truth in layout.panels:
        best = max(tissue_kit.iou(truth, panel.mask) for panel in area.panels)
        assert best >= 0.9, f"{kind} seed {seed}: best IoU {best:.3f}"
    sizes = [panel.area_px for panel in area.panels]
    assert sizes == sorted(sizes, reverse=True)  # largest first


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", LAYOUT_KINDS)
def test_annotations_inside_panels_are_overlay(kind: str, seed: int) -> None:
    layout = render_layout(kind, seed)
    area = find_tissue_area(_image(layout))
    drawn = layout.overlay & area.panel_union
    found = (area.overlay & drawn).sum() / drawn.sum()
    assert found >= 0.8, f"{kind} seed {seed}: {found:.2f} of the annotation pixels flagged"
    false_alarm = (area.overlay & layout.tissue).sum() / layout.tissue.sum()
    assert false_alarm < 0.03, f"{kind} seed {seed}: {false_alarm:.3%} of tissue flagged"
    # What the finder calls tissue is (nearly) all tissue.
    assert (area.mask & ~layout.tissue).sum() / area.mask.sum() < 0.03


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["split", "dual", "triple"])
def test_no_panel_crosses_a_seam(kind: str, seed: int) -> None:
    layout = render_layout(kind, seed)
    area = find_tissue_area(_image(layout))
    for panel in area.panels:
        overlaps = [int((panel.mask & truth).sum()) for truth in layout.panels]
        assert sorted(overlaps)[-2] == 0, f"panel {panel.box} covers two images: {overlaps}"
        for seam in layout.seams:
            cols = np.flatnonzero(panel.mask.any(axis=0))
            assert cols[-1] < seam or cols[0] > seam, f"panel {panel.box} spans column {seam}"


def test_text_outside_the_panels_is_outside_the_tissue() -> None:
    layout = render_layout("rectangle", 3)
    area = find_tissue_area(_image(layout))
    assert layout.text.sum() > 500  # banner, labels, depth numbers
    assert not (area.mask & layout.text).any()


def test_colour_doppler_is_overlay_and_colour() -> None:
    layout = render_layout("doppler", 2)
    area = find_tissue_area(_image(layout))
    rgb = layout.pixels.astype(int)
    coloured = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 30
    inside = coloured & area.panel_union
    assert inside.sum() > 1000
    assert area.colour[inside].all() and area.overlay[inside].all()


def test_whole_frame_is_one_panel_when_already_cropped() -> None:
    layout = render_layout("cropped", 4)
    area = find_tissue_area(_image(layout))
    (panel,) = area.panels
    assert panel.box == (0, 0, *layout.pixels.shape[:2]) and panel.mask.all()
    assert panel.shape == "rectangle" and panel.source == "image"
