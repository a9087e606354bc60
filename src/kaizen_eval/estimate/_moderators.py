"""Pre-specified moderators of ``by=``: which kind each is, and their design columns.

A moderator is either *discrete* (``"levels"``: effects per level) or *continuous*
(``"continuous"``: the treatment interacted with the centred moderator, a slope). ``by_kind``
decides; by default (``"auto"``) a numeric column with more than :data:`MAX_LEVELS` distinct
values is continuous and anything else (text, categories, booleans, few numeric values) has
levels.

The interaction model used for continuous moderators and for several moderators at once is
``y = α + Σ_a τ_a T_a + Σ_m γ_mᵀ(M_m − c_m) + Σ_a Σ_m δ_amᵀ T_a (M_m − c_m) + xᵀβ + ε`` where a
discrete ``M_m`` is its level dummies (first level left out). With ``c_m`` the sample mean,
``τ_a`` is the effect at the mean of every moderator; with ``c_m`` a chosen value (a quantile,
or a level's dummy vector), ``τ_a`` is the effect there — the same regression reparametrized,
so point estimate, standard error and degrees of freedom are those of that contrast.

The joint tests (each moderator's interactions are zero; one discrete moderator's effects are
equal across its levels) are :func:`moderation_test`: with CR2 Pustejovsky and Tipton's (2018)
HTZ Wald test, whose one-restriction case is the Satterthwaite t-test of the reported slope;
with any other covariance ``F(q, G − 1)`` when clustered and ``F(q, N − K)`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._core.linear import LinearFit
from kaizen_eval._core.wald import WaldTest, wald_test
from kaizen_eval._validation import KaizenError, as_list, check_option, check_probability

#: A numeric moderator with more distinct values than this is continuous under ``"auto"``.
MAX_LEVELS = 10
#: Each arm needs at least this many rows in every level of a discrete moderator.
MIN_PER_ARM = 2
KINDS = ("auto", "levels", "continuous")


@dataclass(frozen=True)
class Moderator:
    """One moderator: its kind, its columns (uncentred), their names and reference values.

    ``values`` maps the label of a reference point (``"p25"`` or a level) to the centring
    vector at which the effect is reported.
    """

    name: str
    kind: str
    columns: np.ndarray
    labels: tuple[str, ...]
    values: dict[str, np.ndarray]
    codes: np.ndarray | None
    levels: tuple


def moderation_test(fit: LinearFit, restrictions) -> WaldTest:
    """Test ``restrictions`` on ``fit`` jointly: HTZ with CR2, the F rule otherwise.

    With ``se="CR2"`` it is Pustejovsky and Tipton's HTZ test (``df2`` fractional, as
    ``clubSandwich::Wald_test(test="HTZ")``), so a one-restriction test has the p-value of the
    coefficient's Satterthwaite t-test; with any other covariance it is ``F(q, G − 1)``
    (clustered) or ``F(q, N − K)``.
    """
    return wald_test(fit, restrictions, test="HTZ" if fit.se_type == "CR2" else "F")


def moderation_test_note(se_type: str) -> str:
    """Return a note saying which test the moderation tests are under ``se_type``."""
    if se_type == "CR2":
        return (
            "moderation tests: Pustejovsky–Tipton HTZ small-sample Wald test (CR2), on "
            "F(q, η − q + 1) with fractional denominator degrees of freedom; with one restriction "
            "it is the Satterthwaite t-test of the slope"
        )
    if se_type.startswith("CR"):
        return "moderation tests: Wald F on (q, G − 1) degrees of freedom (clustered covariance)"
    return "moderation tests: Wald F on (q, N − K) degrees of freedom"


def _f_label(test: WaldTest, se_type: str) -> str:
    prefix = "HTZ " if se_type == "CR2" else ""
    return f"{prefix}F({test.df1}, {test.df2:.4g})"


def resolve_kinds(by: Sequence[str], by_kind: str | Mapping[str, str] | None) -> dict[str, str]:
    """Return the declared kind of every moderator (``"auto"`` where nothing is declared)."""
    if by_kind is None:
        return dict.fromkeys(by, "auto")
    if isinstance(by_kind, str):
        check_option("by_kind", by_kind, KINDS)
        return dict.fromkeys(by, by_kind)
    unknown = set(by_kind) - set(by)
    if unknown:
        raise KaizenError(f"`by_kind` names {sorted(unknown)}, which are not in `by` {list(by)}")
    return {m: check_option(f"by_kind[{m!r}]", by_kind.get(m, "auto"), KINDS) for m in by}


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def build_moderator(
    data: pd.DataFrame,
    name: str,
    kind: str,
    t: np.ndarray,
    t_names: Sequence[str],
    quantiles: Sequence[float],
    w: np.ndarray | None,
) -> Moderator:
    """Check one moderator on the estimation sample and build its columns.

    Raises a :class:`KaizenError` naming the moderator when it is constant, when a continuous
    one is not numeric, when a column declared as levels looks continuous, and when an arm has
    fewer than :data:`MIN_PER_ARM` rows in some level.
    """
    s = data[name]
    distinct = s.nunique(dropna=True)
    if distinct < 2:
        raise KaizenError(
            f"moderator `by={name!r}` is constant in the estimation sample (all {len(s)} rows "
            f"have {str(s.iloc[0])!r}); effects cannot differ along it"
        )
    if kind == "auto":
        kind = "continuous" if _is_number(s) and distinct > MAX_LEVELS else "levels"
    if kind == "continuous":
        if not _is_number(s):
            raise KaizenError(
                f"moderator {name!r} is declared continuous but has dtype {s.dtype}; a slope "
                "needs numbers (declare it `by_kind='levels'`)"
            )
        v = s.to_numpy(dtype=float)
        values = {f"p{100 * q:g}": np.array([np.quantile(v, q)]) for q in quantiles}
        return Moderator(name, kind, v[:, None], (name,), values, None, ())
    fractional = _is_number(s) and not np.all(np.mod(s.to_numpy(dtype=float), 1) == 0)
    if fractional and distinct > MAX_LEVELS:
        raise KaizenError(
            f"moderator {name!r} is declared as levels but looks continuous ({distinct} "
            f"distinct fractional values); use `by_kind='continuous'` (a slope) or cut it into "
            "groups first"
        )
    codes, levels = pd.factorize(s, sort=True)
    for j, tn in enumerate(t_names):
        for g, level in enumerate(levels):
            inside = codes == g
            n1 = int(np.sum(t[inside, j] != 0))
            n0 = int(np.sum(inside)) - n1
            if min(n0, n1) < MIN_PER_ARM:
                if n0 == 0 or n1 == 0:
                    raise KaizenError(
                        f"treatment {tn!r} does not vary within {name} = {level!r}; its effect "
                        "there cannot be estimated"
                    )
                raise KaizenError(
                    f"too few observations in {name} = {level!r}: {n1} treated and {n0} "
                    f"untreated for {tn!r} (at least {MIN_PER_ARM} of each are needed)"
                )
    dummies = (codes[:, None] == np.arange(1, len(levels))).astype(float)
    labels = tuple(f"{name}={level}" for level in levels[1:])
    eye = np.vstack([np.zeros(len(levels) - 1), np.eye(len(levels) - 1)])
    values = {str(level): eye[g] for g, level in enumerate(levels)}
    return Moderator(name, "levels", dummies, labels, values, codes, tuple(levels))


def centre(mods: Sequence[Moderator], w: np.ndarray | None) -> list[np.ndarray]:
    """Sample (weighted) means of every moderator's columns: the default centring."""
    return [np.average(m.columns, axis=0, weights=w) for m in mods]


def interaction_columns(
    mods: Sequence[Moderator],
    centres: Sequence[np.ndarray],
    t: np.ndarray,
    t_names: Sequence[str],
    fes: Sequence[str],
) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Main-effect columns ``M − c`` (unless absorbed) and interactions ``T (M − c)``.

    Returns ``(main, main_names, inter, inter_names)``; the interactions are ordered by
    treatment, then moderator.
    """
    main, main_names, inter, inter_names = [], [], [], []
    for m, c in zip(mods, centres, strict=True):
        if m.name not in fes:
            main.append(m.columns - c)
            main_names.extend(m.labels)
    for j, tn in enumerate(t_names):
        for m, c in zip(mods, centres, strict=True):
            inter.append((m.columns - c) * t[:, [j]])
            inter_names.extend(f"{tn}:{label}" for label in m.labels)
    n = len(t)
    stack = lambda b: np.hstack(b) if b else np.empty((n, 0))  # noqa: E731
    return stack(main), main_names, stack(inter), inter_names


def effect_terms(mods: Sequence[Moderator], t_names: Sequence[str]) -> list[tuple[str, int, str]]:
    """``(term, moderator position, value label)`` of every effect reported at a value."""
    out = []
    for tn in t_names:
        for i, m in enumerate(mods):
            out.extend((f"{tn}[{m.name}={label}]", i, label) for label in m.values)
    return out


@dataclass(frozen=True)
class Moderated:
    """A fit with moderators: the reported rows as a matrix ``L`` on its coefficients.

    ``lmat @ fit.coef`` are the reported estimates and ``lmat @ fit.vcov @ lmat.T`` their
    covariance; ``dof`` holds each row's degrees of freedom (those of the reparametrized fit
    for effects at a value, so CR2's Satterthwaite degrees of freedom are the contrast's).
    """

    fit: object
    terms: list[str]
    lmat: np.ndarray
    dof: np.ndarray
    tests: pd.DataFrame


def moderated(mods, t_names, w, fit_at) -> Moderated:
    """Fit at the mean centring, then each value's reparametrization; collect the tests.

    ``fit_at(centres)`` returns the :class:`~kaizen_eval._core.linear.LinearFit` whose
    regressors include ``tn`` and ``f"{tn}:{label}"`` for every treatment and moderator column.
    Each moderator's joint test is :func:`moderation_test`.
    """
    means = centre(mods, w)
    fit = fit_at(means)
    k = len(fit.coef)
    rows, terms, dof = [], [], []

    def unit(name: str) -> np.ndarray:
        e = np.zeros(k)
        e[fit.index(name)] = 1.0
        return e

    effects = effect_terms(mods, t_names)
    records = []
    for tn in t_names:
        for name in [tn] + [f"{tn}:{lab}" for m in mods for lab in m.labels]:
            rows.append(unit(name))
            terms.append(name)
            dof.append(fit.df[fit.index(name)])
        for m in mods:
            pos = [fit.index(f"{tn}:{lab}") for lab in m.labels]
            test = moderation_test(fit, pos)
            records.append(
                {
                    "treatment": tn,
                    "moderator": m.name,
                    "kind": m.kind,
                    "fstat": test.fstat,
                    "df1": test.df1,
                    "df2": test.df2,
                    "pvalue": test.pvalue,
                }
            )
        for term, i, label in effects:
            if not term.startswith(f"{tn}["):
                continue
            m = mods[i]
            at = list(means)
            at[i] = m.values[label]
            refit = fit_at(at)
            row = unit(tn)
            for lab, shift in zip(m.labels, at[i] - means[i], strict=True):
                row[fit.index(f"{tn}:{lab}")] += shift
            rows.append(row)
            terms.append(term)
            dof.append(refit.df[refit.index(tn)])
    tests = pd.DataFrame(records).set_index(["treatment", "moderator"])
    return Moderated(fit, terms, np.vstack(rows), np.asarray(dof, dtype=float), tests)


def equality_tests(
    fit: LinearFit, terms_by_treatment: Mapping[str, Sequence[str]], by: str, notes: list[str]
) -> dict[str, WaldTest]:
    """Wald tests that each treatment's effects are equal across the levels of ``by``.

    ``terms_by_treatment`` maps a treatment to its per-level terms of ``fit``; each test is
    :func:`moderation_test` (HTZ with CR2) and is also said in ``notes``, after a note naming
    the test.

    Examples
    --------
    >>> from kaizen_eval._core.linear import fit_ols
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat([0.0, 1.0], 50)
    >>> t = rng.integers(0, 2, 100).astype(float)
    >>> x = np.column_stack([np.ones(100), g, t * (1 - g), t * g])
    >>> fit = fit_ols(x @ [0.0, 0.5, 1.0, 1.0] + rng.normal(size=100), x,
    ...               names=["(Intercept)", "g", "t[g=0]", "t[g=1]"])
    >>> notes = []
    >>> round(equality_tests(fit, {"t": ["t[g=0]", "t[g=1]"]}, "g", notes)["t"].df1)
    1
    """
    equality = {}
    if terms_by_treatment:
        notes.append(moderation_test_note(fit.se_type))
    for tn, terms in terms_by_treatment.items():
        pos = [fit.index(c) for c in terms]
        rmat = np.zeros((len(pos) - 1, len(fit.coef)))
        for i in range(len(pos) - 1):
            rmat[i, pos[i]], rmat[i, pos[i + 1]] = 1.0, -1.0
        equality[tn] = test = moderation_test(fit, rmat)
        notes.append(
            f"test that the effect of {tn!r} is equal across levels of {by!r}: "
            f"{_f_label(test, fit.se_type)} = {test.fstat:.4g}, p = {test.pvalue:.4g}"
        )
    return equality


def equality_table(by: str, equality: Mapping) -> pd.DataFrame:
    """Return the equality tests of a single discrete ``by`` as a moderation table."""
    records = [
        {
            "treatment": tn,
            "moderator": by,
            "kind": "levels",
            "fstat": t.fstat,
            "df1": t.df1,
            "df2": t.df2,
            "pvalue": t.pvalue,
        }
        for tn, t in equality.items()
    ]
    return pd.DataFrame(records).set_index(["treatment", "moderator"])


def moderation_notes(tests: pd.DataFrame, se_type: str) -> list[str]:
    """Return a note naming the test, then one per moderation test of :func:`moderated`."""
    return [moderation_test_note(se_type)] + [
        f"test that the effect of {tn!r} does not vary with {m!r} ({r['kind']}): "
        f"{_f_label(WaldTest(r['fstat'], r['pvalue'], r['df1'], r['df2']), se_type)} = "
        f"{r['fstat']:.4g}, p = {r['pvalue']:.4g}"
        for (tn, m), r in tests.iterrows()
    ]


@dataclass(frozen=True)
class ModeratorRequest:
    """The pre-specified moderators asked for (``by``, ``by_kind``, ``by_quantiles``), checked."""

    names: list[str]
    kinds: dict[str, str]
    quantiles: list[float]

    @classmethod
    def read(
        cls,
        by: str | Sequence[str] | None,
        by_kind: str | Mapping[str, str] | None,
        by_quantiles: Sequence[float],
    ) -> ModeratorRequest:
        """Check the three arguments of an estimator that takes moderators."""
        names = as_list(by)
        kinds = resolve_kinds(names, by_kind)
        quantiles = [check_probability("by_quantiles", q, zero=False) for q in by_quantiles]
        return cls(names, kinds, quantiles)

    def build(
        self, data: pd.DataFrame, t: np.ndarray, t_names: Sequence[str], w: np.ndarray | None
    ) -> list[Moderator]:
        """Check each moderator on the estimation sample and build its columns."""
        return [
            build_moderator(data, m, self.kinds[m], t, t_names, self.quantiles, w)
            for m in self.names
        ]


def fit_moderated(
    mods: Sequence[Moderator], t_names: Sequence[str], w: np.ndarray | None, fit_at, notes
) -> tuple[Moderated, list[str]]:
    """Fit the centred interaction model; return it and ``notes`` followed by its tests'.

    See :func:`~kaizen_eval.estimate._moderators.moderated`.
    """
    res = moderated(mods, t_names, w, fit_at)
    return res, [*notes, *moderation_notes(res.tests, res.fit.se_type)]


def equality_results(
    fit: LinearFit, terms_by_treatment: Mapping[str, Sequence[str]], by: str, notes: list[str]
) -> tuple[dict[str, WaldTest], pd.DataFrame | None]:
    """Return the tests that effects are equal across the levels of ``by``, and their table.

    See :func:`~kaizen_eval.estimate._moderators.equality_tests` (which adds to ``notes``);
    the table, as :func:`~kaizen_eval.estimate._moderators.equality_table`, is ``None``
    without tests.
    """
    equality = equality_tests(fit, terms_by_treatment, by, notes)
    return equality, equality_table(by, equality) if equality else None
