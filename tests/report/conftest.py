"""Fixtures for the table tests: a structural check of LaTeX and a pdflatex compile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs}
\usepackage{threeparttable}
\begin{document}
"""

#: Words an unformatted value leaves in a table.
RAW = re.compile(r"(?<![A-Za-z])(nan|NaN|None|True|False|inf)(?![A-Za-z])")
EXPONENT = re.compile(r"\d[eE][+-]?\d")


def latex_problems(tex: str) -> list[str]:
    """Everything structurally wrong with a LaTeX table (empty when it is sound)."""
    out = []
    begins = re.findall(r"\\begin\{(\w+)\}", tex)
    ends = re.findall(r"\\end\{(\w+)\}", tex)
    stack: list[str] = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(env)
        elif not stack or stack.pop() != env:
            out.append(f"\\end{{{env}}} does not close the open environment")
    if stack or sorted(begins) != sorted(ends):
        out.append(f"unbalanced environments: {begins} vs {ends}")
    for env in ("threeparttable", "tabular", "tablenotes"):
        if env not in begins:
            out.append(f"no {env} environment")
    if "\\cline" in tex:
        out.append("\\cline in the table")
    if "\\toprule" not in tex or "\\bottomrule" not in tex:
        out.append("no booktabs rules")
    for line in tex.splitlines():
        if line.lstrip().startswith("%"):
            out.append(f"a comment line {line!r} (notes belong in tablenotes)")
    if RAW.search(tex):
        out.append(f"a raw value {RAW.search(tex).group(0)!r}")
    if EXPONENT.search(tex):
        out.append(f"a number in exponent notation near {EXPONENT.search(tex).group(0)!r}")
    # every row of the tabular has the declared number of columns
    body = re.search(r"\\begin\{tabular\}\{([lcr]+)\}(.*?)\\end\{tabular\}", tex, re.DOTALL)
    if body:
        ncol = len(body.group(1))
        for row in body.group(2).split("\\\\"):
            row = re.sub(r"\\(toprule|midrule|bottomrule)", "", row).strip()
            if row and row.count("&") - row.count("\\&") != ncol - 1:
                out.append(f"row with the wrong number of cells: {row!r}")
    return out


@pytest.fixture
def check_latex():
    """Assert that a LaTeX table is structurally sound."""

    def check(tex: str, *, legend: bool = True) -> None:
        problems = latex_problems(tex)
        if legend and "p $<$ 0.01" not in tex and "p \\textless{} 0.01" not in tex:
            problems.append("no stars legend")
        assert problems == [], "\n".join(problems) + "\n" + tex

    return check


@pytest.fixture
def compile_latex(tmp_path: Path):
    """Compile LaTeX tables with pdflatex (the test is skipped when pdflatex is absent)."""
    exe = shutil.which("pdflatex")
    if exe is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-recommended/-extra)")

    def run(*tables: str) -> Path:
        doc = tmp_path / "table.tex"
        doc.write_text(PREAMBLE + "\n".join(tables) + "\n\\end{document}\n", encoding="utf-8")
        proc = subprocess.run(
            [exe, "-interaction=nonstopmode", "-halt-on-error", doc.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        log = proc.stdout[-3000:]
        assert proc.returncode == 0, log
        assert "Undefined control sequence" not in proc.stdout, log
        assert "Missing $ inserted" not in proc.stdout, log
        return tmp_path / "table.pdf"

    return run


#: A Python tuple or list repr left in a label, e.g. ('ghana', 'LATE', 'attended').
TUPLE = re.compile(r"\(\s*'[^']*'\s*,|\[\s*'[^']*'\s*,")
SNAKE_HEADER = re.compile(r"\b[a-z]+_[a-z_]+\b")


def readable_problems(text: str, *, snake_ok: tuple[str, ...] = ()) -> list[str]:
    """What makes a printed table unreadable: exponents, raw values, tuple labels, snake_case."""
    out = []
    for pattern, what in ((EXPONENT, "exponent"), (RAW, "raw value"), (TUPLE, "tuple label")):
        m = pattern.search(text)
        if m:
            out.append(f"{what} {m.group(0)!r}")
    for m in SNAKE_HEADER.finditer(text.replace("\\_", "_")):
        if m.group(0) not in snake_ok:
            out.append(f"snake_case {m.group(0)!r}")
            break
    return out


@pytest.fixture
def check_readable():
    """Assert that printed output reads as a person would write it."""

    def check(text: str, *, snake_ok: tuple[str, ...] = ()) -> None:
        problems = readable_problems(text, snake_ok=snake_ok)
        assert problems == [], "\n".join(problems) + "\n" + text

    return check


# The demo report (``demo_report``), written once per session, is a fixture of tests/conftest.py:
# the pipeline's tests read it too.
