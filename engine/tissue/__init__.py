"""Tissue area: which pixels of a scanner screen are B-mode echo, panel by panel.

    area = find_tissue_area(image)        # TissueArea(panels, overlay, colour, found, reason)
    area.mask                             # tissue: inside a panel, not an annotation
    area.panel_at(row, col)               # which panel a caliper end lies in
    tissue_area_of(image)                 # the same, computed once per open image
    fill_overlay(gray, area)              # annotations filled from the tissue around them

Inference crops each panel, measurements refuse to span two panels, and de-identified
exports blank everything that is not tissue. Qt-free and torch-free, like all of engine.
"""

from engine.tissue.area import Panel, TissueArea
from engine.tissue.cache import clear_tissue_cache, tissue_area_of
from engine.tissue.fill import fill_overlay
from engine.tissue.find import find_tissue_area

__all__ = [
    "Panel",
    "TissueArea",
    "clear_tissue_cache",
    "fill_overlay",
    "find_tissue_area",
    "tissue_area_of",
]
