"""What one opened path holds, as frames shown one at a time: an image, a cine or a volume.

Qt-free. IMAGE and VOLUME are the engine's kinds of case (engine.case_kind); CINE is how the
window shows an image case with several frames (the CLI reads one, its --frame). Which path
opens as what is desktop.models.opening's question, not this module's: the kind here follows
what was read. Cine frames decode lazily (engine.io.FrameSource), one at a time, and the last few
are kept, so scrubbing back and forth does not decode again.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path

from engine.case_kind import IMAGE, VOLUME
from engine.io import FrameSource, load_any
from engine.types import Image, Volume

CINE = "cine"  # an image case of several frames, shown one at a time
CACHED_FRAMES = 24


class CaseSeries:
    """`count` frames; `frame(i)` is an Image (a cine frame or a volume slice)."""

    def __init__(self, content: Image | Volume | FrameSource) -> None:
        self.content = content
        self.calibration: tuple[float, float] | None = None  # user calibration (row, col) mm
        self._cache: OrderedDict[int, Image] = OrderedDict()
        if isinstance(content, Volume):
            self.kind, self.count = VOLUME, content.depth
        elif isinstance(content, FrameSource):
            self.kind, self.count = CINE, content.count
        else:
            self.kind, self.count = IMAGE, 1

    @classmethod
    def open(cls, path: str | Path) -> CaseSeries:
        """engine.io.load_any: LoadError (file and reason) when it cannot be read."""
        return cls(load_any(path))

    @property
    def frame_time_ms(self) -> float | None:
        if isinstance(self.content, FrameSource):
            return self.content.frame_time_ms
        return None

    @property
    def default_index(self) -> int:
        """Volumes open on the middle slice, where the organ usually is; cines on frame 0."""
        return self.count // 2 if self.kind == VOLUME else 0

    def frame(self, index: int) -> Image:
        if not 0 <= index < self.count:
            raise IndexError(f"frame {index} out of range (0..{self.count - 1})")
        image = self._cache.get(index)
        if image is None:
            image = self._read(index)
            self._cache[index] = image
            if len(self._cache) > CACHED_FRAMES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        if self.calibration is not None:
            image = dataclasses.replace(image, spacing_mm=self.calibration, regions=())
        return image

    def position_text(self, index: int) -> str:
        """What the frame slider's label says."""
        if self.kind == VOLUME:
            assert isinstance(self.content, Volume)
            z = index * self.content.spacing_mm[0]
            return f"slice {index + 1}/{self.count}  z {z:.1f} mm"
        if self.kind == CINE:
            text = f"frame {index + 1}/{self.count}"
            fps = self.rate_fps
            return f"{text}  {fps:.0f} fps" if fps else text
        return ""

    @property
    def rate_fps(self) -> float | None:
        time_ms = self.frame_time_ms
        return 1000.0 / time_ms if time_ms else None

    def _read(self, index: int) -> Image:
        content = self.content
        if isinstance(content, Volume):
            return content.slice_image(index)
        if isinstance(content, FrameSource):
            return content.frame(index)
        return content
