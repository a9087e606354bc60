"""Reference values for ``ke.att_did(method="dr")`` from ``moderndid.drdid_panel``.

``moderndid`` (PyPI, 0.2.0) ports R ``DRDID::drdid_panel`` (Sant'Anna and Zhao 2020, eq. 3.1;
R's DRDID is not packaged for Debian, so the port is the peer here). Run once, in a separate
environment with moderndid installed (it is not a dependency of kaizen_eval)::

    python -m venv /tmp/peer && /tmp/peer/bin/pip install moderndid==0.2.0
    /tmp/peer/bin/python tests/estimate/reference/drdid_reference.py

Writes, next to this script, ``drdid_data.csv`` (800 firms: participation ``d``, covariates
``x1``, ``x2``, outcomes ``y0``, ``y1``; every propensity score below moderndid's trimming level
0.995, so its trimming does not bind) and ``drdid_reference.json`` (the ATT and its standard
error, with and without covariates), read by ``tests/estimate/test_did_dr.py``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from moderndid import __version__, drdid_panel

HERE = Path(__file__).parent

rng = np.random.default_rng(20201)
n = 800
x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n).astype(float)
p = 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 - 0.5 * x2)))
d = (rng.random(n) < p).astype(float)
y0 = 1 + x1 + x2 + rng.normal(size=n)
y1 = y0 + 0.5 + 0.7 * x1 - 0.4 * x2 + 0.3 * x1**2 + 2.0 * d + rng.normal(size=n)
data = pd.DataFrame({"d": d, "x1": x1, "x2": x2, "y0": y0, "y1": y1})
data.to_csv(HERE / "drdid_data.csv", index=False, float_format="%.17g")
data = pd.read_csv(HERE / "drdid_data.csv")  # the numbers exactly as stored

out = {"moderndid": __version__}
for case, cols in (("with_covariates", ["x1", "x2"]), ("constant_only", [])):
    x = np.column_stack([np.ones(n), *(data[c].to_numpy() for c in cols)])
    res = drdid_panel(data.y1.to_numpy(), data.y0.to_numpy(), data.d.to_numpy(), x)
    out[case] = {"att": float(res.att), "se": float(res.se)}
(HERE / "drdid_reference.json").write_text(json.dumps(out, indent=2) + "\n")
print(out)
