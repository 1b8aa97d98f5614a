"""One tissue area per open image, shared by inference, calipers and exports.

The finder costs some tens of milliseconds; a caliper is measured on every mouse move, and
an image is predicted, measured and exported many times. Image is frozen and holds a numpy
array (unhashable), and it is a shared type another change may reshape, so the area is not
stored on it: a small LRU is keyed by the identity of the pixel array and the region tags.
A weak reference to the array makes a key whose array was freed (and whose id may be
reused) miss instead of returning another image's area. Arrays are treated as immutable
everywhere in LesionLens (a new Image is made when pixels change), which this relies on.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from engine.tissue.area import TissueArea
from engine.tissue.find import find_tissue_area
from engine.types import Image

CACHE_SIZE = 8

_entries: OrderedDict[int, tuple[weakref.ref, tuple, TissueArea]] = OrderedDict()
_lock = threading.Lock()  # inference runs on a worker thread, calipers on the GUI thread


def tissue_area_of(image: Image) -> TissueArea:
    """find_tissue_area(image), computed once per pixel array and region tags."""
    key = id(image.pixels)
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0]() is image.pixels and entry[1] == image.regions:
            _entries.move_to_end(key)
            return entry[2]
    area = find_tissue_area(image)
    try:
        reference = weakref.ref(image.pixels)
    except TypeError:  # not a weak-referenceable array: do not cache
        return area
    with _lock:
        _entries[key] = (reference, image.regions, area)
        _entries.move_to_end(key)
        while len(_entries) > CACHE_SIZE:
            _entries.popitem(last=False)
    return area


def clear_tissue_cache() -> None:
    """Forget every cached area (tests; after pixels were changed in place)."""
    with _lock:
        _entries.clear()
