"""Power, bias and coverage of the Kaizen estimands by drawing whole synthetic trials.

Each replication draws a synthetic trial of a site (:func:`kaizen_eval.synthetic.simulate_trial`:
its own stratified assignment, take-up, attrition, exit and skewed value added), builds the
analysis frame through the loader, estimates the site's estimands as an analyst would (strata
fixed effects, ANCOVA on the baseline value, ``se``) and compares them with that trial's truth.
Where :func:`~kaizen_eval.design.simulate.simulate_power` asks "what could this design detect
under a stylized outcome model?", this asks "how do our estimators behave on trials shaped like
the real ones?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import KaizenError, check_count
from kaizen_eval.estimate import itt, late
from kaizen_eval.synthetic import simulate_trial

#: Per site: assignment arms, their take-up, and truth keys of (estimand, term).
_SITE_DESIGN: dict[str, dict[str, Any]] = {
    "ghana": {
        "arms": ["invited"],
        "takeup": ["attended"],
        "truth": {
            ("ITT", "invited"): "itt_value_added",
            ("LATE", "attended"): "late_value_added",
        },
    },
    **{
        site: {
            "arms": ["invited", "onsite"],
            "takeup": ["attended", "onsite_received"],
            "truth": {
                ("ITT", "invited"): "itt_value_added",
                ("ITT", "onsite"): "itt_onsite_value_added",
                ("ITT", "invited:onsite"): "att_interaction_value_added",
                ("LATE", "attended"): "late_value_added",
                ("LATE", "onsite_received"): "late_onsite_value_added",
            },
        }
        for site in ("tanzania", "vietnam", "ethiopia")
    },
}


@dataclass(frozen=True)
class TrialPower:
    """Result of :func:`simulate_trial_power`; immutable.

    Attributes
    ----------
    site : str
        The synthetic site.
    draws : pandas.DataFrame
        One row per replication and estimand: ``rep``, ``estimand``, ``term``, ``estimate``,
        ``std_error``, ``pvalue``, ``ci_low``, ``ci_high``, ``truth`` (that trial's true value).
    summary : pandas.DataFrame
        Per (estimand, term): ``truth`` (mean over replications), ``mean_estimate``, ``bias``,
        ``sd``, ``rmse``, ``power`` (share with p < alpha), ``coverage`` (share of intervals
        containing that trial's truth), ``mc_se_coverage`` and ``reps``.
    alpha : float
        Test level and ``1 - alpha`` interval level.
    """

    site: str
    draws: pd.DataFrame
    summary: pd.DataFrame
    alpha: float

    def __repr__(self) -> str:
        return f"TrialPower({self.site!r})\n{self.summary.to_string(float_format='{:.4g}'.format)}"


def simulate_trial_power(
    site: str,
    *,
    reps: int = 200,
    n_firms: int | None = None,
    outcome: str = "value_added",
    se: str = "HC1",
    alpha: float = 0.05,
    seed: int = 0,
    progress: bool = False,
) -> TrialPower:
    """Draw ``reps`` synthetic trials of ``site`` and report power, bias and coverage.

    Parameters
    ----------
    site : {"ghana", "tanzania", "vietnam", "ethiopia"}
        The design to simulate (Ghana: classroom only; the others: classroom × on-site 2×2).
    reps : int
        Number of simulated trials.
    n_firms : int, optional
        Sample size of each trial (default: the site's real size).
    outcome : str
        ``"value_added"`` (USD per year; the estimands with published counterparts).
    se : str
        Covariance type of the estimates (``"HC1"`` is Stata's ``robust``).
    alpha : float
        Test level; intervals are ``1 - alpha``.
    seed : int
        Seed of the replications (trial ``r`` uses an independent child seed).
    progress : bool
        Show a progress bar.

    Returns
    -------
    TrialPower

    Notes
    -----
    Estimated in each trial (strata fixed effects, ANCOVA on ``<outcome>_baseline`` with
    McKenzie's missing dummy): the ITT of each arm (both arms together), the ITT interaction
    ``invited:onsite`` (factorial sites; its truth is 0 because the simulator has no interaction
    in value added), and the LATE of each take-up by 2SLS. The truth of each trial is an average
    over its own sample, for which robust intervals are conservative (see
    :func:`~kaizen_eval.synthetic.simulate_trial`): coverage above 95% is expected.

    Examples
    --------
    >>> tp = simulate_trial_power("ghana", reps=3, n_firms=120, seed=1)
    >>> list(tp.summary.index)
    [('ITT', 'invited'), ('LATE', 'attended')]
    """
    if site not in _SITE_DESIGN:
        raise KaizenError(f"`site` must be one of {sorted(_SITE_DESIGN)}. You passed: {site!r}.")
    if outcome != "value_added":
        raise KaizenError(
            f"`outcome` must be 'value_added' (the outcome whose truth the simulator calibrates "
            f"per arm). You passed: {outcome!r}."
        )
    check_count("reps", reps, least=2)
    design = _SITE_DESIGN[site]
    seeds = np.random.SeedSequence(seed).generate_state(int(reps))
    spec = {
        "outcome": outcome,
        "fixed_effects": "stratum",
        "baseline": f"{outcome}_baseline",
        "se": se,
        "alpha": alpha,
    }
    rows = []
    for r in progress_bar(
        range(int(reps)), total=int(reps), show=progress, desc=site, unit="trial"
    ):
        trial = simulate_trial(site, n_firms=n_firms, seed=int(seeds[r]))
        df = trial.analysis_frame()
        fits = {"ITT": itt(df, treatment=design["arms"], **spec)}
        if len(design["arms"]) > 1:
            fits["ITT:interaction"] = itt(df, treatment=design["arms"], interaction=True, **spec)
        fits["LATE"] = late(df, treatment=design["takeup"], instrument=design["arms"], **spec)
        for (estimand, term), key in design["truth"].items():
            fit = fits["ITT:interaction"] if ":" in term else fits[estimand]
            t = fit.term(term)
            rows.append(
                {
                    "rep": r,
                    "estimand": estimand,
                    "term": term,
                    "estimate": t["estimate"],
                    "std_error": t["std_error"],
                    "pvalue": t["pvalue"],
                    "ci_low": t["ci_low"],
                    "ci_high": t["ci_high"],
                    "truth": float(trial.truth[key]),
                }
            )
    draws = pd.DataFrame(rows)
    return TrialPower(site=site, draws=draws, summary=_summarize(draws, alpha), alpha=alpha)


def _summarize(draws: pd.DataFrame, alpha: float) -> pd.DataFrame:
    err = draws["estimate"] - draws["truth"]
    covered = (draws["ci_low"] <= draws["truth"]) & (draws["truth"] <= draws["ci_high"])
    frame = draws.assign(
        err=err, sq=err**2, covered=covered.astype(float), reject=(draws["pvalue"] < alpha) * 1.0
    )
    g = frame.groupby(["estimand", "term"], sort=False)
    out = pd.DataFrame(
        {
            "truth": g["truth"].mean(),
            "mean_estimate": g["estimate"].mean(),
            "bias": g["err"].mean(),
            "sd": g["estimate"].std(ddof=1),
            "rmse": np.sqrt(g["sq"].mean()),
            "power": g["reject"].mean(),
            "coverage": g["covered"].mean(),
            "reps": g.size(),
        }
    )
    out["mc_se_coverage"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["reps"])
    return out
