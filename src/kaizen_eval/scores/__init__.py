"""Management-practice scores and standardized indices.

:func:`management_score` turns 0/1 practice items into the share adopted per domain and overall;
:func:`kling_index` (Kling–Liebman–Katz 2007) and :func:`icw_index` (Anderson 2008) combine
several outcomes into one index standardized on the control group at baseline.

Examples
--------
>>> import kaizen_eval as ke
>>> trial = ke.synthetic.simulate_trial("ghana", seed=0)
>>> scores = ke.management_score(trial.waves["followup"], trial.items)
>>> int(scores.table["n_answered_overall"].max())
20
"""

from kaizen_eval.scores.share import ManagementScores, management_score
from kaizen_eval.scores.standardize import StandardizedIndex, icw_index, kling_index

__all__: list[str] = [
    "ManagementScores",
    "StandardizedIndex",
    "icw_index",
    "kling_index",
    "management_score",
]
