"""``ke.itt``: the intention-to-treat effect of random assignment, by OLS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaizen_eval._core.covariance import check_se_type
from kaizen_eval._core.linear import fit_ols
from kaizen_eval._docs import fill_doc
from kaizen_eval._validation import (
    KaizenError,
    as_list,
    check_alpha,
)
from kaizen_eval.estimate._build import (
    Reporting,
    check_assignment,
    check_cluster_column,
    check_parameters,
    check_varies,
    control_mean,
    regression_outcome,
    weight_column,
)
from kaizen_eval.estimate._covariates import covariate_block
from kaizen_eval.estimate._docs_regression import DOCS
from kaizen_eval.estimate._frame import estimation_sample, fe_codes, fe_parameters
from kaizen_eval.estimate._moderators import (
    ModeratorRequest,
    equality_results,
    fit_moderated,
    interaction_columns,
)
from kaizen_eval.estimate.result import Estimate


@fill_doc(DOCS)
def itt(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str],
    covariates: str | Sequence[str] = (),
    fixed_effects: str | Sequence[str] | None = None,
    cluster: str | None = None,
    se: str | None = None,
    lin: bool = False,
    baseline: str | Sequence[str] | None = None,
    weights: str | None = None,
    interaction: bool = False,
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    dose: bool = False,
    by_kind: str | Mapping[str, str] | None = None,
    by_quantiles: Sequence[float] = (0.25, 0.5, 0.75),
    lin_terms: bool = False,
) -> Estimate:
    """Estimate the intention-to-treat effect of assignment by OLS.

    Regresses ``outcome`` on the assignment column(s), optional covariates, the baseline value of
    the outcome (ANCOVA) and absorbed fixed effects (strata, waves).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per firm (or firm × wave for pooled follow-ups).
    outcome : str
        Outcome column.
    treatment : str or sequence of str
        Assignment column(s), one coefficient per arm.
    %(param_covariates)s
    %(param_fixed_effects)s
    %(param_cluster)s
    %(param_se)s
    lin : bool
        Lin (2013) adjustment: covariates centered at their (weighted) sample means and
        interacted with every treatment column. With one discrete ``by``, Lin's estimator
        within each level: a covariate slope per level, and each level's treatment interacted
        with the covariates centred at that level's mean (``estimatr::lm_lin`` run in each
        level gives the same effects and HC2 standard errors).
    %(param_baseline)s
    %(param_weights)s
    interaction : bool
        With two treatment columns, add their product (a 2×2 factorial's interaction).
    by : str or sequence of str, optional
        Pre-specified moderator(s). One discrete moderator (per survey wave, gender,
        education group, …): one effect per level, terms ``"<treatment>[<by>=<level>]"``, and
        ``extra["equality"]`` holds, per treatment, the Wald test that the effects are equal
        across levels (also in the notes). A continuous moderator, or several moderators: the
        treatment is interacted with the centred moderator(s) (see Notes); terms
        ``"<treatment>"`` (the effect at the moderators' means), ``"<treatment>:<by>"`` (the
        slope; ``"<treatment>:<by>=<level>"`` for a discrete one, the difference from its first
        level) and ``"<treatment>[<by>=p25]"`` … (the effect at the chosen quantiles, or at
        each level). The main effects of the moderators enter as regressors unless ``by`` is
        one of ``fixed_effects``. Every joint test that a moderator's interactions are zero is
        in ``extra["moderation"]`` (a DataFrame indexed by treatment and moderator: ``kind,
        fstat, df1, df2, pvalue``). With ``se="CR2"`` these tests (and the equality tests) are
        Pustejovsky and Tipton's (2018) HTZ small-sample Wald test, ``df2`` fractional, so a
        one-restriction test has the p-value of its row's Satterthwaite t-test; with any other
        ``se`` they are F tests on ``(q, G − 1)`` degrees of freedom when clustered and
        ``(q, N − K)`` otherwise. A note says which test was used.
    by_kind : {"auto", "levels", "continuous"} or mapping, optional
        How to read each moderator (a string for all, or ``{column: kind}``). ``"auto"``
        (default): a numeric column with more than 10 distinct values is continuous, any
        other has levels.
    by_quantiles : sequence of float
        Quantiles of a continuous moderator at which the effect is reported.
    lin_terms : bool
        With ``lin=True``, also report the treatment × centred covariate interactions
        (``"<treatment>:<covariate>"``; ``"<treatment>[<by>=<level>]:<covariate>"`` with
        ``by``).
    %(param_alpha)s
    dose : bool
        Declare that a treatment column holds doses (hours of training, 0/1/2 visits) rather
        than a 0/1 assignment. By default a treatment coded other than 0/1 is an error: a 0/2
        coding would silently halve the ITT.

    Returns
    -------
    Estimate
        Terms: the treatment columns (and ``"a:b"`` with ``interaction``); ``estimand="ITT"``,
        ``method="OLS"``; ``control_mean`` is the mean outcome where all assignments are 0;
        ``dropped`` lists unused rows with the reason; ``extra["fit"]`` holds the full
        :class:`~kaizen_eval._core.linear.LinearFit` (all coefficients).

    Raises
    ------
    KaizenError
        A missing column, a constant outcome, a treatment that does not vary (overall or
        within any stratum) or is not coded 0/1 (without ``dose``), infinite values, weights
        that are not positive, a missing cluster, a single cluster, a fixed effect with a level
        per row, fewer rows than parameters, collinear covariates, an unknown ``se``.

    Warns
    -----
    KaizenWarning
        Fewer than 20 clusters: CR1 t-tests over-reject; use ``ke.wild_cluster_bootstrap``
        (or ``se="CR2"``).

    See Also
    --------
    late : the effect of take-up, instrumented by assignment.

    Notes
    -----
    The model is ``y_i = α + Σ_a τ_a T_ai + x_iᵀβ (+ Σ_a T_ai (x_i − x̄)ᵀγ_a) + μ_s(i) + ε_i``.
    With ``lin=True`` the coefficients ``τ_a`` are consistent for the ITT with any covariates
    (Lin 2013), and HC2 or HC3 standard errors are conservative. Fixed effects are absorbed
    (Frisch–Waugh–Lovell), and counted in the small-sample factor and degrees of freedom
    like Stata's ``areg`` and ``estimatr::lm_robust(fixed_effects=)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import kaizen_eval as ke
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"invited": rng.integers(0, 2, 200), "stratum": rng.integers(0, 4, 200)})
    >>> df["y"] = 2.0 * df["invited"] + rng.normal(size=200)
    >>> r = ke.itt(df, outcome="y", treatment="invited", fixed_effects="stratum")
    >>> r.estimand, r.se_type, round(r.estimate, 1)
    ('ITT', 'HC1', 2.3)
    """
    treatments = as_list(treatment)
    covs = as_list(covariates)
    fes = as_list(fixed_effects)
    if not treatments:
        raise KaizenError("`treatment` names no column")
    if interaction and len(treatments) != 2:
        raise KaizenError(
            f"`interaction=True` needs exactly two treatment columns; got {len(treatments)}"
        )
    if as_list(by) and interaction:
        raise KaizenError("`by` cannot be combined with `interaction`")
    request = ModeratorRequest.read(by, by_kind, by_quantiles)
    mods_by = request.names
    alpha = check_alpha(alpha)
    se_type = check_se_type(se, cluster is not None)
    sample = estimation_sample(
        df,
        [
            ("outcome", [outcome]),
            ("treatment", treatments),
            ("subgroup", mods_by),
            ("covariate", covs),
            ("fixed effect", fes),
            ("cluster", as_list(cluster)),
            ("weight", as_list(weights)),
        ],
        where="itt",
        keep=as_list(baseline),
    )
    data = sample.data
    y = regression_outcome(data, outcome, fes, where="itt")
    t = check_assignment(data, treatments, "treatment", where="itt", dose=dose)
    notes = check_varies(data, treatments, fes, "treatment")
    clusters = check_cluster_column(data, cluster, where="itt", warn=se_type != "CR2")
    t_names = list(treatments)
    if interaction:
        t = np.column_stack([t, t[:, 0] * t[:, 1]])
        t_names.append(f"{treatments[0]}:{treatments[1]}")
    x, x_names, bnotes = covariate_block(data, covs, baseline)
    notes.extend(bnotes)
    w = weight_column(data, weights, where="itt")
    control = np.all(data[treatments].to_numpy(dtype=float) == 0, axis=1)
    report = Reporting("ITT", outcome, sample.dropped, control_mean(y, control, w), alpha)
    equality_terms: dict[str, list[str]] = {}
    mods = request.build(data, t, t_names, w)
    split = len(mods) == 1 and mods[0].kind == "levels"
    if lin and mods and not split:
        raise KaizenError(
            "`lin=True` with `by=` needs one discrete moderator (Lin's adjustment within each "
            f"level); {mods_by} {'are several moderators' if len(mods) > 1 else 'is continuous'}"
        )
    lin_x, lin_names = x, x_names  # the covariates Lin interacts (not the level dummies)
    if split:
        t, t_names, equality_terms, gx, gnames = _split_by(data, t, t_names, mods_by[0], fes)
        x, x_names = np.hstack([x, gx]), [*x_names, *gnames]
    elif mods:
        return _moderated_itt(
            data,
            y,
            t,
            t_names,
            x,
            x_names,
            mods,
            w,
            fes,
            se_type,
            clusters,
            report,
            notes,
        )
    blocks = [t, x]
    names = [*t_names, *x_names]
    if lin and lin_x.shape[1]:
        by_level = data[mods_by[0]] if split else None
        lin_cols, lin_cols_names, note = _lin_blocks(lin_x, lin_names, t, t_names, w, by_level)
        blocks.append(lin_cols)
        names += lin_cols_names
        notes.append(note)
    if not fes:
        blocks.insert(0, np.ones((len(y), 1)))
        names.insert(0, "(Intercept)")
    reported = list(t_names)
    if lin and lin_terms:
        reported.extend(names[len(names) - len(t_names) * len(lin_names) :])
    design = np.hstack(blocks)
    check_parameters(len(y), design.shape[1] + fe_parameters(data, fes), "itt")
    fit = fit_ols(
        y,
        design,
        se=se_type,
        clusters=clusters,
        fixed_effects=fe_codes(data, fes),
        weights=w,
        names=names,
    )
    equality, table = equality_results(fit, equality_terms, mods_by[0] if split else "", notes)
    return report.wrap(
        fit,
        reported,
        notes=notes,
        extra={
            "covariates": tuple(x_names),
            "fixed_effects": tuple(fes),
            "lin": lin,
            "equality": equality,
            "moderation": table,
        },
    )


def _moderated_itt(
    data, y, t, t_names, x, x_names, mods, w, fes, se_type, clusters, report, notes
) -> Estimate:
    """``itt`` with continuous or several moderators: the centred interaction model."""
    k_fe = fe_parameters(data, fes)
    codes = fe_codes(data, fes)

    def fit_at(centres):
        main, main_names, inter, inter_names = interaction_columns(mods, centres, t, t_names, fes)
        blocks, names = [t, inter, main, x], [*t_names, *inter_names, *main_names, *x_names]
        if not fes:
            blocks.insert(0, np.ones((len(y), 1)))
            names.insert(0, "(Intercept)")
        design = np.hstack(blocks)
        check_parameters(len(y), design.shape[1] + k_fe, "itt")
        return fit_ols(
            y, design, se=se_type, clusters=clusters, fixed_effects=codes, weights=w, names=names
        )

    res, notes = fit_moderated(mods, t_names, w, fit_at, notes)
    return report.wrap(
        res.fit,
        res.terms,
        notes=notes,
        extra={
            "covariates": tuple(x_names),
            "fixed_effects": tuple(fes),
            "lin": False,
            "equality": {},
            "moderation": res.tests,
        },
        rows=res.lmat,
        dof=res.dof,
    )


def _lin_blocks(
    x: np.ndarray,
    x_names: list[str],
    t: np.ndarray,
    t_names: list[str],
    w: np.ndarray | None,
    by: pd.Series | None,
) -> tuple[np.ndarray, list[str], str]:
    """Lin's (2013) columns (extra covariate slopes, then treatment × centred covariates), a note.

    Without ``by`` the covariates are centred at their (weighted) sample means and interacted
    with every treatment column. With a discrete ``by`` (``t`` already split into one column
    per treatment and level) Lin's estimator is run within each level: the covariates get a
    slope per level, and each level's treatment column is interacted with the covariates
    centred at that level's mean, so that each level's effect is the Lin estimate in that
    level. The interactions come last, named ``"<treatment column>:<covariate>"``.
    """
    note = "Lin (2013) adjustment: covariates centered at their sample means"
    if by is None:
        centred = x - np.average(x, axis=0, weights=w)
        slopes, slope_names = np.empty((len(x), 0)), []
    else:
        codes, labels = pd.factorize(by, sort=True)
        inside = codes[:, None] == np.arange(len(labels))
        centred = np.zeros_like(x)
        for g in range(len(labels)):
            rows = inside[:, g]
            centred[rows] = x[rows] - np.average(
                x[rows], axis=0, weights=None if w is None else w[rows]
            )
        slopes = np.hstack([x * inside[:, [g]] for g in range(1, len(labels))])
        slope_names = [
            f"{c}[{by.name}={labels[g]}]" for g in range(1, len(labels)) for c in x_names
        ]
        note += f" within each level of {by.name!r}, with slopes by level,"
    inter = np.hstack([centred * t[:, [j]] for j in range(len(t_names))])
    names = [*slope_names, *(f"{tn}:{c}" for tn in t_names for c in x_names)]
    return np.hstack([slopes, inter]), names, note + " and interacted with treatment"


def _split_by(
    data: pd.DataFrame, t: np.ndarray, t_names: list[str], by: str, fes: list[str]
) -> tuple[np.ndarray, list[str], dict[str, list[str]], np.ndarray, list[str]]:
    """One treatment column per level of ``by``, and the level dummies (unless absorbed)."""
    codes, levels = pd.factorize(data[by], sort=True)
    if len(levels) < 2:
        raise KaizenError(
            f"`by={by!r}` has a single level ({str(levels[0])!r}) in the sample; a subgroup "
            "split needs at least two levels"
        )
    cols, names, groups = [], [], {}
    for j, tn in enumerate(t_names):
        groups[tn] = []
        for g, level in enumerate(levels):
            inside = codes == g
            if np.unique(t[inside, j]).size < 2:
                raise KaizenError(
                    f"treatment {tn!r} does not vary within {by} = {level!r}; its effect there "
                    "cannot be estimated"
                )
            cols.append(t[:, j] * inside)
            names.append(f"{tn}[{by}={level}]")
            groups[tn].append(names[-1])
    if by in fes:
        gx, gnames = np.empty((len(codes), 0)), []
    else:
        gx = (codes[:, None] == np.arange(1, len(levels))).astype(float)
        gnames = [f"{by}={level}" for level in levels[1:]]
    return np.column_stack(cols), names, groups, gx, gnames
