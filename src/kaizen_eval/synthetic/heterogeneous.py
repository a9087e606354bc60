"""A synthetic site whose training effect differs across firms, with the truth attached.

The papers find effects that rise with schooling (record keeping needs arithmetic) and
differ between women and men (Tanzania). :func:`heterogeneous_firms` draws one follow-up
cross-section in which the effect of the invitation on value added is

``τ_i = effect + educ_slope · (educ_years_i − mean educ_years) + female_gap · female_i``

(the ``female_gap`` is set relative to men and the centring makes ``effect`` the effect at the
mean schooling for men), so that ``itt(..., by=...)``, ``heterogeneity`` and ``targeting`` can
be checked against a known truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaizen_eval._validation import check_count, check_finite_number, check_seed


def heterogeneous_firms(
    n: int = 1_000,
    *,
    effect: float = 1_500.0,
    educ_slope: float = 300.0,
    female_gap: float = -600.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw firms with an invitation effect on value added that varies with schooling and gender.

    Parameters
    ----------
    n : int
        Number of firms (randomized 1:1 within four strata).
    effect : float
        Effect (USD of annual value added) for a man with the sample's mean schooling.
    educ_slope : float
        Change of the effect per year of schooling.
    female_gap : float
        Effect of a woman minus that of a man with the same schooling.
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        ``firm_id, stratum, educ_years, female, firm_age, va0, invited, va, true_effect`` (the
        firm's own effect ``τ_i``).

    Examples
    --------
    >>> from kaizen_eval.synthetic import heterogeneous_firms
    >>> df = heterogeneous_firms(200, seed=1)
    >>> list(df.columns[-3:]), len(df)
    (['invited', 'va', 'true_effect'], 200)
    """
    n = check_count("n", n, least=8)
    effect, educ_slope, female_gap = (
        check_finite_number(k, v)
        for k, v in (("effect", effect), ("educ_slope", educ_slope), ("female_gap", female_gap))
    )
    check_seed("seed", seed, generator=False)
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 4, n)
    invited = np.zeros(n, dtype=int)
    for s in range(4):  # complete randomization within strata
        idx = np.flatnonzero(stratum == s)
        invited[rng.permutation(idx)[: len(idx) // 2]] = 1
    educ = np.clip(np.round(rng.normal(9, 3, n)), 0, 18)
    female = (rng.random(n) < 0.45).astype(int)
    age = np.round(rng.gamma(3, 4, n))
    va0 = np.exp(rng.normal(8, 0.6, n)) + 150 * educ
    tau = effect + educ_slope * (educ - educ.mean()) + female_gap * female
    va = 0.7 * va0 + 200 * stratum + 20 * age + invited * tau + rng.normal(0, 1_500, n)
    return pd.DataFrame(
        {
            "firm_id": [f"H{i:05d}" for i in range(n)],
            "stratum": stratum,
            "educ_years": educ,
            "female": female,
            "firm_age": age,
            "va0": va0.round(2),
            "invited": invited,
            "va": va.round(2),
            "true_effect": tau,
        }
    )
