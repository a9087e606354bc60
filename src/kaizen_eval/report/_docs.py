"""Docstring fragments of the report stage, filled at import by :func:`kaizen_eval._docs.fill_doc`.

``returns_figure`` is worded as the estimate stage's (``estimate/_docs_pooling.py``): every
figure of the package returns a bare matplotlib ``Figure``.
"""

from __future__ import annotations

__all__ = ["DOCS"]

DOCS: dict[str, str] = {
    "returns_figure": """\
Returns
-------
matplotlib.figure.Figure""",
}
