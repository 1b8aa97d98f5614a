"""Fit a bundle's scope model (engine.scope): where its training images lie in feature space.

Mean and Ledoit-Wolf shrunk covariance of the image features on the training images (the
shrinkage keeps the inverse stable with a few hundred images in 100+ dimensions); the
threshold is a high percentile of the distances of *held-out* in-scope images, so about
1 % of new in-scope images are flagged and anything further out is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.scope import ScopeModel


def fit_scope(
    train_features: np.ndarray,
    heldout_features: np.ndarray,
    percentile: float = 99.0,
    margin: float = 1.1,
) -> tuple[dict[str, Any], float]:
    """(scope.json content, threshold): the threshold is `margin` × the `percentile` of the
    held-out distances (a held-out set of ~100 images pins the 99th percentile loosely)."""
    from sklearn.covariance import LedoitWolf

    train = np.asarray(train_features, dtype=np.float64)
    estimator = LedoitWolf().fit(train)
    mean, precision = estimator.location_, estimator.precision_
    model = ScopeModel(mean=mean, precision=precision, threshold=1.0)
    distances = np.array([model.distance(f) for f in np.asarray(heldout_features)])
    threshold = float(np.percentile(distances, percentile) * margin)
    content = {
        "method": "mahalanobis-ledoit-wolf",
        "n_train": int(len(train)),
        "shrinkage": round(float(estimator.shrinkage_), 6),
        "heldout_distance_percentiles": {
            str(p): round(float(np.percentile(distances, p)), 4) for p in (50, 90, 95, 99)
        },
        "mean": [round(float(v), 7) for v in mean],
        "precision": [[round(float(v), 7) for v in row] for row in precision],
    }
    return content, threshold
