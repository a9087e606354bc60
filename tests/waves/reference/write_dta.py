"""Write panel_baseline.dta, the Stata file R's haven reads in haven_dta.R.

The Kaizen fixture baseline (tests/fixtures/xlsform/) loaded with its form and written by
ke.write_wave. Run from the repository root:

    PYTHONPATH=src python tests/waves/reference/write_dta.py
    cd tests/waves/reference && Rscript haven_dta.R   # writes haven_dta_reference.csv
"""

from pathlib import Path

import kaizen_eval as ke

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures" / "xlsform"


def baseline_wave():
    """The fixture baseline as the loader gives it (also used by the test)."""
    form = ke.read_xlsform(FIXTURES / "kaizen_baseline.xlsx")
    panel = ke.load_waves({"baseline": FIXTURES / "baseline_surveycto.csv"}, form=form)
    return panel.wave("baseline")


if __name__ == "__main__":
    ke.write_wave(baseline_wave(), HERE / "panel_baseline.dta", overwrite=True)
