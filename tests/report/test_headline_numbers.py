"""README, notebooks and the demo report show the same Ghana and Tanzania headline numbers.

The README's "A first look" is run as a script and must print exactly the output shown under
it; the notebooks are executed and their "Headline" lines read; the demo report's headline box
is read from ``report.md``. The numbers (gain, its 95% interval, one-year BCR) must agree as
printed, and P(BCR > 1) within the rounding of each place that shows it.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NUM = r"-?[\d,]+"


def _first_look():
    section = README[README.index("## A first look") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"It prints\n\n```text\n(.*?)```", section, re.S).group(1)
    return code, shown


def _money(s):
    return int(s.replace(",", ""))


@pytest.fixture(scope="module")
def demo_box(demo_report):
    out, summary = demo_report
    md = (out / "report.md").read_text(encoding="utf-8")
    box = {}
    pattern = (
        rf"(Ghana|Tanzania), (classroom|on-site) training: .*? rose by ({NUM}) USD "
        rf"\(95 % confidence interval ({NUM}) to ({NUM}) USD\)\. .*? benefit-cost ratio is "
        r"([\d.]+): .*? the probability that it exceeds 1 is (above 99 %|below 1 %|\d+ %)"
    )
    for m in re.finditer(pattern, md):
        site, arm, est, lo, hi, bcr, chance = m.groups()
        box[(site, arm)] = (_money(est), _money(lo), _money(hi), bcr, chance)
    assert md.index("Headline") < md.index("## About"), "the headline box is not at the top"
    assert summary["headline_sentences"]
    return box


def _chance_agrees(chance, p):
    if chance == "above 99 %":
        return p > 0.995
    if chance == "below 1 %":
        return p < 0.005
    return abs(float(chance.rstrip(" %")) - 100 * p) <= 0.5 + 0.05  # shown to 0.001 elsewhere


def test_readme_first_look_prints_what_it_shows(tmp_path):
    code, shown = _first_look()
    assert "to_latex()" in code and "results_table" in code
    script = tmp_path / "first_look.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown


def test_readme_and_demo_report_agree_on_ghana(demo_box):
    _, shown = _first_look()
    est, lo, hi = re.search(rf"LATE ({NUM}) USD per year  \[({NUM}), ({NUM})\]", shown).groups()
    bcr, p = re.search(r"BCR ([\d.]+) over one year, P\(BCR > 1\) = ([\d.]+)", shown).groups()
    g = demo_box[("Ghana", "classroom")]
    assert g[:4] == (_money(est), _money(lo), _money(hi), bcr)
    assert _chance_agrees(g[4], float(p))
    assert set(demo_box) == {
        ("Ghana", "classroom"),
        ("Tanzania", "classroom"),
        ("Tanzania", "on-site"),
    }


@pytest.fixture(scope="module")
def kernel_spec_manager(tmp_path_factory):
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager

    prefix = tmp_path_factory.mktemp("kernels")
    path = Path(install(prefix=str(prefix), kernel_name="python3"))
    assert Path(json.loads((path / "kernel.json").read_text())["argv"][0]).name.startswith("py")
    return KernelSpecManager(kernel_dirs=[str(path.parent)], ensure_native_kernel=False)


def _headlines(name, kernel_spec_manager):
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_spec_manager)
    NotebookClient(
        nb, km=km, timeout=120, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return [line for line in text.splitlines() if line.startswith("Headline")]


def _parse_notebook_line(line):
    m = re.search(
        rf"(LATE|ATT) ({NUM}) USD per year \[({NUM}), ({NUM})\]; BCR ([\d.]+) over one year.*"
        r"P\(BCR > 1\) = ([\d.]+)",
        line,
    )
    assert m, line
    _, est, lo, hi, bcr, p = m.groups()
    return (_money(est), _money(lo), _money(hi), bcr), float(p)


def test_notebooks_and_demo_report_agree(demo_box, kernel_spec_manager):
    (ghana,) = _headlines("01_quickstart_ghana.ipynb", kernel_spec_manager)
    numbers, p = _parse_notebook_line(ghana)
    assert numbers == demo_box[("Ghana", "classroom")][:4]
    assert _chance_agrees(demo_box[("Ghana", "classroom")][4], p)
    lines = _headlines("02_tanzania_factorial.ipynb", kernel_spec_manager)
    by_arm = {re.match(r"Headline (\S+):", line).group(1): line for line in lines}
    assert set(by_arm) == {"classroom", "on-site"}
    for arm, line in by_arm.items():
        numbers, p = _parse_notebook_line(line)
        assert numbers == demo_box[("Tanzania", arm)][:4], (arm, line)
        assert _chance_agrees(demo_box[("Tanzania", arm)][4], p)
