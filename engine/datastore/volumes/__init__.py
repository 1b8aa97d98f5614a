"""CT/MR volume cases in the datastore (engine.datastore.volumes.store: the store and its
module docstring; records: what the index says of a volume case; export: corrected volumes
as a training folder)."""

from engine.datastore.volumes.records import VOLUME_KIND, VolumeGrid, VolumeRecord
from engine.datastore.volumes.store import VolumeStore, pin_volume_cases

__all__ = ["VOLUME_KIND", "VolumeGrid", "VolumeRecord", "VolumeStore", "pin_volume_cases"]
