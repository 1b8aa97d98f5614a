"""Tissue area: which pixels of a scanner screen are B-mode echo, panel by panel.

    area = find_tissue_area(image)        # TissueArea(panels, overlay, colour, found, reason)
    area.mask                             # tissue: inside a panel, not an annotation
    area.panel_at(row, col)               # which panel a caliper end lies in

Inference crops each panel, measurements refuse to span two panels, and de-identified
exports blank everything that is not tissue. Qt-free and torch-free, like all of engine.
"""

from engine.tissue.area import Panel, TissueArea
from engine.tissue.find import find_tissue_area

__all__ = ["Panel", "TissueArea", "find_tissue_area"]
