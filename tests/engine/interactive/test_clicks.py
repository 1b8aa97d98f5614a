"""The click simulator and the prompt maps (engine.interactive.clicks)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.interactive.clicks import (
    Box,
    Click,
    first_click,
    iou,
    largest_object,
    next_click,
    prompt_maps,
)


def disc(shape=(64, 64), centre=(30, 40), radius=10) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def test_first_click_is_the_centre_of_the_object() -> None:
    click = first_click(disc())
    assert click.positive
    assert (click.row, click.col) == (30, 40)


def test_first_click_on_an_empty_mask_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        first_click(np.zeros((8, 8), bool))


def test_next_click_is_positive_in_a_missed_region() -> None:
    target = disc()
    prediction = target.copy()
    prediction[:, 40:] = False  # the right half is missed
    click = next_click(target, prediction)
    assert click is not None and click.positive
    assert target[click.row, click.col] and not prediction[click.row, click.col]


def test_next_click_is_negative_in_the_largest_spill() -> None:
    target = disc(radius=6)
    prediction = target | disc(centre=(10, 10), radius=8)  # a large false positive
    click = next_click(target, prediction)
    assert click is not None and not click.positive
    assert (click.row, click.col) == (10, 10)


def test_next_click_chooses_the_larger_error_region() -> None:
    target = disc(radius=12)
    prediction = target.copy()
    prediction[30:33, 40:43] = False  # a small hole (9 px false negative)
    prediction |= disc(centre=(55, 10), radius=6)  # a larger false positive
    click = next_click(target, prediction)
    assert click is not None and not click.positive


def test_no_click_when_the_prediction_is_exact() -> None:
    assert next_click(disc(), disc()) is None


def test_largest_object_and_iou() -> None:
    mask = disc(radius=10) | disc(centre=(5, 5), radius=2)
    assert largest_object(mask).sum() == disc(radius=10).sum()
    assert iou(disc(), disc()) == 1.0
    assert iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0
    half = disc().copy()
    half[:, 40:] = False
    assert 0.4 < iou(half, disc()) < 0.6


def test_prompt_maps_channels() -> None:
    previous = disc()
    maps = prompt_maps(
        (64, 64), [Click(10, 10), Click(50, 50, False)], Box(20, 30, 40, 50), previous, radius=3
    )
    assert maps.shape == (4, 64, 64) and maps.dtype == np.float32
    assert maps[0, 10, 10] == 1 and maps[0, 50, 50] == 0 and maps[0].sum() == 29  # r=3 disk
    assert maps[1, 50, 50] == 1 and maps[1, 10, 10] == 0
    assert maps[2, 20:41, 30:51].all() and maps[2].sum() == 21 * 21
    assert np.array_equal(maps[3] > 0, previous)


def test_click_and_box_parsing() -> None:
    assert Click.parse("12,30") == Click(12, 30, True)
    assert Click.parse("-12.5,30") == Click(12.5, 30, False)
    assert Box.parse("40,50,10,20") == Box(10, 20, 40, 50)
    for bad in ("12", "a,b", "1,2,3"):
        with pytest.raises(ValueError):
            Click.parse(bad)
    with pytest.raises(ValueError):
        Box.parse("1,2,3")
