"""Words for a reader: booleans as ``yes``/``no`` and notes written as sentences."""

from __future__ import annotations

from typing import Any

import numpy as np  # noqa: F401  (the example of yes_no writes np.False_)

from kaizen_eval._format.missing import MISSING, is_missing


def yes_no(x: Any) -> str:
    """Write a boolean for a reader (``yes``/``no``), never ``True``/``False``.

    Examples
    --------
    >>> yes_no(True), yes_no(np.False_), yes_no(None)
    ('yes', 'no', '')
    """
    if is_missing(x):
        return MISSING
    return "yes" if bool(x) else "no"


def sentence(text: str) -> str:
    """Write ``text`` as a sentence: capital first letter, a full stop, no code backticks.

    Notes run together without their full stop, and backticks (Markdown code) are raw text in
    LaTeX and HTML cells, so every note of a table or summary passes through here.

    Examples
    --------
    >>> sentence("standard errors in parentheses"), sentence("Done.")
    ('Standard errors in parentheses.', 'Done.')
    >>> sentence("cluster-robust (CR1, Stata `vce(cluster)`)")
    'Cluster-robust (CR1, Stata vce(cluster)).'
    """
    text = text.replace("`", "").strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:" else text + "."
