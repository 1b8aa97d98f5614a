"""TissueArea's questions, region tags, refusals, the cache and the fill."""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.synth.scanner_layouts import render_layout
from engine.tissue import clear_tissue_cache, fill_overlay, find_tissue_area, tissue_area_of
from engine.types import Image, UltrasoundRegion


def _region(r0: int, c0: int, r1: int, c1: int, kind: str = "tissue") -> UltrasoundRegion:
    fmt = "2D" if kind == "tissue" else "none"
    return UltrasoundRegion(r0, c0, r1, c1, fmt, kind, "cm", "cm", 0.01, 0.01)


def test_mask_is_panels_minus_overlay_and_panel_at_names_the_panel() -> None:
    layout = render_layout("split", 1)
    area = find_tissue_area(Image(pixels=layout.pixels))
    union = np.logical_or.reduce([p.mask for p in area.panels])
    assert np.array_equal(area.mask, union & ~area.overlay)
    left, right = sorted(area.panels, key=lambda p: p.box[1])
    row = (left.box[0] + left.box[2]) // 2
    assert area.panel_at(row, left.box[1] + 5) is left
    assert area.panel_at(row, right.box[3] - 5) is right
    assert area.panel_at(2, 2) is None and area.panel_at(-5, 10_000) is None


def test_region_tags_define_the_panels_and_bars_inside_are_overlay() -> None:
    layout = render_layout("cropped", 0)
    pixels = layout.pixels
    regions = (
        _region(0, 0, 599, 399),
        _region(0, 400, 599, 799),
        _region(20, 10, 179, 29, kind="gray bar"),
    )
    area = find_tissue_area(Image(pixels=pixels, regions=regions))
    assert [p.box for p in area.panels] == [(0, 0, 600, 400), (0, 400, 600, 800)]
    assert {p.source for p in area.panels} == {"region tags"}
    assert area.overlay[20:180, 10:30].all()  # the grey bar the tags name
    assert area.reason.startswith("2 panel(s) from ultrasound region tags")


def test_nothing_to_find_says_why() -> None:
    flat = find_tissue_area(Image(pixels=np.full((200, 300), 40, np.uint8)))
    assert not flat.found and flat.panels == () and "no textured area" in flat.reason
    assert not flat.mask.any()
    tiny = find_tissue_area(Image(pixels=np.zeros((8, 8), np.uint8)))
    assert not tiny.found and "too small" in tiny.reason


def test_sixteen_bit_pixels_are_read_on_their_own_range() -> None:
    layout = render_layout("rectangle", 5)
    wide = layout.pixels.astype(np.uint16) * 200 + 1000
    eight = find_tissue_area(Image(pixels=layout.pixels))
    sixteen = find_tissue_area(Image(pixels=wide))
    assert [p.box for p in eight.panels] == [p.box for p in sixteen.panels]


def test_the_area_is_computed_once_per_image() -> None:
    clear_tissue_cache()
    image = Image(pixels=render_layout("sector", 0).pixels)
    first = tissue_area_of(image)
    assert tissue_area_of(image) is first
    assert tissue_area_of(dataclasses.replace(image, spacing_mm=(0.1, 0.1))) is first
    retagged = dataclasses.replace(image, regions=(_region(100, 100, 400, 600),))
    assert tissue_area_of(retagged) is not first  # other tags: another answer
    copy = Image(pixels=image.pixels.copy())
    assert tissue_area_of(copy) is not first


def test_overlay_is_filled_from_the_panel_own_tissue() -> None:
    layout = render_layout("split", 2)
    gray = layout.pixels.astype(np.float32)
    area = find_tissue_area(Image(pixels=layout.pixels))
    out = fill_overlay(gray, area)
    untouched = ~area.overlay
    assert np.array_equal(out[untouched], gray[untouched])
    marks, filled, tissue = gray[area.overlay], out[area.overlay], gray[area.mask]
    assert (marks > np.percentile(tissue, 99.9)).mean() > 0.2  # bright marks (and a rim)
    # ... tissue-like grey after (a few take the colour of marks the finder missed nearby).
    assert np.percentile(filled, 99) <= np.percentile(tissue, 99.9)
    assert abs(float(filled.mean()) - float(tissue.mean())) < 25
    assert fill_overlay(gray, find_tissue_area(Image(pixels=np.zeros((50, 50), np.uint8)))) is gray
