"""Randomization inference: re-draw the assignment as it was made and recompute the statistic.

The test is Fisher's sharp null of no effect for any unit. Assignments are re-drawn by permuting
the observed assignment within strata (complete randomization within strata) and, with
``cluster``, by permuting whole clusters. The statistic is computed for all draws at once:
covariates and fixed effects are partialled out of the outcome once (Frisch–Waugh–Lovell), and
each re-drawn assignment needs only matrix products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import KaizenError, as_list, check_count, check_option, check_seed
from kaizen_eval.estimate._build import check_assignment
from kaizen_eval.estimate._docs_ri import DOCS
from kaizen_eval.estimate.ri_arms import (
    RandomizationArms,
    arm_coefficients,
    joint_pvalues,
    joint_redraws,
)
from kaizen_eval.estimate.ri_draws import BinaryDraws, DrawPlan, permute, redraws
from kaizen_eval.estimate.ri_family import RandomizationFamily, family_null
from kaizen_eval.estimate.ri_pvalues import randomization_pvalues
from kaizen_eval.estimate.ri_result import RandomizationInference
from kaizen_eval.estimate.ri_statistic import (
    RI_STATISTICS,
    RIStatistic,
    StatisticAdapter,
    baseline_columns,
    design_roles,
    ri_sample,
)

__all__ = [
    "RI_STATISTICS",
    "RIStatistic",
    "RandomizationArms",
    "RandomizationInference",
    "randomization_inference",
]

# Old private spellings, kept only because tests/estimate/test_ri_family.py, test_engine.py and
# benchmarks/bench_resampling.py import them from here; new code imports the public names from
# ri_draws / ri_statistic.
_BinaryDraws, _permute, _Statistic = BinaryDraws, permute, StatisticAdapter


@fill_doc(DOCS)
def randomization_inference(
    df: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    treatment: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    fixed_effects: str | Sequence[str] | None = None,
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
    statistic: str = "coef",
    assignment: Any = None,
    baseline: str | Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
    progress: bool = False,
    dose: bool = False,
) -> RandomizationInference | RandomizationFamily | RandomizationArms:
    """Randomization (permutation) test of the sharp null of no effect of ``treatment``.

    For a LATE, the sharp null that take-up has no effect is tested by passing the random
    assignment (the instrument) as ``treatment``: the reduced form carries the test. Confidence
    intervals by test inversion are :func:`~kaizen_eval.estimate.ri_ci.randomization_ci`.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str or sequence of str
        The outcome; or several, tested on the same re-drawn assignments in one pass (a
        :class:`~kaizen_eval.estimate.ri_family.RandomizationFamily`). With several outcomes the
        assignment is re-drawn over every row with the design columns and each outcome's
        statistic uses its own observed rows (as in
        :func:`~kaizen_eval.estimate.multiple.romano_wolf`); when no outcome is missing, each
        p-value equals the one-outcome call's with the same ``seed``.
    treatment : str or sequence of str
        The randomly assigned column, coded 0/1 (several arms coded as values, or doses, with
        ``dose=True``). Several columns (the arms of a cross-randomized design, e.g. classroom
        and on-site) are re-drawn jointly, as they were drawn, and tested in one regression on
        all arms: a :class:`~kaizen_eval.estimate.ri_arms.RandomizationArms` with each arm's
        p-value and the joint test of the sharp null that no arm has any effect (statistic
        ``"coef"``, one outcome).
    %(params_ri_design)s
    statistic : str
        ``"coef"`` (default; with no covariates the difference in means) or ``"t"``
        (coefficient over its HC1 standard error, CR1 with ``cluster``).
    assignment : kaizen_eval.design.Assignment, optional
        The assignment object that produced ``treatment``: the draws then come from its
        ``redraw_many`` (both stages, strata, clusters and re-randomization exactly as drawn),
        rows are matched on its id column, and ``strata``/``cluster`` must not be given (the
        ``cluster`` of the studentized statistic excepted).
    baseline : str, sequence of str, or mapping of outcome to column(s), optional
        Baseline value(s), covariates of the statistic's regression (ANCOVA) each with
        McKenzie's dummy for missing values, exactly as in :func:`~kaizen_eval.estimate.itt.itt`
        (the baseline outcome, and possibly baselines of other variables). With several
        outcomes, a mapping from each outcome to its own baseline column(s).
    %(param_ri_progress)s
    %(param_ri_dose)s

    Returns
    -------
    RandomizationInference or RandomizationFamily or RandomizationArms
        ``.pvalue``, ``.observed``, ``.draws``, ``.exact`` (for several outcomes: Series indexed
        by outcome, draws as a DataFrame, and ``family[outcome]`` for one outcome's test; for
        several arms: ``.pvalue`` of the joint test, ``.pvalues`` and ``.observed`` by arm).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> df = pd.DataFrame({"invited": [0, 1] * 4, "y": [1.0, 3, 2, 4, 1, 5, 2, 3]})
    >>> ri = ke.randomization_inference(df, outcome="y", treatment="invited")
    >>> ri.exact, ri.n_assignments, float(ri.observed), round(ri.pvalue, 4)
    (True, 70, 2.25, 0.0286)
    """
    check_option("statistic", statistic, RI_STATISTICS)
    check_count("draws", draws)
    rng = np.random.default_rng(check_seed("seed", seed))  # a Generator is used as it is
    covs = as_list(covariates)
    fes = as_list(fixed_effects)
    # the design and its draws, the same for the several-arms and the several-outcomes tests
    design = {
        "covariates": covs,
        "strata": strata,
        "cluster": cluster,
        "fixed_effects": fes,
        "draws": draws,
        "rng": rng,
        "assignment": assignment,
        "progress": progress,
        "dose": dose,
    }
    if not isinstance(treatment, str):
        arms = as_list(treatment)
        if len(arms) > 1:
            if not isinstance(outcome, str):
                raise KaizenError("several arms are tested on one outcome at a time")
            if statistic != "coef":
                raise KaizenError(
                    f"with several arms the statistic is 'coef'. You passed: {statistic!r}."
                )
            if isinstance(baseline, Mapping):
                raise KaizenError("`baseline` is a column name (or names) for one outcome")
            return arms_test(df, outcome=outcome, arms=arms, baseline=baseline, **design)
        treatment = arms[0]
    if not isinstance(outcome, str):
        outs = as_list(outcome)
        if baseline is not None and not isinstance(baseline, Mapping):
            if len(outs) != 1:
                raise KaizenError(
                    "with several outcomes, `baseline` maps each outcome to its baseline "
                    f"column, e.g. {{{outs[0]!r}: 'baseline_{outs[0]}'}}"
                )
            baseline = {outs[0]: baseline}
        null = family_null(
            df,
            outcomes=outs,
            treatment=treatment,
            statistic=statistic,
            baselines=dict(baseline or {}),
            where="randomization_inference",
            **design,
        )
        return RandomizationFamily(null, statistic=statistic, treatment=treatment)
    if isinstance(baseline, Mapping):
        raise KaizenError(
            "`baseline` is a column name (or names) for one outcome (a mapping for several)"
        )
    roles = design_roles([treatment], [], covs, strata, cluster, fes)
    sample, y = ri_sample(
        df, outcome, roles, assignment, strata, baseline, "randomization_inference"
    )
    data = sample.data
    t = check_assignment(data, [treatment], "treatment", where="randomization_inference", dose=dose)
    t = t[:, 0]
    n = len(y)
    extra = baseline_columns(data, baseline)
    plan = DrawPlan(strata, cluster, assignment, draws, rng, progress)
    redrawn = redraws(data, t, treatment, plan)
    stat = StatisticAdapter(
        data, y, covs, fes, statistic, cluster_codes=redrawn.cluster_codes, extra=extra
    )
    observed = float(stat(t[:, None])[0])
    values = np.concatenate([stat(a.T) for a in redrawn.blocks])
    exact, n_assign = redrawn.exact, redrawn.n_assignments
    pvalue = float(randomization_pvalues(values[:, None], np.array([observed]), exact)[0])
    return RandomizationInference(
        pvalue=pvalue,
        observed=observed,
        draws=values,
        exact=exact,
        n_assignments=n_assign,
        statistic=statistic,
        treatment=treatment,
        outcome=outcome,
        nobs=n,
        dropped=sample.dropped,
    )


def arms_test(
    df: pd.DataFrame,
    *,
    outcome: str,
    arms: list[str],
    covariates: list[str],
    strata: str | None,
    cluster: str | None,
    fixed_effects: list[str],
    draws: int,
    rng: np.random.Generator,
    assignment: Any,
    baseline: str | Sequence[str] | None,
    progress: bool,
    dose: bool,
) -> RandomizationArms:
    """Several arms re-drawn jointly: each arm's test and the joint test (see ``ri_arms``)."""
    where = "randomization_inference"
    roles = design_roles(arms, [], covariates, strata, cluster, fixed_effects)
    sample, y = ri_sample(df, outcome, roles, assignment, strata, baseline, where)
    data = sample.data
    z = check_assignment(data, arms, "treatment", where=where, dose=dose)
    extra = baseline_columns(data, baseline)
    stat = StatisticAdapter(data, y, covariates, fixed_effects, "coef", None, extra=extra)
    yt = stat.engine.y  # the partialled outcome, (n, 1)
    observed = arm_coefficients(stat, z[None], yt)[0, :, 0]
    plan = DrawPlan(strata, cluster, assignment, draws, rng, progress)
    joint = joint_redraws(data, z, arms, plan)
    values = np.concatenate([arm_coefficients(stat, zb, yt)[..., 0] for zb in joint.blocks])
    per_arm, pvalue = joint_pvalues(observed, values, joint.exact)
    return RandomizationArms(
        pvalue=pvalue,
        pvalues=pd.Series(per_arm, index=arms, name="pvalue"),
        observed=pd.Series(observed, index=arms, name="observed"),
        draws=pd.DataFrame(values, columns=arms),
        exact=joint.exact,
        n_assignments=joint.n_assignments,
        statistic="coef",
        treatments=tuple(arms),
        outcome=outcome,
        nobs=len(y),
        dropped=sample.dropped,
    )
