r"""Docstring fragments of the pooled estimate (:mod:`~kaizen_eval.estimate.pooling_result`).

Its methods and the forest plot share the draws' parameters and returns and the example set-up
of three sites (a figure's returns are the package-wide ``returns_figure`` of
:data:`kaizen_eval._docs.COMMON`). Filled at import by :func:`kaizen_eval._docs.fill_doc`.
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "params_draws": """\
Parameters
----------
n : int, default 10000
    Number of draws.
seed : int or numpy.random.Generator, default 0
    Random seed.""",
    "returns_draws": """\
Returns
-------
numpy.ndarray, shape (n,)""",
    "example_three_sites": """\
>>> import pandas as pd
>>> import kaizen_eval as ke
>>> t = pd.DataFrame({"estimate": [1.0, 2.0, 4.0], "std_error": [1.0, 1.0, 1.0]},
...                  index=["a", "b", "c"])""",
}
