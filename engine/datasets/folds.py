"""Grouped, stratified k-fold cross-validation folds.

Every group of engine.datasets.groups (one patient, or one chain of near-duplicate images)
lands in exactly one fold, and each fold gets about 1/k of every label. Groups are dealt
largest first, each to the fold that has the fewest cases of its label so far, so the big
near-duplicate chains cannot pile up in one fold; the order among groups of equal size is
drawn from the seed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from engine.datasets.cases import Dataset
from engine.datasets.groups import case_groups


def grouped_folds(dataset: Dataset, k: int = 5, seed: int = 0) -> dict[str, int]:
    """case id -> fold index in 0..k-1."""
    if k < 2:
        raise ValueError("cross-validation needs at least two folds")
    group_of = case_groups(dataset)
    members: dict[str, list[str]] = defaultdict(list)
    label_of = {c.case_id: c.label or "" for c in dataset.cases}
    for case_id, group in group_of.items():
        members[group].append(case_id)
    if len(members) < k:
        raise ValueError(f"{len(members)} independent groups cannot fill {k} folds")
    labels = sorted(set(label_of.values()))
    rng = np.random.default_rng(seed)
    order = sorted(members)
    rng.shuffle(order)
    order.sort(key=lambda g: -len(members[g]))  # stable: the shuffle breaks ties
    counts = np.zeros((k, len(labels)))
    folds: dict[str, int] = {}
    for group in order:
        label = Counter(label_of[c] for c in members[group]).most_common(1)[0][0]
        column = labels.index(label)
        fold = int(np.lexsort((counts.sum(axis=1), counts[:, column]))[0])
        for case_id in members[group]:
            folds[case_id] = fold
        counts[fold, column] += len(members[group])
    return folds
