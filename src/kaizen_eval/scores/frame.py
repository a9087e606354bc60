"""The analysis frame: one builder for the plan runner and the synthetic trials.

From a loaded :class:`~kaizen_eval.waves.Panel` to the long frame that estimators use: money
converted to USD with each wave's rate, value added = sales − inputs, management scores (share
of practices adopted, ``score_*``), ``operating`` from the interview status; and a firm's
baseline-wave values attached as ``<column>_baseline`` (the ANCOVA controls).

It lives on the scores floor, the lowest that sees both :mod:`kaizen_eval.waves` and
:mod:`kaizen_eval.scores`, so that :mod:`kaizen_eval.synthetic` and :mod:`kaizen_eval.pipeline`
build their frames with the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, require_columns
from kaizen_eval.scores.share import management_score
from kaizen_eval.waves import operating, to_usd
from kaizen_eval.waves import value_added as _value_added

__all__ = ["attach_baselines", "baseline_column", "baseline_values", "derive_long"]


def baseline_column(column: str) -> str:
    """Return the name of the baseline value of ``column`` (``<column>_baseline``).

    Examples
    --------
    >>> baseline_column("value_added")
    'value_added_baseline'
    """
    return f"{column}_baseline"


def derive_long(
    long: pd.DataFrame,
    *,
    id_col: str = "firm_id",
    currency_columns: Sequence[str] = (),
    exchange_rates: pd.DataFrame | None = None,
    value_added: bool = False,
    items: pd.DataFrame | None = None,
    status: str | None = "status",
) -> tuple[pd.DataFrame, list[str]]:
    """Return the long panel with USD money, value added, scores and survival, and notes.

    Parameters
    ----------
    long : pandas.DataFrame
        ``Panel.long``: one row per firm and wave, with a ``wave`` column.
    id_col : str
        The firm id column.
    currency_columns : sequence of str
        Money columns converted to USD (``<column>_usd``) with ``exchange_rates``.
    exchange_rates : pandas.DataFrame, optional
        USD per local-currency unit by wave (needed with ``currency_columns``).
    value_added : bool
        Add ``value_added`` = sales − inputs (in USD when they were converted).
    items : pandas.DataFrame, optional
        The management-practice item table; adds the ``score_*`` columns.
    status : str or None
        The interview status column; adds ``operating`` when the column is present.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The frame and one sentence per derived quantity (for the report).

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_trial
    >>> from kaizen_eval.waves import load_waves
    >>> t = simulate_trial("ghana", seed=1)
    >>> panel = load_waves(t.waves, id_col="firm_id", codebook=t.codebook)
    >>> long, notes = derive_long(panel.long, currency_columns=["sales", "inputs"],
    ...                           exchange_rates=t.exchange_rates, value_added=True)
    >>> {"sales_usd", "value_added", "operating"} <= set(long.columns), len(notes)
    (True, 2)
    """
    notes: list[str] = []
    currency = as_list(currency_columns)
    if currency:
        if exchange_rates is None:
            raise KaizenError(
                f"`currency_columns` {currency} need `exchange_rates` (a table of USD per "
                "local-currency unit by wave)."
            )
        long = to_usd(long, currency, rates=exchange_rates)
        notes.append(
            f"Converted to USD with the exchange rates of each wave: {', '.join(currency)}."
        )
    if value_added:
        usd = "sales_usd" in long.columns
        sales, inputs = ("sales_usd", "inputs_usd") if usd else ("sales", "inputs")
        long = _value_added(long, sales=sales, inputs=inputs).data
        notes.append(f"value_added = {sales} − {inputs}.")
    if items is not None:
        scores = management_score(long, items, id_col=id_col, wave_col="wave").table
        score_cols = [c for c in scores.columns if c.startswith("score_")]
        long = long.merge(scores[[id_col, "wave", *score_cols]], on=[id_col, "wave"], how="left")
        notes.append(
            "Management scores: share of practices adopted (" + ", ".join(score_cols) + ")."
        )
    if status and status in long.columns:
        long = long.assign(operating=operating(long, status))
    return long, notes


def baseline_values(
    long: pd.DataFrame, frame: pd.DataFrame, column: str, *, id_col: str, baseline_wave: str
) -> pd.Series:
    """Return the ``baseline_wave`` value of ``column`` for each firm (row) of ``frame``.

    Examples
    --------
    >>> long = pd.DataFrame({"firm_id": ["a", "b", "a", "b"], "wave": ["b", "b", "f", "f"],
    ...                      "y": [1.0, 2.0, 3.0, 4.0]})
    >>> baseline_values(long, long[long.wave == "f"], "y", id_col="firm_id",
    ...                 baseline_wave="b").tolist()
    [1.0, 2.0]
    """
    require_columns(long, [id_col, "wave", column], where="the long panel")
    base = long.loc[long["wave"] == baseline_wave].set_index(id_col)[column]
    return frame[id_col].map(base)


def attach_baselines(
    long: pd.DataFrame,
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    id_col: str,
    baseline_wave: str,
) -> pd.DataFrame:
    """Return ``frame`` with each firm's ``baseline_wave`` value of ``columns`` as ``<c>_baseline``.

    Raises
    ------
    KaizenError
        ``frame`` already has a column of that name (it is never silently replaced).

    Examples
    --------
    >>> long = pd.DataFrame({"firm_id": ["a", "b", "a", "b"], "wave": ["b", "b", "f", "f"],
    ...                      "y": [1.0, 2.0, 3.0, 4.0]})
    >>> attach_baselines(long, long[long.wave == "f"], ["y"], id_col="firm_id",
    ...                  baseline_wave="b")["y_baseline"].tolist()
    [1.0, 2.0]
    """
    out = {}
    for c in as_list(columns):
        name = baseline_column(c)
        if name in frame.columns:
            raise KaizenError(
                f"the data already have a column {name!r}; the baseline value of {c!r} would "
                "replace it. Rename that column."
            )
        out[name] = baseline_values(long, frame, c, id_col=id_col, baseline_wave=baseline_wave)
    return frame.assign(**out)
