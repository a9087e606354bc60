"""The notebooks run top to bottom, pass their own checks against the truth, and are stored clean.

Each notebook is executed with nbclient in a kernel of *this* interpreter: the kernel spec
``python3`` is written to a temporary folder (``ipykernel.kernelspec.install(prefix=...)``) and
only that folder is searched, so the test works in a fresh virtual environment with nothing
registered with Jupyter, and never picks up another Python's kernel.
"""

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
EXPECTED = {
    "01_quickstart_ghana.ipynb",
    "02_tanzania_factorial.ipynb",
    "03_across_sites.ipynb",
    "04_spillovers.ipynb",
    "05_for_whom.ipynb",
}


@pytest.fixture(scope="module")
def kernel_spec_manager(tmp_path_factory):
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager

    prefix = tmp_path_factory.mktemp("kernels")
    path = Path(install(prefix=str(prefix), kernel_name="python3"))
    spec = json.loads((path / "kernel.json").read_text())
    assert Path(spec["argv"][0]).name.startswith("python")
    return KernelSpecManager(kernel_dirs=[str(path.parent)], ensure_native_kernel=False)


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} has outputs; clear them"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count"


def _execute(path, kernel_spec_manager, cwd):
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_spec_manager)
    client = NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(cwd)}})
    client.execute()  # raises CellExecutionError (with the cell and traceback) on any error
    return nb


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_checks_the_truth(path, kernel_spec_manager):
    nb = _execute(path, kernel_spec_manager, NB_DIR)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "assert " in code[-1].source
    assert "all checks passed" in _stdout(code[-1])
    # run from the notebooks folder, the notebook found the bundled files of the repository
    assert str(ROOT / "data" / "synthetic") in _stdout(code[0]) + str(code[0].outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_outside_the_repository(path, kernel_spec_manager, tmp_path):
    # A user who installed the package without cloning the repository: the notebook
    # regenerates the bundled trial (simulate_trial, or saturation_site for the saturation
    # trial) and its checks still pass.
    nb = _execute(path, kernel_spec_manager, tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert str(ROOT / "data" / "synthetic") not in _stdout(code[0]) + str(code[0].outputs)
    assert "all checks passed" in _stdout(code[-1])
