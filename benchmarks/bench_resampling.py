"""Benchmark: resampling inference, single fits at scale and simulated power (issue 7).

Measures, in one run and on the same data, kaizen_eval against its peers and prints the ratios:

1. Randomization-inference p-values of an HC1 t statistic (N firms, strata, ANCOVA with
   covariates and strata fixed effects, several outcomes): ``ke.randomization_inference`` per
   outcome and ``ke.romano_wolf`` over the family, against a statsmodels refit-per-draw loop,
   pyfixest's ``ritest`` and the bare matrix products the computation needs.
2. The same for the 2SLS (LATE) t statistic.
3. Single ITT and LATE fits with strata fixed effects and clustered standard errors at large N,
   against pyfixest ``feols`` and linearmodels ``IV2SLS`` with strata dummies (estimates and
   standard errors compared with linearmodels).
4. ``ke.simulate_power`` of a Tanzania-like 2x2 factorial design: time and peak memory.
5. ``ke.power_grid`` over 8 design points (ITT and LATE, clustered), serially and on the local
   cores: time and peak memory.

Peers that are not installed (pyfixest is not a dependency) are skipped with a message.
Run ``python benchmarks/bench_resampling.py`` (about 10 minutes) or add ``--quick``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import kaizen_eval as ke

COVARIATES = ("x1", "x2", "x3", "x4")


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def make_trial(
    n: int = 400, n_strata: int = 8, n_outcomes: int = 10, seed: int = 0
) -> pd.DataFrame:
    """A stratified trial: half of each stratum invited, take-up, 4 covariates, outcomes."""
    rng = np.random.default_rng(seed)
    stratum = np.arange(n) % n_strata
    invited = np.zeros(n)
    for s in range(n_strata):
        members = np.flatnonzero(stratum == s)
        invited[rng.permutation(members)[: len(members) // 2]] = 1.0
    attended = invited * (rng.random(n) < 0.6)
    df = pd.DataFrame({"firm_id": np.arange(n), "stratum": stratum, "invited": invited})
    df["attended"] = attended
    x = rng.normal(size=(n, len(COVARIATES)))
    for j, c in enumerate(COVARIATES):
        df[c] = x[:, j]
    for k in range(n_outcomes):
        df[f"y{k}"] = 0.15 * (k % 3) * attended + x @ [0.5, 0.3, 0.0, -0.2] + rng.normal(size=n)
    return df


def outcomes_of(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("y")]


def make_panel(n: int, n_strata: int = 50, waves: int = 5, seed: int = 0) -> pd.DataFrame:
    """Firm-wave panel of ``n`` rows: firms in strata, invitation by firm, clusters = firms."""
    rng = np.random.default_rng(seed)
    firms = max(n // waves, 2 * n_strata)
    firm = np.arange(n) % firms
    stratum_f = np.arange(firms) % n_strata
    invited_f = np.zeros(firms)
    for s in range(n_strata):  # half of each stratum's firms invited
        members = np.flatnonzero(stratum_f == s)
        invited_f[rng.permutation(members)[: len(members) // 2]] = 1.0
    takeup_f = invited_f * (rng.random(firms) < 0.6)
    effect_f = rng.normal(size=firms)
    x = rng.normal(size=n)
    y = 1.0 * takeup_f[firm] + 0.5 * x + 0.1 * stratum_f[firm] + effect_f[firm]
    return pd.DataFrame(
        {
            "firm_id": firm,
            "stratum": stratum_f[firm],
            "invited": invited_f[firm],
            "attended": takeup_f[firm],
            "x1": x,
            "y": y + rng.normal(size=n),
        }
    )


def stratified_draws(t: np.ndarray, strata: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """``draws`` within-stratum permutations of ``t`` (rows), for the peers' loops."""
    rng = np.random.default_rng(seed)
    out = np.empty((draws, len(t)))
    for s in np.unique(strata):
        members = np.flatnonzero(strata == s)
        out[:, members] = rng.permuted(np.tile(t[members], (draws, 1)), axis=1)
    return out


def _optional(name: str):
    try:
        return __import__(name)
    except ImportError:
        print(f"  [skipped: {name} is not installed (pip install {name})]")
        return None


def _clock(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _peak_mib(fn: Callable[[], object]) -> float:
    """Peak memory traced by ``tracemalloc`` while ``fn`` runs, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@dataclass
class Timing:
    """A measured or extrapolated time for a whole task."""

    label: str
    seconds: float
    note: str = ""


def _report(rows: list[Timing], reference: str) -> None:
    ref = {r.label: r.seconds for r in rows}[reference]
    for r in rows:
        ratio = r.seconds / ref
        print(f"  {r.label:<44} {r.seconds:10.3f} s  {ratio:9.2f}x of {reference}  {r.note}")


# --------------------------------------------------------------------------------------------
# 1 and 2: randomization inference
# --------------------------------------------------------------------------------------------
def _ri_design(draws: int) -> dict:
    """The test every RI timing runs: HC1 t, ANCOVA, strata fixed effects, within-strata draws."""
    return {
        "treatment": "invited",
        "covariates": list(COVARIATES),
        "strata": "stratum",
        "fixed_effects": "stratum",
        "draws": draws,
        "statistic": "t",
    }


def ri_kaizen(df: pd.DataFrame, draws: int) -> tuple[float, pd.Series]:
    """Time ``ke.randomization_inference`` (HC1 t) once per outcome (best of 3); p-values."""

    def run():
        return pd.Series(
            {
                y: ke.randomization_inference(df, outcome=y, seed=k, **_ri_design(draws)).pvalue
                for k, y in enumerate(outcomes_of(df))
            }
        )

    return _clock(run, repeat=3)


def ri_kaizen_one_call(df: pd.DataFrame, draws: int) -> tuple[float, pd.Series]:
    """Time ``ke.randomization_inference`` with all outcomes in one call (best of 5); p-values.

    One set of draws and one engine pass serve every outcome (each outcome's p-value is the one
    its own call with the same seed gives).
    """
    return _clock(lambda: _ri_one_call(df, draws).pvalue, repeat=5)


def _ri_one_call(df: pd.DataFrame, draws: int):
    return ke.randomization_inference(df, outcome=outcomes_of(df), seed=0, **_ri_design(draws))


def ri_breakdown(df: pd.DataFrame, draws: int) -> dict[str, float]:
    """Where one family call's time goes: drawing the assignments and the engine (best of 5).

    Uses the same private pieces ``randomization_inference(outcome=[...])`` runs: the
    within-strata draws (``_permute``) and the engine's statistics of every block.
    """
    from kaizen_eval._core.engine import block_rows
    from kaizen_eval.estimate.ri import _permute, _Statistic

    t, strata = df["invited"].to_numpy(), df["stratum"].to_numpy()
    block = block_rows(len(df))

    def draw():
        return list(_permute(t, strata, draws, np.random.default_rng(0), block))

    seconds_draws, blocks = _clock(draw, repeat=5)
    stat = _Statistic(df, df[outcomes_of(df)].to_numpy(), list(COVARIATES), ["stratum"], "t", None)
    seconds_engine, _ = _clock(lambda: [stat(b.T) for b in blocks], repeat=5)
    return {"draws": seconds_draws, "engine": seconds_engine}


def ri_kaizen_family(df: pd.DataFrame, draws: int) -> tuple[float, pd.DataFrame]:
    """Time ``ke.romano_wolf`` over the family (one set of draws for all outcomes; best of 5)."""
    return _clock(
        lambda: ke.romano_wolf(df, outcomes=outcomes_of(df), seed=0, **_ri_design(draws)),
        repeat=5,
    )


def _dummies(df: pd.DataFrame, col: str = "stratum") -> np.ndarray:
    return pd.get_dummies(df[col], drop_first=True, dtype=float).to_numpy()


def ri_statsmodels(df: pd.DataFrame, draws: int) -> tuple[float, np.ndarray]:
    """Refit statsmodels OLS (HC1) per draw and outcome; return (seconds per fit, t of draw 0)."""
    import statsmodels.api as sm

    t = df["invited"].to_numpy()
    tmat = stratified_draws(t, df["stratum"].to_numpy(), draws, seed=1)
    rest = np.column_stack([np.ones(len(df)), df[list(COVARIATES)].to_numpy(), _dummies(df)])
    ys = [df[y].to_numpy() for y in outcomes_of(df)]

    def run():
        out = np.empty((draws, len(ys)))
        for b in range(draws):
            x = np.column_stack([tmat[b], rest])
            for k, y in enumerate(ys):
                out[b, k] = sm.OLS(y, x).fit(cov_type="HC1").tvalues[0]
        return out

    seconds, stats = _clock(run)
    return seconds / (draws * len(ys)), stats


def ri_statsmodels_observed(df: pd.DataFrame) -> np.ndarray:
    """statsmodels' HC1 t of the observed assignment, per outcome (to check kaizen_eval's)."""
    import statsmodels.api as sm

    x = np.column_stack(
        [df["invited"], np.ones(len(df)), df[list(COVARIATES)].to_numpy(), _dummies(df)]
    )
    return np.array(
        [sm.OLS(df[y].to_numpy(), x).fit(cov_type="HC1").tvalues[0] for y in outcomes_of(df)]
    )


def ri_ritest(df: pd.DataFrame, reps: int) -> float | None:
    """pyfixest ``ritest`` (randomization-t, HC1) on one outcome: seconds per draw, or None.

    The marginal cost per draw: the time of ``reps + 10`` draws minus that of 10 draws, after a
    warm-up call (numba compilation). ``ritest`` permutes the whole column: it ignores strata.
    """
    pf = _optional("pyfixest")
    if pf is None:
        return None
    rhs = " + ".join(COVARIATES)
    fit = pf.feols(f"y0 ~ invited + {rhs} | stratum", data=df, vcov="hetero")
    rng = np.random.default_rng(0)

    def call(r: int) -> float:
        with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
            start = time.perf_counter()
            fit.ritest(resampvar="invited", reps=r, type="randomization-t", rng=rng)
            return time.perf_counter() - start

    call(5)
    return (call(reps + 10) - call(10)) / reps


def bare_products(df: pd.DataFrame, draws: int) -> float:
    """Time the bare products of the computation for all outcomes at once.

    With the draws ``T`` (N x draws, 0/1) and the residual maker ``M`` of covariates and strata
    (N x N) already in memory: ``T~ = M T`` and ``Y~' T~`` (outcomes x draws). The draws and
    ``M`` are built outside the timing; best of five.
    """
    w = np.column_stack([np.ones(len(df)), df[list(COVARIATES)].to_numpy(), _dummies(df)])
    m = np.eye(len(df)) - w @ np.linalg.solve(w.T @ w, w.T)
    ytil = m @ df[outcomes_of(df)].to_numpy()
    tmat = np.ascontiguousarray(
        stratified_draws(df["invited"].to_numpy(), df["stratum"].to_numpy(), draws, seed=2).T
    )

    def run():
        tt = m @ tmat
        return ytil.T @ tt

    return _clock(run, repeat=5)[0]


def ri_iv_linearmodels(df: pd.DataFrame, draws: int) -> float:
    """Refit linearmodels IV2SLS (robust) per re-drawn instrument: seconds per fit."""
    from linearmodels.iv import IV2SLS

    z = stratified_draws(df["invited"].to_numpy(), df["stratum"].to_numpy(), draws, seed=3)
    exog = np.column_stack([np.ones(len(df)), df[list(COVARIATES)].to_numpy(), _dummies(df)])
    d = df[["attended"]].to_numpy()
    ys = [df[y].to_numpy() for y in outcomes_of(df)]
    n_fit = min(len(ys), 2)

    def run():
        for b in range(draws):
            for y in ys[:n_fit]:
                IV2SLS(y, exog, d, z[b][:, None]).fit(cov_type="robust")

    return _clock(run)[0] / (draws * n_fit)


BARE = "bare products M.T and Y~'.T~"
KE_RI = "ke.randomization_inference x outcomes"
KE_RW = "ke.romano_wolf (whole family)"
KE_ONE = "ke.randomization_inference, outcomes in one call"
SM = "statsmodels OLS refit loop"
RITEST = "pyfixest ritest"
KE_ENGINE_IV = "kaizen_eval engine, 2SLS t (all outcomes)"


def _supports_iv() -> bool:
    import inspect

    return "endogenous" in inspect.signature(ke.randomization_inference).parameters


def ri_engine_iv(df: pd.DataFrame, draws: int) -> tuple[float, np.ndarray]:
    """Time the resampling engine's 2SLS HC1 t for all outcomes (draws generated inside).

    ``ke.randomization_inference`` has no public 2SLS statistic: with the instrument re-drawn and
    take-up held at its observed values the test is not exact (take-up depends on assignment),
    so the sharp null is tested through the reduced form. This times the engine behind it
    (``kaizen_eval._core.engine.ResamplingEngine(endogenous=...)``), the computation peers
    such as Stata's ``ritest ... : ivregress`` perform.
    """
    from kaizen_eval._core.engine import ResamplingEngine, block_rows
    from kaizen_eval.estimate.ri import _permute

    t = df["invited"].to_numpy()
    strata = df["stratum"].to_numpy()

    def run():
        eng = ResamplingEngine(
            df[outcomes_of(df)].to_numpy(),
            covariates=df[list(COVARIATES)].to_numpy(),
            fixed_effects=strata,
            se_type="HC1",
            endogenous=df["attended"].to_numpy(),
        )
        blocks = _permute(t, strata, draws, np.random.default_rng(0), block_rows(len(df)))
        return eng.run(blocks).t

    return _clock(run, repeat=3)


def section_ri(df: pd.DataFrame, draws: int, sm_draws: int, ritest_reps: int) -> dict:
    """Section 1: RI of the ITT HC1 t statistic; prints and returns the times."""
    n_out = len(outcomes_of(df))
    fits = draws * n_out
    print(
        f"\n1. RI p-values, HC1 t: N = {len(df)}, {df['stratum'].nunique()} strata, "
        f"{len(COVARIATES)} covariates + strata FE, {n_out} outcomes, {draws} draws"
    )
    t_loop, pvals = ri_kaizen(df, draws)
    t_one, _ = ri_kaizen_one_call(df, draws)
    t_fam, rw = ri_kaizen_family(df, draws)
    diff = np.max(np.abs(rw["statistic"].to_numpy() - ri_statsmodels_observed(df)))
    print(f"  observed t, kaizen_eval vs statsmodels: max |diff| = {diff:.2e}")
    per_sm, _ = ri_statsmodels(df, sm_draws)
    rows = [
        Timing(KE_RI, t_loop, f"({t_loop / fits * 1e3:.4f} ms per draw and outcome)"),
        Timing(KE_ONE, t_one, f"({t_one / fits * 1e3:.4f} ms per draw and outcome)"),
        Timing(KE_RW, t_fam, f"({t_fam / fits * 1e3:.4f} ms per draw and outcome)"),
        Timing(
            SM, per_sm * fits, f"(extrapolated from {sm_draws} draws: {per_sm * 1e3:.3f} ms/fit)"
        ),
    ]
    per_rt = ri_ritest(df, ritest_reps)
    if per_rt is not None:
        note = f"(extrapolated from {ritest_reps} draws: {per_rt * 1e3:.2f} ms/draw; no strata)"
        rows.append(Timing(RITEST, per_rt * fits, note))
    rows.append(Timing(BARE, bare_products(df, draws), "(draws and M built outside the timing)"))
    _report(rows, KE_RI)
    _targets(rows, [KE_RI, KE_ONE, KE_RW], SM, RITEST)
    peak = _peak_mib(lambda: _ri_one_call(df, draws))
    print(f"  one family call: peak traced memory {peak:.1f} MiB (tracemalloc)")
    parts = ri_breakdown(df, draws)
    bare = {r.label: r.seconds for r in rows}[BARE]
    print(
        f"  one family call = drawing {draws} assignments {parts['draws']:.3f} s + engine "
        f"{parts['engine']:.3f} s ({parts['engine'] / bare:.2f}x bare) + data handling "
        f"{max(t_one - parts['draws'] - parts['engine'], 0.0):.3f} s"
    )
    print(f"  p-values (randomization_inference): {np.round(pvals.to_numpy(), 3).tolist()}")
    return {"rows": rows, "pvalues": pvals}


def _targets(rows: list[Timing], ours: list[str], refit: str, ritest: str | None) -> None:
    times = {r.label: r.seconds for r in rows}
    print(f"  targets: >= 50x faster than {refit}, >= 500x faster than ritest, <= 3x bare")
    for label in ours:
        if label not in times:
            continue
        t = times[label]
        msg = f"    {label:<40} {refit.split()[0]}/ours = {times[refit] / t:8.1f}"
        if ritest in times:
            msg += f"   ritest/ours = {times[ritest] / t:8.1f}"
        msg += f"   ours/bare = {t / times[BARE]:6.2f}"
        print(msg)


def section_ri_iv(df: pd.DataFrame, draws: int, lm_draws: int) -> dict:
    """Section 2: RI of the 2SLS (LATE) t statistic; prints and returns the times."""
    n_out = len(outcomes_of(df))
    fits = draws * n_out
    print(f"\n2. RI p-values, 2SLS (LATE) HC1 t: same data, {n_out} outcomes, {draws} draws")
    rows = []
    t_iv, _ = ri_engine_iv(df, draws)
    note = f"({t_iv / fits * 1e3:.4f} ms per draw and outcome; one pass for all outcomes)"
    rows.append(Timing(KE_ENGINE_IV, t_iv, note))
    if not _supports_iv():
        print(
            "  ke.randomization_inference has no 2SLS statistic (the sharp null of no take-up"
            " effect is tested exactly through the reduced form, section 1); timed here: the"
            " resampling engine's 2SLS t, instrument re-drawn, take-up held as observed"
        )
    per_lm = ri_iv_linearmodels(df, lm_draws)
    note = f"(extrapolated from {lm_draws} draws: {per_lm * 1e3:.3f} ms/fit)"
    rows.append(Timing("linearmodels IV2SLS refit loop", per_lm * fits, note))
    print("  pyfixest ritest: not available for IV models (NotImplementedError in pyfixest)")
    rows.append(Timing(BARE, bare_products(df, draws), "(as in section 1)"))
    _report(rows, rows[0].label)
    _targets(rows, [KE_ENGINE_IV], "linearmodels IV2SLS refit loop", None)
    return {"rows": rows}


# --------------------------------------------------------------------------------------------
# 3: single fits at scale
# --------------------------------------------------------------------------------------------
def fit_kaizen(df: pd.DataFrame, kind: str):
    if kind == "ITT":
        return ke.itt(
            df,
            outcome="y",
            treatment="invited",
            covariates=["x1"],
            fixed_effects="stratum",
            cluster="firm_id",
        )
    return ke.late(
        df,
        outcome="y",
        treatment="attended",
        instrument="invited",
        covariates=["x1"],
        fixed_effects="stratum",
        cluster="firm_id",
    )


def fit_linearmodels(df: pd.DataFrame, kind: str, dummies: np.ndarray) -> tuple[float, float]:
    """linearmodels IV2SLS with strata dummies, CR1 (``debiased=True``): (coef, se)."""
    from linearmodels.iv import IV2SLS

    exog = np.column_stack([np.ones(len(df)), df["x1"].to_numpy(), dummies])
    y = df["y"].to_numpy()
    if kind == "ITT":
        mod = IV2SLS(y, np.column_stack([df["invited"].to_numpy(), exog]), None, None)
    else:
        mod = IV2SLS(y, exog, df[["attended"]].to_numpy(), df[["invited"]].to_numpy())
    res = mod.fit(cov_type="clustered", clusters=df["firm_id"].to_numpy(), debiased=True)
    j = 0 if kind == "ITT" else len(res.params) - 1
    return float(res.params.iloc[j]), float(res.std_errors.iloc[j])


def fit_pyfixest(pf, df: pd.DataFrame, kind: str) -> tuple[float, float]:
    fml = "y ~ invited + x1 | stratum" if kind == "ITT" else "y ~ x1 | stratum | attended ~ invited"
    res = pf.feols(fml, data=df, vcov={"CRV1": "firm_id"})
    term = "invited" if kind == "ITT" else "attended"
    return float(res.coef()[term]), float(res.se()[term])


def section_fits(sizes: list[int]) -> dict:
    """Section 3: single ITT and LATE fits, 50 strata FE, CR1 by firm; prints and returns."""
    print("\n3. Single fits, 50 strata fixed effects, CR1 clustered by firm (5 waves per firm)")
    pf = _optional("pyfixest")
    small = make_panel(2_000)  # warm-up outside the timings (imports, numba compilation)
    for kind in ("ITT", "LATE"):
        fit_kaizen(small, kind)
        fit_linearmodels(small, kind, _dummies(small))
        if pf is not None:
            fit_pyfixest(pf, small, kind)
    out = []
    for n in sizes:
        df = make_panel(n)
        dummies = _dummies(df)
        for kind in ("ITT", "LATE"):
            t_ke, est = _clock(lambda df=df, kind=kind: fit_kaizen(df, kind), repeat=3)
            term = "invited" if kind == "ITT" else "attended"
            coef, se = float(est.params[term]), float(np.sqrt(est.cov.loc[term, term]))
            t_lm, (c_lm, s_lm) = _clock(
                lambda df=df, kind=kind, dummies=dummies: fit_linearmodels(df, kind, dummies)
            )
            rel_c, rel_s = abs(coef - c_lm) / abs(c_lm), abs(se - s_lm) / s_lm
            rows = [
                Timing(f"ke.{kind.lower()}", t_ke, "(best of 3)"),
                Timing("linearmodels IV2SLS + dummies", t_lm, "(dummies built outside timing)"),
            ]
            if pf is not None:
                t_pf, (c_pf, s_pf) = _clock(
                    lambda df=df, kind=kind: fit_pyfixest(pf, df, kind), repeat=3
                )
                note = (
                    f"(|coef diff| {abs(coef - c_pf):.1e}, se rel diff {abs(se - s_pf) / s_pf:.1e})"
                )
                rows.append(Timing("pyfixest feols", t_pf, "(best of 3) " + note))
            print(
                f"  N = {n:,} {kind}: coef {coef:.6f}, CR1 se {se:.6f}; vs linearmodels rel "
                f"diff coef {rel_c:.1e}, se {rel_s:.1e} -> "
                f"{'identical (1e-8)' if max(rel_c, rel_s) <= 1e-8 else 'DIFFERENT'}"
            )
            _report(rows, f"ke.{kind.lower()}")
            out.append({"n": n, "kind": kind, "rows": rows, "rel_coef": rel_c, "rel_se": rel_s})
    return {"fits": out}


# --------------------------------------------------------------------------------------------
# 4: simulated power
# --------------------------------------------------------------------------------------------
def tanzania_assignment() -> ke.Assignment:
    """The Tanzania 2x2 factorial: invitation and on-site arm, both within strata (310 firms)."""
    base = ke.synthetic.simulate_trial("tanzania", seed=0).waves["baseline"]
    return ke.assign(
        base[["firm_id", "stratum"]],
        id_col="firm_id",
        arms={"invited": 0.5},
        strata="stratum",
        seed=20131,
        stage2=ke.Stage(arms={"onsite": 0.5}, strata="stratum"),
    )


def section_power(sims: int) -> dict:
    """Section 4: ``ke.simulate_power`` of the factorial; time and tracemalloc peak."""
    asg = tanzania_assignment()
    print(f"\n4. simulate_power, Tanzania-like 2x2 factorial ({len(asg.frame)} firms), {sims} sims")

    def run():
        return ke.simulate_power(
            asg,
            effects={"invited": 0.3, "onsite": 0.3, "invited:onsite": 0.0},
            r2=0.3,
            sims=sims,
            seed=0,
        )

    seconds, sp = _clock(run)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"  time {seconds:.2f} s ({seconds / sims * 1e3:.2f} ms per simulated trial), peak "
        f"traced memory {peak / 2**20:.1f} MiB (second run, under tracemalloc)"
    )
    print("  " + sp.table[["effect", "power", "coverage"]].to_string().replace("\n", "\n  "))
    return {"seconds": seconds, "peak_mib": peak / 2**20, "table": sp.table}


def section_grid(sims: int) -> dict:
    """Section 5: ``ke.power_grid`` over 8 design points, serially and on the local cores."""
    kw = {
        "n": [200, 400],
        "takeup": [1.0, 0.6],
        "effect": 0.2,
        "icc": [0.0, 0.1],
        "cluster_size": 10,
        "strata": 4,
        "r2": 0.3,
        "sims": sims,
        "seed": 1,
    }
    print(
        "\n5. power_grid, 2x2 factorial, n = 200/400 x take-up 1/0.6 (ITT by OLS, LATE by 2SLS) "
        f"x ICC 0/0.1, clusters of 10, 4 strata, {sims} simulations per point"
    )
    out = {}
    for backend in ("serial", "processes"):
        seconds, grid = _clock(lambda b=backend: ke.power_grid(**kw, backend=b), repeat=3)
        out[backend] = seconds
        print(
            f"  backend={backend!r}: {seconds:.2f} s ({seconds / (8 * sims) * 1e3:.3f} ms a trial)"
        )
    peak = _peak_mib(lambda: ke.power_grid(**kw, backend="serial"))
    print(f"  peak traced memory (serial): {peak:.1f} MiB")
    print(
        "  "
        + grid.table[["n", "takeup", "icc", "power", "coverage"]]
        .to_string(index=False)
        .replace("\n", "\n  ")
    )
    return {**out, "peak_mib": peak, "table": grid.table}


# --------------------------------------------------------------------------------------------
def machine() -> str:
    """CPU model, cores, RAM and library versions."""
    import os

    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ["numpy", "scipy", "pandas", "statsmodels", "linearmodels", "pyfixest"]
    versions = []
    for lib in libs:
        try:
            versions.append(f"{lib} {__import__(lib).__version__}")
        except ImportError:
            versions.append(f"{lib} (not installed)")
    return (
        f"{model}, {os.cpu_count()} cores, {ram:.0f} GiB RAM; Python "
        f"{platform.python_version()}; kaizen_eval {ke.__version__}; " + ", ".join(versions)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument(
        "--only",
        choices=["ri", "iv", "fits", "power", "grid"],
        action="append",
        help="run some sections",
    )
    args = parser.parse_args(argv)
    sections = args.only or ["ri", "iv", "fits", "power", "grid"]
    if args.quick:
        draws, sm_draws, rt_reps, lm_draws, sizes, sims = 1_000, 20, 10, 10, [10_000], 100
    else:
        draws, sm_draws, rt_reps, lm_draws, sizes, sims = (
            10_000,
            300,
            100,
            100,
            [100_000, 1_000_000],
            1_000,
        )
    print(machine())
    df = make_trial()
    if "ri" in sections:
        section_ri(df, draws, sm_draws, rt_reps)
    if "iv" in sections:
        section_ri_iv(df, draws, lm_draws)
    if "fits" in sections:
        section_fits(sizes)
    if "power" in sections:
        section_power(sims)
    if "grid" in sections:
        section_grid(max(sims // 2, 50))


if __name__ == "__main__":
    main()
