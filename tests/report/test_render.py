"""The table renderers (kaizen_eval._render): LaTeX, Markdown, HTML and text of one model."""

from __future__ import annotations

import html.parser

import pandas as pd
import pytest

from kaizen_eval import _format as F
from kaizen_eval._render import Table, latex_escape, to_html, to_latex, to_markdown, to_text
from kaizen_eval._validation import KaizenError


def paper_table() -> Table:
    legend = F.stars_legend()
    return Table(
        header=[["", "(1)", "(2)"], ["", "Value added", "Profit_share"]],
        body=[
            ["invited", "12,628***", "-0.052*"],
            ["", "(3,740)", "(0.027)"],
            ["Control mean", "27,290", ""],
            ["N", "1,116", "580"],
            ["SE type", "CR1", "HC1 & co"],
        ],
        rules=[2],
        caption="ITT on value added (USD) & 50% of profits",
        notes=[
            "Standard errors in parentheses.",
            legend,
            F.missing_note(["no control group"]),
        ],
        label="tab:itt",
    )


def test_table_refuses_raw_cells_and_ragged_rows():
    for bad in ("nan", "NaN", "True", "False", "None", " inf"):
        with pytest.raises(KaizenError, match="unformatted cell"):
            Table(header=[["", "a"]], body=[["x", bad]])
    with pytest.raises(KaizenError, match="different widths"):
        Table(header=[["", "a"]], body=[["x", "1", "2"]])
    with pytest.raises(KaizenError, match="align"):
        Table(header=[["", "a"]], body=[["x", "1"]], align="lx")


def test_latex_is_booktabs_threeparttable_with_visible_legend(check_latex):
    tex = to_latex(paper_table())
    check_latex(tex)
    assert "\\begin{tablenotes}[flushleft]" in tex
    assert "\\item $^{*}$" not in tex  # the legend is text, the stars inside it stay plain
    assert "\\item * p $<$ 0.1, ** p $<$ 0.05, *** p $<$ 0.01" in tex
    assert "12,628$^{***}$ & $-$0.052$^{*}$ \\\\" in tex
    assert "Profit\\_share" in tex and "HC1 \\& co" in tex and "50\\% of profits" in tex
    assert tex.count("\\midrule") == 2  # under the header and above the statistics block
    assert "\\label{tab:itt}" in tex
    bare = to_latex(paper_table(), float_env=False)
    assert bare.startswith("\\begin{threeparttable}") and "\\begin{table}" not in bare


def test_latex_escape_covers_the_special_characters():
    assert latex_escape("a_b & c%") == "a\\_b \\& c\\%"
    assert latex_escape("$5 #1 {x} ~ ^") == (
        "\\$5 \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{}"
    )
    assert latex_escape("[-1.5, -2]") == "[$-$1.5, $-$2]"
    assert latex_escape("non-compliance") == "non-compliance"  # a hyphen in a word stays
    assert latex_escape("p < 0.001, τ² ≥ 0") == "p $<$ 0.001, $\\tau$$^2$ $\\geq$ 0"


def test_latex_compiles(compile_latex):
    pdf = compile_latex(to_latex(paper_table()), to_latex(paper_table(), float_env=False))
    assert pdf.stat().st_size > 1000


def test_markdown_stacks_headers_and_escapes():
    md = to_markdown(paper_table())
    lines = md.splitlines()
    assert lines[0] == "*ITT on value added (USD) & 50% of profits*"
    header = lines[2]
    assert "(1) Value added" in header and "(2) Profit\\_share" in header
    assert set(lines[3]) <= set("|:-")
    assert "12,628\\*\\*\\*" in md
    assert "\\* p < 0.1, \\*\\* p < 0.05, \\*\\*\\* p < 0.01" in md
    rows = [ln for ln in lines if ln.startswith("|")]
    assert len({ln.count("|") - ln.count("\\|") for ln in rows}) == 1
    assert "nan" not in md.lower()


class _Checker(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("br",):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_well_formed_and_escaped():
    out = to_html(paper_table())
    checker = _Checker()
    checker.feed(out)
    assert checker.errors == [] and checker.stack == []
    assert "<caption>ITT on value added (USD) &amp; 50% of profits</caption>" in out
    assert "12,628<sup>***</sup>" in out
    assert "HC1 &amp; co" in out
    assert "<tfoot>" in out and "* p &lt; 0.1, ** p &lt; 0.05, *** p &lt; 0.01" in out
    assert out.count("border-top") == 1
    text = "".join(checker.text)
    assert "nan" not in text.lower()


def test_text_aligns_columns():
    txt = to_text(paper_table())
    lines = txt.splitlines()
    assert lines[0] == "ITT on value added (USD) & 50% of profits"
    widths = {len(ln) for ln in lines[1:] if ln.startswith("-")}
    assert len(widths) == 1
    body = [ln for ln in lines if ln.startswith(("invited", "N "))]
    assert body[0].rstrip().endswith("-0.052*") and body[1].rstrip().endswith("580")
    # numbers are right-aligned: the last characters line up
    assert len(body[0].rstrip()) == len(body[1].rstrip())
    assert "* p < 0.1, ** p < 0.05, *** p < 0.01" in lines


def test_from_frame():
    f = pd.DataFrame({"Control": ["1.00", ""], "Treated": ["1.20", "3"]}, index=["Sales", "N"])
    t = Table.from_frame(f, stub="Covariate", notes=["x"])
    assert t.header == (("Covariate", "Control", "Treated"),)
    assert t.body[1] == ("N", "", "3")
    t2 = Table.from_frame(f, index=False)
    assert t2.header == (("Control", "Treated"),) and t2.width == 2
