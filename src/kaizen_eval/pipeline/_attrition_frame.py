"""The frame the attrition section fits: one row per firm assigned, its response, its baseline.

A firm *responds* when its outcome is observed in the section's wave; see
:mod:`kaizen_eval.pipeline._attrition_section` for what counts as non-response.
"""

from __future__ import annotations

import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._sections import label_of
from kaizen_eval.pipeline.plan import Plan
from kaizen_eval.scores.frame import baseline_column, baseline_values

#: The column that says whether a firm's outcome is observed in the section's wave.
RESPONDED = "responded"


def _weight_covariates(plan: Plan) -> list[str]:
    """Return the weights' covariates: ``attrition.weights_covariates``, else the balance's."""
    weights = plan.attrition.weights_covariates
    return list(plan.design.balance if weights is None else weights)


def _covariates(plan: Plan) -> list[str]:
    """Return the baseline columns of the section: the tightening cells and the weights'."""
    return list(dict.fromkeys([*plan.attrition.tighten, *_weight_covariates(plan)]))


@fill_doc(DOCS)
def attrition_frame(
    plan: Plan, long: pd.DataFrame, outcome: str, arm: str
) -> tuple[pd.DataFrame, list[str]]:
    """Return one row per firm assigned to ``arm`` (0/1) with its outcome, response and covariates.

    The firms are every firm of the long panel (a firm without a row in the section's wave
    is a non-respondent); ``outcome`` is its value in ``plan.attrition.wave`` (missing when not
    observed), ``responded`` is 1 when it is observed; the tightening and weighting covariates
    are the firm's baseline values (``design.baseline_wave``; the first wave without one). A
    firm without an assignment or a covariate value is left out and counted in the notes.

    Parameters
    ----------
    plan : Plan
        The plan, with an ``[attrition]`` table.
    %(param_long)s
    outcome : str
        The outcome.
    arm : str
        One assignment column of ``plan.design``.

    Returns
    -------
    frame : pandas.DataFrame
        Indexed by firm id: ``arm``, ``outcome``, ``responded``, ``status`` (the firm's status
        in the wave, ``"no_record"`` without a row, ``"missing"`` without a status) and the
        covariates' baseline values as
        ``<covariate>_baseline`` (so that a covariate may be the outcome itself).
    notes : list of str
        What was counted as non-response, and the firms left out.

    Raises
    ------
    KaizenError
        A column the plan's ``[attrition]`` table names that the data do not have.

    Examples
    --------
    %(example_plan)s
    >>> plan = parse_plan(PLAN + '''
    ... [attrition]
    ... outcomes = ["value_added"]
    ... weights_covariates = []
    ... ''')
    >>> long = pd.DataFrame({"firm_id": ["a", "b", "c", "a", "b"], "invited": [1, 0, 1, 1, 0],
    ...                      "wave": ["baseline"] * 3 + ["followup"] * 2,
    ...                      "status": ["interviewed"] * 4 + ["closed"],
    ...                      "value_added": [1.0, 2.0, 3.0, 4.0, None]})
    >>> frame, notes = attrition_frame(plan, long, "value_added", "invited")
    >>> frame["responded"].tolist(), frame["status"].tolist()
    ([1, 0, 0], ['interviewed', 'closed', 'no_record'])
    >>> notes[0]
    'Value added (USD) is not observed for 2 of 3 firms in followup: 1 closed, 1 without a row.'
    """
    spec, des, id_col = plan.attrition, plan.design, plan.data.id
    wave = str(spec.wave)
    status_col = plan.data.status
    for key, cols in (
        ("attrition.outcomes", [outcome]),
        ("attrition.tighten", list(spec.tighten)),
        (
            "attrition.weights_covariates"
            if spec.weights_covariates is not None
            else "design.balance",
            _covariates(plan),
        ),
    ):
        missing = [c for c in cols if c not in long.columns]
        if missing:
            raise KaizenError(
                f"plan key {key!r} names column(s) {missing} that the data do not have."
            )
    firms = pd.Index(pd.unique(long[id_col]), name=id_col)
    order = {w: i for i, w in enumerate(plan.data.waves)}
    ordered = long.iloc[long["wave"].astype(str).map(order).argsort(kind="stable")]
    assigned = ordered.dropna(subset=[arm]).groupby(id_col, sort=False)[arm].first()
    rows = long[long["wave"] == wave].set_index(id_col)
    frame = pd.DataFrame(index=firms)
    frame[arm] = assigned.reindex(firms)
    frame[outcome] = rows[outcome].reindex(firms)
    frame[RESPONDED] = frame[outcome].notna().astype(int)
    status = (
        rows[status_col].astype("string").reindex(firms)
        if status_col and status_col in rows.columns
        else pd.Series(pd.NA, index=firms, dtype="string")
    )
    present = firms.isin(rows.index)
    frame["status"] = status.where(present, "no_record").fillna("missing")
    base = des.baseline_wave or next(iter(plan.data.waves))
    for c in _covariates(plan):
        frame[baseline_column(c)] = baseline_values(
            long, frame.reset_index(), c, id_col=id_col, baseline_wave=base
        ).to_numpy()
    frame = frame.sort_index()
    notes = [_nonresponse_note(frame, outcome, wave)]
    covs = {baseline_column(c): c for c in _covariates(plan)}
    left = frame[[arm, *covs]].isna()
    if left.any(axis=None):
        why = [
            f"{int(left[c].sum())} without "
            + (label_of(covs[c]).lower() if c != arm else "an assignment")
            for c in left.columns
            if left[c].any()
        ]
        notes.append(
            f"{int(left.any(axis=1).sum())} firm(s) left out of the bounds and weights of "
            f"{label_of(outcome)} ({', '.join(why)}; baseline values from {base})"
        )
        frame = frame[~left.any(axis=1)]
    frame[arm] = frame[arm].astype(int)
    return frame, [F.sentence(n) for n in notes]


_STATUS_WORDS = {
    "no_record": "without a row",
    "not_found": "not found",
    "missing": "without a status",
    "interviewed": "interviewed without it",
}


def _nonresponse_note(frame: pd.DataFrame, outcome: str, wave: str) -> str:
    """Say how many firms have no outcome in ``wave``, by status (what counts as non-response)."""
    lost = frame.loc[frame[RESPONDED] == 0, "status"]
    tally = lost.value_counts(sort=False).sort_index()
    parts = [f"{n} {_STATUS_WORDS.get(s, s)}" for s, n in tally.items()]
    text = (
        f"{label_of(outcome)} is not observed for {len(lost)} of {len(frame)} firms in {wave}"
        + (f": {', '.join(parts)}" if parts else "")
    )
    closed = int((frame["status"] == "closed").sum())
    if closed and not (lost == "closed").any():
        text += f"; the {closed} closed firm(s) have a value and count as respondents"
    return text
