"""Small running min/max filters as numpy slices.

scipy.ndimage's rank filters handle any footprint and dtype, and pay for that: on an 8-bit
800×600 screen a 5×5 opening costs ~20 ms. For the few small rectangular windows the tissue
finder uses, the maximum of size shifted views is a handful of vectorised passes instead.
Borders repeat the edge value (scipy's "nearest" mode).
"""

from __future__ import annotations

import numpy as np


def running_max(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Maximum over a centred window of `size` along `axis` (size odd or even; an even
    window reaches one further before than after, like scipy's)."""
    return _running(values, size, axis, np.maximum)


def running_min(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    return _running(values, size, axis, np.minimum)


def max_filter(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """rows×cols maximum filter (dilation of a bool mask, as uint8 view)."""
    return running_max(running_max(values, rows, 0), cols, 1)


def min_filter(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return running_min(running_min(values, rows, 0), cols, 1)


def opening(values: np.ndarray, size: int) -> np.ndarray:
    """Grey opening by a size×size square: what is left when marks thinner than size go."""
    return max_filter(min_filter(values, size, size), size, size)


def dilated(mask: np.ndarray, rows: int, cols: int | None = None) -> np.ndarray:
    """A bool mask grown by a rows×cols rectangle."""
    return max_filter(mask.view(np.uint8), rows, rows if cols is None else cols).view(bool)


def _running(values: np.ndarray, size: int, axis: int, op) -> np.ndarray:  # noqa: ANN001
    """out[i] = op over values[i - size//2 : i + size - size//2], edges repeated: each shift
    is one vectorised op on a slice (no padding copy, no fancy indexing)."""
    if size <= 1:
        return values
    before = size // 2
    length = values.shape[axis]
    out = values.copy()
    for shift in range(-before, size - before):
        if shift == 0 or abs(shift) >= length:
            continue
        if shift > 0:  # out[i] vs values[i + shift]; the last `shift` see the edge value
            op(
                _slice(out, axis, 0, length - shift),
                _slice(values, axis, shift, length),
                out=_slice(out, axis, 0, length - shift),
            )
            op(
                _slice(out, axis, length - shift, length),
                _slice(values, axis, length - 1, length),
                out=_slice(out, axis, length - shift, length),
            )
        else:  # out[i] vs values[i + shift] (shift < 0); the first `-shift` see the edge
            k = -shift
            op(
                _slice(out, axis, k, length),
                _slice(values, axis, 0, length - k),
                out=_slice(out, axis, k, length),
            )
            op(_slice(out, axis, 0, k), _slice(values, axis, 0, 1), out=_slice(out, axis, 0, k))
    return out


def _slice(values: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    index = [slice(None)] * values.ndim
    index[axis] = slice(start, stop)
    return values[tuple(index)]
