"""Users' data sets: index a folder in any supported layout, validate it, fix its split.

dataset = load_dataset("~/data/busi")       # format detected; no pixels read
report = validate(dataset)                   # every problem, with case and reason
dataset = ensure_fixed_split(report.good())  # split.csv beside the data, made once
folds = grouped_folds(dataset, k=5)          # cross-validation, groups never straddle
image, mask = read_image(case.view()), read_mask(case.view())
"""

from engine.datasets.cases import SINGLE_VIEW, Case, Dataset, Problem, View
from engine.datasets.folds import grouped_folds
from engine.datasets.groups import case_groups
from engine.datasets.isic import binary_label
from engine.datasets.loader import detect_format, load_dataset
from engine.datasets.pixels import read_array, read_image, read_mask
from engine.datasets.split import draw_split, ensure_fixed_split
from engine.datasets.validate import DatasetReport, validate

__all__ = [
    "SINGLE_VIEW",
    "Case",
    "Dataset",
    "DatasetReport",
    "Problem",
    "View",
    "binary_label",
    "case_groups",
    "detect_format",
    "draw_split",
    "ensure_fixed_split",
    "grouped_folds",
    "load_dataset",
    "read_array",
    "read_image",
    "read_mask",
    "validate",
]
