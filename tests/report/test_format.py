"""The formatting layer (kaizen_eval._format): units, rounding, labels, missing cells."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from kaizen_eval import _format as F
from kaizen_eval._validation import KaizenError

EXPONENT = re.compile(r"\d[eE][+-]?\d")


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (12627.8, "12,628"),
        (0.5234, "0.52"),
        (-1390.2, "-1,390"),
        (2e4, "20,000"),
        (1.263e4, "12,630"),
        (27290.0, "27,290"),
        (3740.0, "3,740"),
        (58.44, "58.4"),
        (0.0, "0"),
        (-0.001, "0.00"),  # no negative zero
        (123456789.4, "123,456,789"),
        (float("nan"), ""),
        (None, ""),
        (pd.NA, ""),
    ],
)
def test_money_rounds_sensibly_with_separators(x, expected):
    assert F.money(x) == expected


def test_money_never_prints_an_exponent_over_many_magnitudes():
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [10.0 ** np.arange(-9, 16), -(10.0 ** np.arange(-9, 16)), rng.lognormal(5, 4, 500)]
    )
    for v in values:
        for text in (F.money(v), F.number(v), F.ratio(v), F.percent(v), F.share(v)):
            assert not EXPONENT.search(text), (v, text)
            assert "nan" not in text.lower()


def test_money_currency_and_digits():
    assert F.money(27290.6, currency="USD") == "USD 27,291"
    assert F.money(1234.5678, digits=2) == "1,234.57"
    assert F.money(float("nan"), currency="USD") == ""


def test_number_shows_three_significant_figures_without_exponent():
    assert F.number(1.219e-05) == "0.0000122"
    assert F.number(0.5234) == "0.523"
    assert F.number(3.14159) == "3.14"
    assert F.number(580.44) == "580"
    assert F.number(3.14159, 4) == "3.1416"
    assert F.number(float("inf")) == "inf"
    assert F.number(-float("inf")) == "-inf"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0431, "0.043"),
        (1.219e-05, "< 0.001"),
        (0.0, "< 0.001"),
        (0.000999, "< 0.001"),
        (0.001, "0.001"),
        (0.5, "0.500"),
        (1.0, "1.000"),
        (float("nan"), ""),
    ],
)
def test_pvalue_rules(p, expected):
    assert F.pvalue(p) == expected


def test_pvalue_never_reads_zero():
    for p in (0.0, 1e-300, 4e-4, 4.9e-4):
        assert F.pvalue(p) != "0.000"
    assert F.pvalue(4e-5, digits=4) == "< 0.0001"


def test_ratio_and_irr_as_percent():
    assert F.ratio(18.84) == "18.8"
    assert F.ratio(1204.46) == "1,204.5"
    assert F.percent(10.39) == "1,039 %"  # an IRR of 10.39 is 1,039 % a year
    assert F.percent(0.523) == "52.3 %"
    assert F.percent(0.05, 0) == "5 %"


def test_count_and_share():
    assert F.count(1234) == "1,234"
    assert F.count(np.int64(7)) == "7"
    assert F.count(12.0) == "12"
    assert F.share(0.5234) == "0.52"
    assert F.share(1) == "1.00"


def test_stars_and_legend():
    assert [F.stars(p) for p in (0.004, 0.01, 0.03, 0.05, 0.07, 0.1, 0.5, np.nan)] == [
        "***",
        "**",
        "**",
        "*",
        "*",
        "",
        "",
        "",
    ]
    assert F.stars_legend() == "* p < 0.1, ** p < 0.05, *** p < 0.01"
    levels = ((0.05, "+"), (0.01, "++"))
    assert F.stars(0.02, levels) == "+" and F.stars(0.001, levels) == "++"
    assert F.stars_legend(levels) == "+ p < 0.05, ++ p < 0.01"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ci_low", "CI low"),
        ("ci_high", "CI high"),
        ("prob_bcr_above_1", "P(BCR > 1)"),
        ("std_error", "SE"),
        ("pvalue", "p-value"),
        ("not_found", "Not found"),
        ("invited[female=0.0]", "invited, female = 0"),
        ("attended[size=1.50]", "attended, size = 1.5"),
        ("invited[region=north]", "invited, region = north"),
        ("late_value_added", "LATE value added"),
        ("discount_rate", "Discount rate"),
        ("bcr", "BCR"),
        (("ghana", "LATE", "attended"), "ghana, LATE, attended"),
        ("invited", "invited"),
    ],
)
def test_label_never_leaves_snake_case(name, expected):
    assert F.label(name) == expected
    assert "_" not in F.label(name)


def test_label_mapping_wins():
    labels = {"value_added": "Value added (USD)", "female": "Woman owner"}
    assert F.label("value_added", labels) == "Value added (USD)"
    assert F.label("invited[female=1.0]", labels) == "invited, Woman owner = 1"
    assert F.label("ci_low", {"ci_low": "lower"}) == "lower"


def test_column_has_one_precision():
    assert F.column([580.4, 1116.2]) == ["580", "1,116"]
    assert F.column([0.52, 3.14159, np.nan]) == ["0.52", "3.14", ""]
    assert F.column([12.34, 5.678]) == ["12.3", "5.7"]
    assert F.column([0.0123, 0.5]) == ["0.012", "0.500"]
    assert F.column([1.0, 2.0], digits=3) == ["1.000", "2.000"]
    out = F.column([5392.1, 2e4, 0.9, 12.0], "money")
    assert out == ["5,392", "20,000", "1", "12"]
    # every non-blank cell of a number column has the same count of decimals
    rng = np.random.default_rng(0)
    for _ in range(50):
        vals = rng.lognormal(rng.uniform(-3, 8), 2, size=6) * rng.choice([-1, 1], 6)
        cells = F.column(vals)
        decimals = {len(c.split(".")[1]) if "." in c else 0 for c in cells}
        assert len(decimals) == 1, cells


def test_column_keeps_own_rules_for_pvalues_and_text():
    assert F.column([0.0001, 0.2], "pvalue") == ["< 0.001", "0.200"]
    assert F.column([True, False, None], "text") == ["yes", "no", ""]
    assert F.column([("a", "b")], "text") == ["a, b"]
    with pytest.raises(KaizenError, match="kind"):
        F.column([1.0], "dollars")


def test_interval_writes_both_ends_alike():
    assert F.interval(923.87, 15750.2, "money") == "[924, 15,750]"
    assert F.interval(-0.123, 0.456) == "[-0.123, 0.456]"
    assert F.interval(-math.inf, 2.5) == "[-inf, 2.50]"


def test_degrees_of_freedom_keep_a_fraction_and_are_guessed_by_name():
    assert F.dof(394.0) == "394" and F.dof(7.43) == "7.4" and F.dof(np.int64(12)) == "12"
    assert F.dof(float("inf")) == F.count(float("inf")) and F.dof(None) == ""
    assert F.guess_kind("df2") == "dof" and F.guess_kind("df") == "dof"
    assert F.column([394.0, 7.43, None], "dof") == ["394", "7.4", ""]


def test_guess_kind():
    assert F.guess_kind("pvalue") == "pvalue"
    assert F.guess_kind("joint_pvalue") == "pvalue"
    assert F.guess_kind("nobs") == "count"
    assert F.guess_kind("n_clusters") == "count"
    assert F.guess_kind("flag", [True, False]) == "text"
    assert F.guess_kind("estimate", [1.0]) == "number"


def test_missing_and_yes_no_and_sentence():
    assert F.is_missing(np.nan) and F.is_missing(pd.NaT) and F.is_missing(pd.NA)
    assert not F.is_missing(0) and not F.is_missing("")
    assert F.yes_no(np.True_) == "yes" and F.yes_no(False) == "no"
    assert F.missing_note(["no control group", "no control group.", ""]) == (
        "Blank cells: no control group."
    )
    assert F.missing_note([]) == ""
    assert F.sentence("standard errors in parentheses") == "Standard errors in parentheses."
    assert F.sentence("Stata `robust`") == "Stata robust."
    assert F.sentence("Why?") == "Why?"
