"""The demo report read the way a person reads it: rendered in Chromium, and every written file.

Chromium renders ``index.html`` at 1400 px (desktop) and 800 px; a script measures, in the DOM,
every table's box (``scrollWidth > clientWidth`` of its wrapper) and the page itself. Every
HTML, Markdown and LaTeX file of the demo folder is searched for what an unformatted value
leaves behind: ``NaN``/``nan``, ``True``/``False``, tuple labels, Python reprs, exponents,
snake_case headers and raw backticks in HTML.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = """<script>
window.addEventListener('load', () => {
  const wide = [];
  document.querySelectorAll('.table-wrap').forEach((w, i) => {
    if (w.scrollWidth > w.clientWidth + 1) {
      const cap = w.querySelector('.caption');
      wide.push({i: i, scroll: w.scrollWidth, client: w.clientWidth,
                 caption: cap ? cap.textContent : ''});
    }
  });
  const d = document.documentElement;
  const out = {tables: wide, page: d.scrollWidth > d.clientWidth + 1,
               width: window.innerWidth, n: document.querySelectorAll('.table-wrap').length};
  const p = document.createElement('pre');
  p.id = 'layout-check';
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
});
</script>"""


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install it")
        pytest.skip("headless chromium not installed (Debian package `chromium`)")
    return exe


def _run(exe, profile, *args):
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def layout(page: Path, width: int, workdir: Path) -> dict:
    """Load ``page`` in Chromium at ``width`` px and return the DOM measurements."""
    exe = _chromium()
    probe = workdir / f"probe-{width}-{page.stem}.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"))
    proc = _run(exe, workdir / "profile", f"--window-size={width},2000", "--dump-dom",
                probe.as_uri())  # fmt: skip
    m = re.search(r'<pre id="layout-check">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"the layout probe did not run: {proc.stderr[-2000:]}"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_the_layout_probe_sees_an_overflowing_table(tmp_path):
    cells = "".join(f"<td>{'wide cell ' * 3}{i}</td>" for i in range(30))
    page = tmp_path / "wide.html"
    page.write_text(
        "<!DOCTYPE html><html><body style='max-width:700px'><div class='table-wrap' "
        f"style='overflow-x:auto'><table><tr>{cells}</tr></table></div></body></html>"
    )
    got = layout(page, 800, tmp_path)
    assert got["width"] == 800 and len(got["tables"]) == 1


@pytest.mark.parametrize("width", [1400, 800])
def test_demo_report_tables_fit_the_page(demo_report, tmp_path, width):
    out, _ = demo_report
    got = layout(out / "index.html", width, tmp_path)
    assert got["width"] == width and got["n"] > 40
    assert got["tables"] == [], f"tables wider than the text column at {width} px"
    assert not got["page"], f"the page scrolls sideways at {width} px"
    png = tmp_path / f"report-{width}.png"
    _run(_chromium(), tmp_path / "profile", f"--window-size={width},5000",
         f"--screenshot={png}", (out / "index.html").as_uri())  # fmt: skip
    assert png.stat().st_size > 50_000, "the screenshot is (almost) empty"


DATA_URI = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")
PROBLEMS = {
    "NaN": re.compile(r"(?<![A-Za-z])(nan|NaN|NAN|<NA>|NaT)(?![A-Za-z])"),
    "True/False": re.compile(r"(?<![A-Za-z])(True|False|None)(?![A-Za-z])"),
    "tuple label": re.compile(r"\(\s*'[^']*'\s*,\s*'"),
    "Python repr": re.compile(
        r"<[A-Za-z_.]+ (object )?at 0x|<[A-Z][A-Za-z]+: |dtype: |Name: \w+, |array\(|"
        r"\b[A-Z][A-Za-z]+\((terms|coef|site)="
    ),
    "exponent": re.compile(r"\d\.?\d*[eE][+-]\d{2}"),
}


def _texts(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".html", ".md", ".tex") and "data" not in path.relative_to(folder).parts:
            yield path, DATA_URI.sub("", path.read_text(encoding="utf-8"))


def test_no_raw_values_anywhere_in_the_demo_output(demo_report):
    out, _ = demo_report
    found = []
    files = list(_texts(out))
    assert len(files) > 100
    for path, text in files:
        for what, rx in PROBLEMS.items():
            for m in rx.finditer(text):
                ctx = text[max(0, m.start() - 60) : m.end() + 60].replace("\n", " ")
                found.append(f"{path.relative_to(out)}: {what}: ...{ctx}...")
    assert found == [], "\n".join(found[:30])


SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def _headers(path: Path, text: str) -> list[str]:
    if path.suffix == ".html":
        return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", text, re.S)]
    if path.suffix == ".md":
        lines = text.splitlines()
        return [
            lines[i]
            for i in range(len(lines) - 1)
            if lines[i].startswith("|") and re.match(r"^\|[:\- |]+\|$", lines[i + 1])
        ]
    heads = re.findall(r"\\toprule\n(.*?)\\midrule", text, re.S)
    return [h.replace("\\_", "_") for h in heads]


def test_no_snake_case_headers_or_backticks(demo_report):
    out, _ = demo_report
    found = []
    for path, text in _texts(out):
        for h in _headers(path, text):
            for m in SNAKE.finditer(h):
                found.append(f"{path.relative_to(out)}: header {m.group(0)!r} in {h.strip()!r}")
        if path.suffix == ".html":
            body = re.sub(r"<pre.*?</pre>", "", text, flags=re.S)
            for m in re.finditer(r"`", body):
                found.append(
                    f"{path.relative_to(out)}: backtick: {body[m.start() - 40 : m.end() + 40]}"
                )
    assert found == [], "\n".join(found[:30])


def test_stars_legend_in_the_html_and_latex(demo_report):
    out, _ = demo_report
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<sup>***</sup>" in page or "<sup>**</sup>" in page or "<sup>*</sup>" in page
    assert "* p &lt; 0.1, ** p &lt; 0.05, *** p &lt; 0.01" in page
    tex = (out / "tables" / "ghana_performance_late.tex").read_text(encoding="utf-8")
    assert "\\begin{threeparttable}" in tex and "p $<$ 0.01" in tex


def test_provenance_lists_both_plans(demo_report):
    out, _ = demo_report
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert set(prov["plans"]) == {"ghana", "tanzania"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in prov["plans"].values())
