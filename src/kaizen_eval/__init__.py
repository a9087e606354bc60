"""kaizen_eval: randomized evaluations of Kaizen management training for small firms.

The pipeline runs one way: survey waves (:mod:`kaizen_eval.waves`) → design
(:mod:`kaizen_eval.design`) → estimators (:mod:`kaizen_eval.estimate`) → cost-benefit
(:mod:`kaizen_eval.costbenefit`) → report (:mod:`kaizen_eval.report`). Synthetic trials with
known truth live in :mod:`kaizen_eval.synthetic`.

Examples
--------
>>> import kaizen_eval as ke
>>> ke.cost_benefit(gain=13_890, cost=740).bcr  # doctest: +SKIP
18.77...
"""

from kaizen_eval import costbenefit, design, estimate, report, scores, studies, synthetic, waves
from kaizen_eval._validation import KaizenError, KaizenWarning, MissingColumnError
from kaizen_eval._version import __version__
from kaizen_eval.costbenefit import *  # noqa: F403
from kaizen_eval.design import *  # noqa: F403
from kaizen_eval.estimate import *  # noqa: F403
from kaizen_eval.report import *  # noqa: F403
from kaizen_eval.scores import *  # noqa: F403
from kaizen_eval.studies import *  # noqa: F403
from kaizen_eval.waves import *  # noqa: F403

#: The numerical kernels under the estimators: importable from :mod:`kaizen_eval.estimate`
#: (and, for code written against earlier releases, as ``ke.<name>``), but not part of the user
#: API, so not in ``__all__``: ``from kaizen_eval import *`` and the reference docs leave them out.
NUMERICAL_INTERNALS: frozenset[str] = frozenset(
    {"LinearFit", "SEType", "SE_TYPES", "WaldTest", "fit_2sls", "fit_ols", "wald_test"}
)

__all__ = [
    "KaizenError",
    "KaizenWarning",
    "MissingColumnError",
    "__version__",
    "synthetic",
    *waves.__all__,
    *scores.__all__,
    *design.__all__,
    *studies.__all__,
    *estimate.__all__,
    *costbenefit.__all__,
    *report.__all__,
]
__all__ = [name for name in __all__ if name not in NUMERICAL_INTERNALS]
