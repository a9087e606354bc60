"""``ke.late``: the LATE of take-up, by 2SLS with random assignment as the instrument."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._core.linear import LinearFit, fit_2sls
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import as_list, check_alpha
from kaizen_eval.estimate._build import (
    Reporting,
    check_parameters,
    check_varies,
    control_mean,
)
from kaizen_eval.estimate._docs_regression import DOCS
from kaizen_eval.estimate._frame import fe_parameters
from kaizen_eval.estimate._ivdata import iv_data
from kaizen_eval.estimate._moderators import (
    ModeratorRequest,
    equality_results,
    fit_moderated,
    interaction_columns,
)
from kaizen_eval.estimate.iv_first_stage import FirstStage, first_stage
from kaizen_eval.estimate.result import Estimate
from kaizen_eval.estimate.weakiv import anderson_rubin_set


@fill_doc(DOCS)
def late(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str],
    instrument: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    baseline: str | Sequence[str] | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    dose: bool = False,
    by: str | Sequence[str] | None = None,
    by_kind: str | Mapping[str, str] | None = None,
    by_quantiles: Sequence[float] = (0.25, 0.5, 0.75),
) -> Estimate:
    """Estimate the LATE of take-up by two-stage least squares, assignment as the instrument.

    Parameters
    ----------
    df : pandas.DataFrame
    outcome : str
        Outcome column.
    treatment : str or sequence of str
        Take-up column(s) (endogenous): binary (attended) or an intensity (days attended); one
        or two (classroom and on-site training).
    instrument : str or sequence of str
        Random assignment column(s) (excluded instruments), at least as many as treatments.
    %(params_linear)s
    dose : bool
        Declare that an instrument holds doses or several arms coded as values (an
        encouragement intensity). By default an instrument coded other than 0/1 is an error:
        with values such as {0, 1, 3, 4} the "all instruments at 0" group and the one-sided
        non-compliance reading (LATE = ATT) would be wrong.
    by, by_kind, by_quantiles
        Pre-specified moderators, as in :func:`kaizen_eval.estimate.itt.itt`: the take-up
        column(s) and the instruments are both split by level (or interacted with the centred
        moderator), the moderators' main effects are exogenous regressors. Terms are named as
        in ``itt`` with the take-up column in place of the assignment.

    Returns
    -------
    Estimate
        Terms: the treatment columns; ``estimand="LATE"``, ``method="2SLS"``;
        ``.first_stage`` is a :class:`FirstStage` (coefficients, robust F, effective F);
        ``control_mean`` is the mean outcome where all instruments are 0. With one treatment
        (and any number of instruments), ``extra["anderson_rubin"]`` is the
        weak-instrument-robust :class:`~kaizen_eval.estimate.weakiv.AndersonRubinSet` (a note
        says when it is unbounded or empty); for two treatments see
        :func:`~kaizen_eval.estimate.weakiv.anderson_rubin`.

    Raises
    ------
    KaizenError
        As for ``itt`` (the 0/1 check applies to the instruments; take-up may be an
        intensity), plus fewer instruments than treatments and an instrument with no first
        stage. A weak first stage (F < 10) and fewer than 20 clusters give a ``KaizenWarning``
        (a ``UserWarning``) naming the remedy.

    Notes
    -----
    The point estimates are ``(X̂ᵀX̂)⁻¹X̂ᵀy`` with ``X̂ = P_Z X`` on the data after absorbing the
    fixed effects (equal to :class:`linearmodels.iv.IV2SLS`'s, as the tests check); the
    covariance is the shared sandwich with bread ``(X̂ᵀX̂)⁻¹`` and residuals ``y − Xβ̂`` (as in
    ``estimatr::iv_robust``). When nobody with all instruments at 0 takes up the treatment
    (one-sided non-compliance), the LATE equals the
    effect on the treated (ATT), and a note says so.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 400)
    >>> d = z * (rng.random(400) < 0.6)
    >>> df = pd.DataFrame({"invited": z, "attended": d, "y": 3.0 * d + rng.normal(size=400)})
    >>> r = ke.late(df, outcome="y", treatment="attended", instrument="invited")
    >>> r.estimand, r.first_stage.fstat > 100, abs(r.estimate - 3.0) < 0.5
    ('LATE', True, True)
    """
    alpha = check_alpha(alpha)
    treatments = as_list(treatment)
    instruments = as_list(instrument)
    fes = as_list(fixed_effects)
    iv = iv_data(
        df,
        outcome=outcome,
        treatments=treatments,
        instruments=instruments,
        covariates=as_list(covariates),
        fixed_effects=fes,
        cluster=cluster,
        se=se,
        baseline=baseline,
        weights=weights,
        where="late",
        dose=dose,
        by=as_list(by),
    )
    check_varies(iv.data, treatments, (), "treatment")
    notes = iv.notes
    y, d, z, x, x_names, w = iv.y, iv.d, iv.z, iv.x, iv.x_names, iv.weights
    fe_params = fe_parameters(iv.data, fes)
    control = np.all(iv.z == 0, axis=1)
    report = Reporting("LATE", outcome, iv.sample.dropped, control_mean(y, control, w), alpha)
    mods = ModeratorRequest.read(by, by_kind, by_quantiles).build(iv.data, z, instruments, w)
    equality_terms: dict[str, list[str]] = {}
    if len(mods) == 1 and mods[0].kind == "levels":
        m = mods[0]
        d, d_names, equality_terms = _split(d, treatments, m)
        z, z_names, _ = _split(z, instruments, m)
        if m.name not in fes:
            x, x_names = np.hstack([x, m.columns]), [*x_names, *m.labels]
        treatments, instruments = d_names, z_names
    elif mods:
        return _moderated_late(iv, mods, treatments, instruments, fes, fe_params, report)
    check_parameters(len(y), x.shape[1] + d.shape[1] + fe_params, "late")
    tested = None
    if equality_terms:
        tested = {
            dn: [j for j, zn in enumerate(instruments) if zn.endswith(dn[dn.index("[") :])]
            for dn in treatments
        }
    first = _first_stage(iv, x, x_names, d, treatments, z, instruments, tested)
    fit = _fit(iv, x, x_names, d, treatments, z, instruments)
    extra_ar = {}
    by_name = mods[0].name if mods else ""
    equality, table = equality_results(fit, equality_terms, by_name, notes)
    if equality:
        extra_ar["equality"] = equality
        extra_ar["moderation"] = table
    if d.shape[1] == 1:
        ar = anderson_rubin_set(y, d[:, 0], z, x, **iv.inference, alpha=alpha)
        extra_ar["anderson_rubin"] = ar
        if not ar.bounded:
            notes.append(f"{ar}: the 2SLS confidence interval is not reliable")
        elif ar.kind == "empty":
            notes.append(f"{ar}: no constant effect fits all instruments")
    for j, t in enumerate(treatments):
        if control.any() and np.all(d[control, j] == 0):
            notes.append(
                f"non-compliance is one-sided (no unit with {_all_zero(instruments)} has "
                f"{t!r} > 0): the LATE of {t!r} equals the ATT, the effect on those treated"
            )
    return report.wrap(
        fit,
        treatments,
        notes=notes,
        extra={
            "first_stage": first,
            "instruments": tuple(instruments),
            "covariates": tuple(x_names),
            "fixed_effects": tuple(fes),
            **extra_ar,
        },
    )


def _split(a: np.ndarray, names: Sequence[str], m) -> tuple[np.ndarray, list[str], dict]:
    """One column per (column of ``a``, level of the discrete moderator ``m``)."""
    cols, out, groups = [], [], {}
    for j, name in enumerate(names):
        groups[name] = []
        for g, level in enumerate(m.levels):
            cols.append(a[:, j] * (m.codes == g))
            out.append(f"{name}[{m.name}={level}]")
            groups[name].append(out[-1])
    return np.column_stack(cols), out, groups


def _moderated_late(iv, mods, treatments, instruments, fes, fe_params, report):
    """``late`` with continuous or several moderators: the centred interaction model by 2SLS."""
    y, d, z, x, x_names, w = iv.y, iv.d, iv.z, iv.x, iv.x_names, iv.weights
    first: list = []

    def fit_at(centres):
        main, main_names, d_int, d_int_names = interaction_columns(
            mods, centres, d, treatments, fes
        )
        _, _, z_int, z_int_names = interaction_columns(mods, centres, z, instruments, fes)
        ex, ex_names = np.hstack([x, main]), [*x_names, *main_names]
        en, en_names = np.hstack([d, d_int]), [*treatments, *d_int_names]
        ins, ins_names = np.hstack([z, z_int]), [*instruments, *z_int_names]
        check_parameters(len(y), ex.shape[1] + en.shape[1] + fe_params, "late")
        if not first:
            first.append(_first_stage(iv, ex, ex_names, en, en_names, ins, ins_names))
        return _fit(iv, ex, ex_names, en, en_names, ins, ins_names)

    res, notes = fit_moderated(mods, treatments, w, fit_at, iv.notes)
    return report.wrap(
        res.fit,
        res.terms,
        notes=notes,
        extra={
            "first_stage": first[0],
            "instruments": tuple(instruments),
            "covariates": tuple(x_names),
            "fixed_effects": tuple(fes),
            "moderation": res.tests,
        },
        rows=res.lmat,
        dof=res.dof,
    )


def _first_stage(iv, x, x_names, d, d_names, z, z_names, tested=None) -> FirstStage:
    """Fit the first stage of :func:`_fit`'s model (``tested`` as in :func:`first_stage`)."""
    inference = (iv.se_type, iv.clusters, iv.codes, iv.weights)
    return first_stage(d, z, x, d_names, z_names, x_names, *inference, tested)


def _fit(iv, x, x_names, d, d_names, z, z_names) -> LinearFit:
    """2SLS of ``iv.y`` on the endogenous ``d`` and exogenous ``x``, instruments ``z``."""
    names = {"exog_names": x_names, "endog_names": d_names, "instrument_names": z_names}
    return fit_2sls(iv.y, x, d, z, **iv.inference, **names)


def _all_zero(instruments: Sequence[str]) -> str:
    return " and ".join(f"{c} = 0" for c in instruments)
