"""Write the analysis frames of the replication script for the R reference (site_tables.R).

Run from the repository root::

    python tests/replication/reference/write_frames.py
    Rscript tests/replication/reference/site_tables.R
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[2] / "replication" / "sites" / "replicate_site.py"
COLUMNS = [
    "firm_id",
    "stratum",
    "invited",
    "onsite",
    "attended",
    "onsite_received",
    "value_added",
    "value_added_baseline",
    "score_overall",
    "score_overall_baseline",
    "operating",
]


def load_script():
    spec = importlib.util.spec_from_file_location("_replication_replicate_site", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def frame(site, wave=None):
    """The columns of the site's analysis frame (of ``wave``; default the last) used."""
    rep = load_script()
    df, _ = rep.load_site(site, wave=wave)
    return df[[c for c in COLUMNS if c in df.columns]].sort_values("firm_id")


if __name__ == "__main__":
    for site in ("ghana", "tanzania", "vietnam", "ethiopia"):
        frame(site).to_csv(HERE / "frames" / f"{site}.csv", index=False)
    for site in ("vietnam", "ethiopia"):
        frame(site, "survey2").to_csv(HERE / "frames" / f"{site}_survey2.csv", index=False)
