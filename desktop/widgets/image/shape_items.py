"""How the canvas draws the reader's ellipses, traces and angles: the outline, the handles
that drag, and the value (mm², mm, degrees; px said so; the refusal reason when mm were
refused), in the calipers' colours so every reader measurement reads the same."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from desktop.models.editing.reader_shape import ReaderShape
from desktop.models.image.display import PIXEL_CENTRE

SHAPE_COLOR = "#7cf29c"  # the calipers' green
REFUSED_COLOR = "#ff8a8a"
SELECTED_COLOR = "#ffffff"
LABEL_FILL = pg.mkBrush(8, 9, 11, 170)
LABEL_WIDTH = 230  # screen px: a refusal reason wraps instead of leaving the view
MAX_HANDLES_SHOWN = 40  # a long freehand trace shows its vertices only when selected


def shape_items(shape: ReaderShape, selected: bool, image_width: int) -> list[pg.GraphicsObject]:
    """The outline (thicker and white when selected: Del deletes it, its handles drag), the
    handles as + marks, and the label beside it, kept inside the image."""
    colour = REFUSED_COLOR if shape.refused and not shape.value.calibrated else SHAPE_COLOR
    if shape.refused and shape.value.refused.startswith("image is uncalibrated"):
        colour = SHAPE_COLOR  # px on an uncalibrated image is no fault of the shape
    pen = pg.mkPen(SELECTED_COLOR if selected else colour, width=3.0 if selected else 2.0)
    outline = shape.outline() + PIXEL_CENTRE
    items: list[pg.GraphicsObject] = [pg.PlotDataItem(outline[:, 1], outline[:, 0], pen=pen)]
    handles = np.asarray(shape.handles(), dtype=np.float64) + PIXEL_CENTRE
    if selected or len(handles) <= MAX_HANDLES_SHOWN:
        items.append(
            pg.ScatterPlotItem(
                handles[:, 1],
                handles[:, 0],
                symbol="+",
                size=11 if selected else 9,
                pen=pen,
                brush=None,
            )  # fmt: skip
        )
    html = f'<div style="color:{colour}; font-weight:bold;">{shape.text}'
    if shape.refused and colour == REFUSED_COLOR:
        html += f'<br><span style="font-weight:normal;">{shape.refused}</span>'
    x, y = outline[:, 1], outline[:, 0]
    middle = float(x.mean())
    side, at = 0.5, middle
    if middle > 0.65 * image_width:
        side, at = 1.0, float(x.max())
    elif middle < 0.35 * image_width:
        side, at = 0.0, float(x.min())
    if shape.closed:  # under the outline
        label = pg.TextItem(html=html + "</div>", anchor=(side, 0.0), fill=LABEL_FILL)
        label.setPos(at, float(y.max()) + 3.0)
    else:  # an angle: its degrees just above the vertex, where the eye looks for them
        label = pg.TextItem(html=html + "</div>", anchor=(0.5, 1.0), fill=LABEL_FILL)
        vertex = handles[1]
        label.setPos(float(vertex[1]), float(vertex[0]) - 4.0)
    if colour == REFUSED_COLOR:
        label.setTextWidth(LABEL_WIDTH)
    items.append(label)
    return items
