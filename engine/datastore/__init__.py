"""Cases, AI masks and clinician corrections on disk (MONAI Label's datastore idea, plus a
fixed held-out split). Qt-free and torch-free.

store = Datastore()                                  # LESIONLENS_HOME or the user data dir
case = store.add_case("scan.dcm")                    # split fixed now, never changed
store.record_prediction(case, model.predict(image))  # labels/original: written once
store.save_correction(case, mask, "benign", "dr.a")  # labels/final + Dice(original, final)
store.export_training_set("train_dir", split="train")
store.most_useful_to_correct(model)                  # active learning order
"""

from engine.datastore.errors import DatastoreError
from engine.datastore.export import folder_fingerprint, subset_folder
from engine.datastore.heldout import HELDOUT, HELDOUT_FRACTION, TRAIN, split_for
from engine.datastore.home import HOME_ENV, data_root
from engine.datastore.index import SCHEMA_VERSION
from engine.datastore.records import (
    CORRECTED,
    NEW,
    PREDICTED,
    AiLabel,
    CaseRecord,
    ClinicianLabel,
)
from engine.datastore.selection import materialise, pin_cases
from engine.datastore.store import Datastore
from engine.datastore.usefulness import Usefulness, usefulness_score

__all__ = [
    "CORRECTED",
    "HELDOUT",
    "HELDOUT_FRACTION",
    "HOME_ENV",
    "NEW",
    "PREDICTED",
    "SCHEMA_VERSION",
    "TRAIN",
    "AiLabel",
    "CaseRecord",
    "ClinicianLabel",
    "Datastore",
    "DatastoreError",
    "Usefulness",
    "data_root",
    "folder_fingerprint",
    "materialise",
    "pin_cases",
    "split_for",
    "subset_folder",
    "usefulness_score",
]
