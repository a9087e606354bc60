"""The machine learners of :func:`~kaizen_eval.estimate.heterogeneity.heterogeneity`.

Named learners are scikit-learn estimators (imported only when used); any object with ``fit``
and ``predict`` is accepted and cloned for every fit.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from kaizen_eval._validation import KaizenError, check_option

LEARNERS = ("forest", "boosting", "elastic_net")


def make_learner(learner: Any, seed: int) -> Any:
    """Return a fresh, unfitted learner (``seed`` sets its ``random_state`` when it has one).

    Examples
    --------
    >>> type(make_learner("forest", 0)).__name__
    'RandomForestRegressor'
    """
    if isinstance(learner, str):
        check_option("learner", learner, LEARNERS)
        if learner == "forest":
            from sklearn.ensemble import RandomForestRegressor

            return RandomForestRegressor(
                n_estimators=100, min_samples_leaf=5, max_features=0.5, random_state=seed, n_jobs=1
            )
        if learner == "boosting":
            from sklearn.ensemble import HistGradientBoostingRegressor

            return HistGradientBoostingRegressor(max_iter=100, random_state=seed)
        from sklearn.linear_model import ElasticNetCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), ElasticNetCV(l1_ratio=0.5, cv=5, random_state=seed))
    if not (
        callable(getattr(learner, "fit", None)) and callable(getattr(learner, "predict", None))
    ):
        raise KaizenError(
            f"`learner` must be one of {LEARNERS} or an object with fit and predict; got "
            f"{type(learner).__name__}"
        )
    try:
        from sklearn.base import clone

        fresh = clone(learner)
    except Exception:  # not a scikit-learn estimator: a deep copy is the fresh one
        fresh = copy.deepcopy(learner)
    if hasattr(fresh, "random_state"):
        try:
            fresh.random_state = seed
        except AttributeError:  # a read-only attribute: keep the learner's own
            pass
    return fresh


def fit_predict(
    learner: Any, seed: int, x: np.ndarray, y: np.ndarray, new: np.ndarray
) -> np.ndarray:
    """Fit a fresh learner on ``(x, y)`` and predict at ``new``; a failure is a named error."""
    model = make_learner(learner, seed)
    name = learner if isinstance(learner, str) else type(learner).__name__
    try:
        model.fit(x, y)
        pred = np.asarray(model.predict(new), dtype=float).reshape(-1)
    except Exception as exc:
        raise KaizenError(f"the learner {name!r} failed: {type(exc).__name__}: {exc}") from exc
    if pred.shape != (len(new),) or not np.all(np.isfinite(pred)):
        raise KaizenError(
            f"the learner {name!r} returned {pred.shape[0]} predictions for {len(new)} rows, or "
            "values that are not finite"
        )
    return pred
