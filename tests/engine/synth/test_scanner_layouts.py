"""The synthetic scanner screens and the annotation burner: deterministic, truthful."""

from __future__ import annotations

import numpy as np
import pytest

from engine.synth.scanner_layouts import LAYOUT_KINDS, draw_annotations, render_layout


@pytest.mark.parametrize("kind", LAYOUT_KINDS)
def test_same_seed_same_screen(kind: str) -> None:
    a, b = render_layout(kind, 7), render_layout(kind, 7)
    assert np.array_equal(a.pixels, b.pixels) and np.array_equal(a.overlay, b.overlay)
    assert not np.array_equal(a.pixels, render_layout(kind, 8).pixels)
    assert a.pixels.dtype == np.uint8 and a.pixels.shape[:2] == (600, 800)
    union = np.logical_or.reduce(a.panels)
    assert not (a.overlay & ~union).any() and (a.annotations >= a.overlay).all()
    for i, first in enumerate(a.panels):  # panels never overlap
        for second in a.panels[i + 1 :]:
            assert not (first & second).any()


def test_layouts_carry_what_they_promise() -> None:
    split = render_layout("split", 0)
    assert len(split.panels) == 2 and len(split.seams) == 1
    assert len(render_layout("triple", 0).panels) == 3
    doppler = render_layout("doppler", 0)
    assert doppler.pixels.ndim == 3
    rgb = doppler.pixels.astype(int)
    assert ((rgb.max(axis=-1) - rgb.min(axis=-1)) > 30).sum() > 1000
    sector = render_layout("sector", 0)
    (fan,) = sector.panels
    assert (
        0.4
        < fan.sum() / (np.ptp(np.flatnonzero(fan.any(1))) * np.ptp(np.flatnonzero(fan.any(0))))
        < 0.85
    )
    assert render_layout("rectangle", 0).text[:60].sum() > 300  # the banner
    with pytest.raises(ValueError, match="unknown layout"):
        render_layout("hexagon", 0)


@pytest.mark.parametrize("size", [(96, 128), (256, 256), (480, 640)])
def test_draw_annotations_marks_exactly_what_it_drew(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    gray = np.clip(rng.normal(0.35, 0.1, size), 0, 1)
    annotated, drawn = draw_annotations(gray, np.random.default_rng(5))
    again, drawn_again = draw_annotations(gray, np.random.default_rng(5))
    assert np.array_equal(annotated, again) and np.array_equal(drawn, drawn_again)
    assert annotated.shape == gray.shape and drawn.shape == gray.shape
    assert annotated.min() >= 0.0 and annotated.max() <= 1.0
    assert drawn.sum() > 20
    assert np.array_equal(annotated[~drawn], gray[~drawn])
    assert annotated[drawn].mean() > 0.75  # bright marks, as scanners draw them
