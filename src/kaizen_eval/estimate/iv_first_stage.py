"""The first stage of ``ke.late``: :class:`FirstStage`, its F tests and the effective F."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from kaizen_eval import _format as F
from kaizen_eval._core.linear import fit_ols
from kaizen_eval._core.wald import wald_test
from kaizen_eval._render import copied
from kaizen_eval._validation import KaizenError, KaizenWarning
from kaizen_eval.estimate._build import fit_estimate
from kaizen_eval.estimate.result import Estimate, PicklesMappings

WEAK_F = 10.0  # rule-of-thumb threshold (Staiger–Stock) below which we warn


@dataclass(frozen=True, eq=False)
class FirstStage(PicklesMappings):
    """First-stage regressions of each endogenous treatment on the excluded instruments.

    The tables are returned as copies, so the result cannot be changed in place.

    Attributes
    ----------
    df : tuple of (int, float)
        ``(df1, df2)`` of the F tests.
    estimates : Mapping[str, Estimate]
        The full first-stage results, one per endogenous variable.
    """

    _mappings = ("estimates",)

    _coefficients: pd.DataFrame
    _fstats: pd.Series
    _pvalues: pd.Series
    _effective_f: pd.Series
    df: tuple[int, float]
    estimates: Mapping[str, Estimate]

    coefficients = copied(
        "_coefficients",
        "Tidy rows of the excluded instruments, indexed by (``endogenous``, ``term``).",
    )

    fstats = copied(
        "_fstats",
        """Wald F of the excluded instruments per endogenous variable.

        Computed with the same (robust or cluster-robust) covariance as the second stage.
        """,
    )

    pvalues = copied("_pvalues", "p-values of :attr:`fstats`.")

    effective_f = copied(
        "_effective_f",
        """Montiel Olea–Pflueger (2013) effective F per endogenous variable.

        ``π̂ᵀZ̃ᵀZ̃π̂ / tr(V̂(π̂) Z̃ᵀZ̃)`` with the second stage's covariance type; it equals the
        robust F with one instrument.
        """,
    )

    @property
    def fstat(self) -> float | pd.Series:
        """The first-stage F: a float with one endogenous variable, else a Series (one each)."""
        return float(self._fstats.iloc[0]) if len(self._fstats) == 1 else self._fstats.copy()

    def __repr__(self) -> str:
        return (
            "<FirstStage F: "
            + ", ".join(f"{k} = {F.number(v, 1)}" for k, v in self._fstats.items())
            + ">\n"
            + F.frame(self._coefficients, index=False).to_string()
        )


def first_stage(
    d, z, x, treatments, instruments, x_names, se_type, clusters, codes, w, tested=None
):
    """First stages; ``tested[t]`` are the instruments of ``t``'s F test (all by default).

    With ``by`` levels, the take-up of level ``g`` is tested on the assignment of level ``g``
    only: the other levels' instruments predict it exactly (0), with a zero variance.
    """
    rows = []
    fstats, pvals, eff, ests = {}, {}, {}, {}
    design = np.hstack([z, x])
    names = [*instruments, *x_names]
    df_pair: tuple[int, float] = (len(instruments), np.nan)
    for j, t in enumerate(treatments):
        fit = fit_ols(
            d[:, j],
            design,
            se=se_type,
            clusters=clusters,
            fixed_effects=codes,
            weights=w,
            names=names,
        )
        coef = fit.coef[: len(instruments)]
        if np.allclose(coef, 0.0, atol=1e-12 * max(1.0, float(np.abs(d[:, j]).max()))):
            raise KaizenError(
                f"no first stage: the instrument(s) {', '.join(map(repr, instruments))} do not "
                f"predict {t!r} at all (coefficients are 0); the LATE is not identified"
            )
        pos = list(range(len(instruments))) if tested is None else tested[t]
        test = wald_test(fit, pos)
        fstats[t], pvals[t] = test.fstat, test.pvalue
        df_pair = (test.df1, test.df2)
        eff[t] = _effective_f(fit, z, x, codes, w, len(instruments))
        e = fit_estimate(fit, instruments, estimand="other", outcome=t, extra={"fit": fit})
        ests[t] = e
        tidy = e.tidy()
        tidy.index = pd.MultiIndex.from_product([[t], tidy.index], names=["endogenous", "term"])
        rows.append(tidy)
        if test.fstat < WEAK_F:
            warnings.warn(
                f"weak first stage for {t!r}: F = {test.fstat:.3g} < {WEAK_F:g}; 2SLS is biased "
                f"towards OLS and its t-test over-rejects (consider Anderson–Rubin inference)",
                KaizenWarning,
                stacklevel=3,
            )
    return FirstStage(
        _coefficients=pd.concat(rows),
        _fstats=pd.Series(fstats, name="F"),
        _pvalues=pd.Series(pvals, name="pvalue"),
        _effective_f=pd.Series(eff, name="effective_F"),
        df=df_pair,
        estimates=MappingProxyType(ests),
    )


def _effective_f(fit, z, x, codes, w, n_inst):
    """Montiel Olea–Pflueger effective F: π̂ᵀ Z̃ᵀZ̃ π̂ / tr(V̂(π̂) Z̃ᵀZ̃), Z̃ = Z after exog/FE."""
    zt, xt = z, x
    if w is not None:
        sw = np.sqrt(w / w.mean())[:, None]
        zt, xt = zt * sw, xt * sw
    if codes is not None:
        from kaizen_eval._core.absorb import Absorber

        ab = Absorber(codes, None if w is None else np.sqrt(w / w.mean()))
        zt, xt = ab.residualize(zt), ab.residualize(xt)
    if xt.shape[1]:
        zt = zt - xt @ np.linalg.lstsq(xt, zt, rcond=None)[0]
    zz = zt.T @ zt
    pi = fit.coef[:n_inst]
    v = fit.vcov[:n_inst, :n_inst]
    return float(pi @ zz @ pi / np.trace(v @ zz))
