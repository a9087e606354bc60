"""Every result prints through the formatting layer: Estimate, Anderson-Rubin sets, tidy frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._format import TidyFrame


def big_estimate(**kw) -> ke.Estimate:
    args = dict(
        terms=("attended",),
        coef=[12627.8],
        vcov=[[3740.2**2]],
        dof=39,
        se_type="CR1",
        method="2SLS",
        estimand="LATE",
        outcome="value_added",
        nobs=1116,
        n_clusters=40,
        control_mean=27290.4,
        notes=("cluster-robust standard errors (CR1, Stata `vce(cluster)`)",),
    )
    args.update(kw)
    return ke.Estimate(**args)


def test_estimate_summary_has_no_exponent_and_labels(check_readable):
    e = big_estimate()
    text = e.summary()
    check_readable(text)
    assert str(e) == text
    assert "LATE (2SLS) of value added: N = 1,116, 40 clusters, SE: CR1" in text
    assert "12,628" in text and "3,740" in text and f" {ke._format.pvalue(e.pvalue)} " in text
    assert "Control mean: 27,290." in text
    assert "Stata vce(cluster))." in text  # notes as sentences, without code backticks
    assert "ITT (OLS)" not in text and "LATE (2SLS)" in repr(e)


def test_estimate_interval_and_coefficient_share_one_precision():
    e = big_estimate(coef=[580.4], vcov=[[300.0**2]])
    row = next(ln for ln in e.summary().splitlines() if ln.startswith("attended"))
    cells = row.split()
    assert cells[1:3] == ["580", "300"]
    assert all("." not in c for c in cells[5:7])  # CI ends written like the coefficient


def test_estimate_exports(check_latex, check_readable):
    e = big_estimate(terms=("invited[female=0.0]", "invited[female=1.0]"), coef=[1.0, 2.0],
                     vcov=np.diag([0.25, 0.25]))  # fmt: skip
    md = e.to_markdown()
    check_readable(md)
    assert "invited, female = 0" in md and "| Term" in md
    check_latex(e.to_latex(), legend=False)
    html = e._repr_html_()
    check_readable(html, snake_ok=("text_align", "font_size"))
    assert "<caption>LATE (2SLS) of value added" in html


def test_estimate_with_normal_inference_and_zero_se():
    e = big_estimate(coef=[1.0, 0.0], vcov=np.zeros((2, 2)), terms=("a", "b"), dof=np.inf)
    text = e.summary()
    assert " z " in text and " df" not in text
    assert "Blank cells: the standard error is zero, infinite or missing." in text
    assert "nan" not in text.lower()


def test_tidy_stays_numeric_and_displays_in_full(check_readable):
    e = big_estimate(coef=[12627.8], vcov=[[3740.2**2]])
    t = e.tidy()
    assert isinstance(t, pd.DataFrame) and isinstance(t, TidyFrame)
    assert t.loc["attended", "estimate"] == 12627.8  # the number, not a string
    assert list(t.columns) == ["estimate", "std_error", "statistic", "pvalue", "ci_low",
                               "ci_high", "df"]  # fmt: skip
    with pd.option_context("display.max_columns", 3, "display.width", 40):
        text = repr(t)
        html = t._repr_html_()
    assert "..." not in text and "..." not in html  # nothing truncated
    for col in ("ci_high", "df", "pvalue"):
        assert col in text and col in html
    assert "12,628" in text and "e+" not in text
    assert type(t.round(2)) is pd.DataFrame  # operations give plain frames


def test_anderson_rubin_set_prints_without_exponents():
    from kaizen_eval.estimate._reduced_form import AndersonRubinSet

    s = AndersonRubinSet(kind="interval", low=923.87, high=15750.2, alpha=0.05)
    assert str(s) == "95 % Anderson-Rubin set: [924, 15,750]"
    rays = AndersonRubinSet(kind="two rays", low=-12000.5, high=15750.2, alpha=0.1)
    assert str(rays).startswith("90 % Anderson-Rubin set: (-inf, -12,000] U [15,750, inf)")


def test_late_anderson_rubin_from_a_fit():
    rng = np.random.default_rng(5)
    n = 300
    z = rng.integers(0, 2, n)
    d = z * (rng.uniform(size=n) < 0.6)
    y = 20_000 + 9_000 * d + rng.normal(0, 15_000, n)
    df = pd.DataFrame({"z": z, "d": d, "y": y})
    r = ke.late(df, outcome="y", treatment="d", instrument="z")
    text = str(r.extra["anderson_rubin"])
    assert "e+" not in text and "," in text


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_level_in_headers(alpha):
    e = big_estimate(alpha=alpha)
    level = round(100 * (1 - alpha))
    assert f"{level} % CI low" in e.summary()


@pytest.fixture(scope="module")
def balance_table():
    rng = np.random.default_rng(1)
    n = 200
    df = pd.DataFrame(
        {
            "invited": rng.integers(0, 2, n),
            "female": rng.integers(0, 2, n).astype(float),
            "sales": rng.lognormal(10, 1, n),
            "educ_years": rng.normal(10, 3, n),
            "stratum": rng.integers(0, 3, n),
        }
    )
    df.loc[3, "sales"] = np.nan
    return ke.balance(
        df, treatment="invited", covariates=["female", "sales", "educ_years"], strata="stratum"
    )


def test_print_balance_table_shows_the_table(balance_table, check_readable, capsys):
    print(balance_table)
    out = capsys.readouterr().out
    assert not out.startswith("<BalanceTable")
    check_readable(out)
    lines = out.splitlines()
    assert lines[0] == "Balance of 3 covariates"
    assert any(ln.startswith("educ years") for ln in lines)
    assert "Joint F test (invited vs control): F(3, " in out
    assert "(1 row with a missing covariate dropped)" in out
    assert repr(balance_table) == str(balance_table) == balance_table.summary()


def test_balance_rows_keep_one_precision(balance_table):
    t = balance_table
    for row in t._display().body:
        cells = [c.strip("()") for c in row[1:5] if c]
        decimals = {len(c.split(".")[1]) if "." in c else 0 for c in cells}
        assert len(decimals) == 1, row
    sales = next(r for r in t._display().body if r[0] == "sales")
    assert "," in sales[1] and "." not in sales[1]  # money-sized means: separators, no decimals


def test_balance_exports(balance_table, check_latex, check_readable):
    check_latex(balance_table.to_latex(), legend=False)
    check_readable(balance_table.to_markdown())
    html = balance_table._repr_html_()
    assert html == balance_table.to_html() and "<tfoot>" in html
    assert re.search(r"\| +0\.\d{5} \|", balance_table.to_markdown(digits=5))
    fixed = balance_table._display(digits=4).body[0]
    assert all(len(c.strip("()").split(".")[1]) == 4 for c in fixed[1:5])


def _estimate_gain() -> ke.Estimate:
    return ke.Estimate(terms=("attended",), coef=[13890.0], vcov=[[7000.0**2]], dof=200,
                       se_type="HC1", method="2SLS", estimand="LATE", outcome="value_added",
                       nobs=300)  # fmt: skip


def test_cost_benefit_summary_is_readable(check_readable, check_latex):
    cb = ke.cost_benefit(gain=_estimate_gain(), cost=740, years=3, discount_rate=0.05)
    text = cb.summary()
    check_readable(text)
    rows = {ln.split("  ")[0]: ln for ln in text.splitlines()}
    assert "P(BCR > 1)" in rows and "IRR" in rows
    assert "1,877 %" in rows["IRR"]
    money = rows["Gain"].split()[1:]
    assert money[0] == "13,890" and all("." not in m for m in money)
    assert "10,000 t draws" in text
    check_latex(cb.to_latex(), legend=False)
    check_readable(cb.to_markdown())
    assert "<tfoot>" in cb._repr_html_()


def test_cost_benefit_blank_cells_are_explained():
    cb = ke.cost_benefit(gain=-500, cost=740, years=3)
    text = cb.summary()
    assert "IRR: no year has a positive gain" in text
    assert "Blank cells: payback: the cost is not recovered within the horizon." in text
    assert "never" in text and "inf" not in text and "nan" not in text


def test_tornado_and_heatmap_labels_are_written_from_numbers():
    import matplotlib

    matplotlib.use("Agg")
    cb = ke.cost_benefit(gain=12_700.0, cost=2_905.0, years=3, discount_rate=0.05)
    fig = ke.plot_tornado(ke.one_way_sensitivity(cb))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Gain (6,350 – 19,050)" in labels
    assert "Discount rate (0 % – 10 %)" in labels
    assert "Years (1 – 6)" in labels
    for lab in labels:
        assert "e+" not in lab and "_" not in lab
    fig2 = ke.plot_two_way(ke.two_way_sensitivity(cb))
    texts = [t.get_text() for t in fig2.axes[0].texts]
    assert texts and all("e+" not in t for t in texts)
    assert len({len(t.split(".")[1]) if "." in t else 0 for t in texts}) == 1
    assert fig2.axes[0].get_ylabel()[0].isupper()


def test_lee_bounds_wild_and_ri_print_through_the_layer(check_readable, check_latex):
    from kaizen_eval.estimate.bounds import LeeBounds
    from kaizen_eval.estimate.ri_result import RandomizationInference
    from kaizen_eval.estimate.wild import WildBootstrap

    lb = LeeBounds(lower=-1390.2, upper=15750.4, se_lower=800.0, se_upper=2100.0,
                   ci_low=-2700.0, ci_high=19200.0, trim_share=0.0734, trimmed_arm=1,
                   response=(0.81, 0.874), nobs=1116, alpha=0.05)  # fmt: skip
    text = str(lb)
    check_readable(text)
    assert "-1,390" in text and "15,750" in text and "(2,100)" in text
    assert "Trimmed 7.3 % of the observed outcomes in the treated arm" in text
    assert "[-2,700, 19,200]" in text
    check_latex(lb.to_latex(), legend=False)

    wb = WildBootstrap(pvalue=0.0123, statistic=2.71, estimate=12627.8, draws=np.zeros(9999),
                       exact=False, weights="rademacher", n_clusters=12, null=0.0,
                       ci_low=2310.5, ci_high=np.inf)  # fmt: skip
    text = str(wb)
    check_readable(text)
    assert "9,999 draws" in text and "12 clusters" in text and "0.012" in text
    assert "12,628" in text and "2,310" in text and "unbounded" in text
    assert wb.summary() == text and "<table" in wb._repr_html_()

    ri = RandomizationInference(pvalue=2e-5, observed=7193.4, draws=np.zeros(1000), exact=False,
                                n_assignments=-1, statistic="coef", treatment="invited",
                                outcome="value_added", nobs=400)  # fmt: skip
    text = str(ri)
    check_readable(text)
    assert "Randomization inference on value added" in text and "< 0.0001" in text
    assert "1,000 random draws" in text and "1,000 random draws" in repr(ri)
    assert "7,193" in repr(ri) and "e-05" not in repr(ri)
    check_latex(ri.to_latex(), legend=False)
