"""ke.event_study against estimatr::lm_robust (reference/make_matching_reference.R, bottom part)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

R = Path(__file__).parent / "reference"
PANEL = pd.read_csv(R / "event_panel.csv")
REF = pd.read_csv(R / "event_reference.csv")
TERMS = ["em4", "em3", "em2", "e0", "e1", "e2"]
KW = {"outcome": "y", "treatment": "treated", "id_col": "firm", "wave_col": "wave"}
SPECS = [("firm", "CR1", "CR1"), ("firm", "CR2", "CR2"), ("region", "CR1", "CR1")]


@pytest.mark.parametrize(("cluster", "label", "se"), SPECS)
def test_matches_estimatr(cluster, label, se):
    es = ke.event_study(PANEL, **KW, cluster=cluster, se=se)
    ref = REF[(REF["cluster"] == cluster) & (REF["se_type"] == label)].set_index("term")
    t = es.tidy()
    assert list(t.index) == list(ref.index) == TERMS
    for ours, theirs in [("estimate", "estimate"), ("std_error", "std_error"), ("df", "df")]:
        np.testing.assert_allclose(t[ours], ref[theirs], rtol=0, atol=1e-8)
    assert es.pretrend.fstat == pytest.approx(ref["pretrend_F"].iloc[0], abs=1e-8)
    assert es.pretrend.pvalue == pytest.approx(ref["pretrend_p"].iloc[0], abs=1e-8)
    g = PANEL[cluster].nunique()
    assert (es.pretrend.df1, es.pretrend.df2) == (3, g - 1)
    assert es.n_clusters == g and es.nobs == len(PANEL) and es.dropped.empty
    assert es.event_time.to_dict() == {"em4": -4, "em3": -3, "em2": -2, "e0": 0, "e1": 1, "e2": 2}


def test_result_prints_the_pretrend_and_the_caveat():
    es = ke.event_study(PANEL, **KW)
    assert isinstance(es, ke.Estimate) and es.method == "TWFE event study"
    text = str(es)
    assert "Pre-trend test (em4, em3, em2 jointly 0): F(3, 79) = 0.13, p = 0.940" in text
    assert "Sun and Abraham" in text and "event time -1 is the reference" in text
    assert re.search(r"^\| e2 +\| +0\.810 \|", es.to_markdown(), re.M)
    assert "<table" in es._repr_html_()
    assert repr(es).startswith("<EventStudy ATT (TWFE event study) of y")
    notes = ke.event_study.__doc__.split("Notes")[1]
    for needle in ("Sun and Abraham 2021", "de Chaisemartin", "not-yet-treated"):
        assert needle in " ".join(notes.split())


def test_pool_sites_treats_it_as_not_randomized():
    es = ke.event_study(PANEL, **KW)
    sites = {"a": es, "b": ke.event_study(PANEL, **KW, cluster="region")}
    with pytest.raises(KaizenError, match=r"site\(s\) 'a', 'b' are not randomized"):
        ke.pool_sites(sites, term="e0")
    with pytest.warns(ke.KaizenWarning, match="only 2 sites"):
        pooled = ke.pool_sites(sites, term="e0", nonexperimental=True)
    assert pooled.mu == pytest.approx(es.coef[3], abs=1e-12)


def test_equals_itt_on_written_out_dummies_with_window_and_covariate():
    """Binned endpoints and a covariate: the same regression written out for ke.itt."""
    rng = np.random.default_rng(5)
    df = PANEL.assign(x=rng.normal(size=len(PANEL)))
    es = ke.event_study(df, **KW, covariates="x", window=(-2, 1), reference=-1)
    first = df[df["treated"] == 1].groupby("firm")["wave"].min()
    rel = (df["wave"] - df["firm"].map(first)).clip(-2, 1)
    dummies = {"em2": rel == -2, "e0": rel == 0, "e1": rel == 1}
    wide = df.assign(**{k: v.astype(float) for k, v in dummies.items()})
    with pytest.warns(ke.KaizenWarning, match="does not vary within"):
        itt = ke.itt(wide, outcome="y", treatment=list(dummies), covariates="x",
                     fixed_effects=["firm", "wave"], cluster="firm", dose=True)  # fmt: skip
    np.testing.assert_allclose(es.coef, itt.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(es.vcov, itt.vcov, rtol=0, atol=1e-10)
    assert es.terms == ("em2", "e0", "e1") and es.extra["window"] == (-2, 1)
    assert "binned at the endpoints -2 and 1" in str(es)


def test_other_reference_and_ordered_categorical_waves():
    labels = ["start", "q2", "mid", "h2", "end", "after"]  # their order is not alphabetical
    names = pd.Categorical(PANEL["wave"].map(lambda w: labels[w - 1]), ordered=True,
                           categories=labels)  # fmt: skip
    es = ke.event_study(PANEL.assign(wave=names), **KW, reference=-2)
    assert es.terms == ("em4", "em3", "em1", "e0", "e1", "e2")
    base = ke.event_study(PANEL, **KW)
    # moving the reference from -1 to -2 shifts every coefficient by the old em2
    shift = base.params["em2"]
    assert es.params["e0"] == pytest.approx(base.params["e0"] - shift, abs=1e-10)
    assert es.params["em1"] == pytest.approx(-shift, abs=1e-10)
    assert es.pretrend.df1 == 3
    same = ke.event_study(PANEL.assign(wave=names), **KW)
    np.testing.assert_allclose(same.coef, base.coef, rtol=0, atol=1e-12)


def test_dropped_rows_are_reported():
    df = PANEL.copy()
    df.loc[[3, 10], "y"] = np.nan
    es = ke.event_study(df, **KW)
    assert list(es.dropped.index) == [3, 10] and es.nobs == len(df) - 2
    assert set(es.dropped["reason"]) == {"missing outcome 'y'"}
    assert "Dropped rows: 2 (missing outcome 'y')" in str(es)


def test_bad_input_gives_named_errors():
    back = PANEL.copy()
    back.loc[(back["firm"] == 3) & (back["wave"] == 6), "treated"] = 0
    with pytest.raises(KaizenError, match=r"not absorbing: 1 firms switch back from 1 to 0 \(3\)"):
        ke.event_study(back, **KW)
    lone = pd.concat([PANEL, pd.DataFrame({"firm": [99], "wave": [2], "treated": [0],
                                           "y": [1.0], "region": [0]})])  # fmt: skip
    with pytest.raises(KaizenError, match=r"1 firms are observed in one wave only \(99\)"):
        ke.event_study(lone, **KW)
    holes = PANEL.copy()
    holes.loc[holes["firm"] == 7, "y"] = [np.nan] * 5 + [1.0]
    with pytest.raises(KaizenError, match=r"keep one wave only .*\(7\)"):
        ke.event_study(holes, **KW)
    missing = PANEL.astype({"wave": float})
    missing.loc[5, "wave"] = np.nan
    with pytest.raises(KaizenError, match=r"wave column 'wave' is missing for 1 rows \(rows 5\)"):
        ke.event_study(missing, **KW)
    with pytest.raises(KaizenError, match=r"reference period 5 is not an event time.*-4, -3"):
        ke.event_study(PANEL, **KW, reference=5)
    with pytest.raises(KaizenError, match="repeat a firm in a wave"):
        ke.event_study(pd.concat([PANEL, PANEL.head(1)]), **KW)
    with pytest.raises(KaizenError, match="unordered categorical"):
        ke.event_study(PANEL.astype({"wave": "category"}), **KW)
    with pytest.raises(KaizenError, match="must contain the reference period"):
        ke.event_study(PANEL, **KW, window=(0, 2))
    with pytest.raises(KaizenError, match=r"treatment 'treated' must be coded 0/1"):
        ke.event_study(PANEL.assign(treated=2 * PANEL["treated"]), **KW)


def test_plot_returns_a_figure_with_the_reference_at_zero():
    from matplotlib.figure import Figure

    fig = ke.event_study(PANEL, **KW).plot(title="Event study")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_xdata()) == [-0.5, -0.5]
    ref = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [-1]]
    assert len(ref) == 1 and list(ref[0].get_ydata()) == [0.0]
    assert [t.get_text() for t in ax.get_xticklabels()][:5] == ["−4", "−3", "−2", "−1", "0"]


def _null_panel(rng, firms=30, waves=6, trend=0.0):
    """Staggered adoption at wave 4 or 5 (a third never), a constant effect, AR(1) errors
    within firm (so that only clustering by firm keeps the size); leads 0 unless ``trend``."""
    third = np.arange(firms) * 3 // firms
    start = np.array([4, 5, 99])[third]
    firm = np.repeat(np.arange(firms), waves)
    wave = np.tile(np.arange(1, waves + 1), firms)
    e = np.empty((firms, waves))
    e[:, 0] = rng.normal(size=firms)
    for t in range(1, waves):
        e[:, t] = 0.6 * e[:, t - 1] + 0.8 * rng.normal(size=firms)
    s = start[firm]
    d = (wave >= s).astype(int)
    y = rng.normal(size=firms)[firm] + 0.3 * wave + 0.8 * d + e.ravel()
    y = y + trend * (s < 99) * np.minimum(wave - s, 0)  # a pre-trend of the adopters
    return pd.DataFrame({"firm_id": firm, "wave": wave, "d": d, "y": y})


def _rejections(reps, seed, trend=0.0):
    rng = np.random.default_rng(seed)
    p = [
        ke.event_study(_null_panel(rng, trend=trend), outcome="y", treatment="d").pretrend.pvalue
        for _ in range(reps)
    ]
    return float(np.mean(np.array(p) < 0.05))


def _band(reps):
    """5 % ± 3 binomial standard errors of a rejection rate over ``reps`` panels."""
    half = 3 * np.sqrt(0.05 * 0.95 / reps)
    return 0.05 - half, 0.05 + half


def test_pretrend_size_and_power_small():
    """250 panels of 30 firms: the size within 3 binomial SEs of 5 %; a real pre-trend found."""
    lo, hi = _band(250)
    assert lo <= _rejections(250, seed=1) <= hi
    assert _rejections(20, seed=2, trend=1.0) > 0.8


@pytest.mark.slow
def test_pretrend_size_large():
    """2,000 panels: the size within 3 binomial SEs (1.5 points) of 5 %."""
    lo, hi = _band(2000)
    assert lo <= _rejections(2000, seed=3) <= hi
