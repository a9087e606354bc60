"""Money: local currency to USD, value added, winsorizing and trimming (within arm).

Accounting outcomes of small firms are noisy and skewed. These helpers never act silently:
:func:`value_added`, :func:`winsorize` and :func:`trim` return an :class:`Adjustment` that
carries the new data together with a summary and the list of every value they changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, as_list, require_columns
from kaizen_eval.waves.errors import CurrencyError
from kaizen_eval.waves.outliers import MAX_AMOUNT as MAX_AMOUNT
from kaizen_eval.waves.outliers import QUANTILE_METHODS as QUANTILE_METHODS
from kaizen_eval.waves.outliers import Adjustment, check_finite
from kaizen_eval.waves.outliers import quantile_bounds as quantile_bounds
from kaizen_eval.waves.outliers import trim as trim
from kaizen_eval.waves.outliers import winsorize as winsorize


def _rates_by_wave(rates: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    require_columns(rates, ["wave", "usd_per_unit"], where="the exchange-rate table")
    table = rates.copy()
    if currency is not None:
        require_columns(table, ["currency"], where="the exchange-rate table (currency given)")
        table = table[table["currency"] == currency]
        if table.empty:
            raise KaizenError(f"the exchange-rate table has no rate for currency {currency!r}")
    key = table["wave"].astype(str)
    dup = sorted(set(key[key.duplicated()]))
    if dup:
        hint = " pass `currency=` to choose one" if "currency" in table else ""
        raise KaizenError(
            f"the exchange-rate table has several rates for wave(s) {', '.join(map(repr, dup))};"
            + hint
        )
    factor = pd.to_numeric(table["usd_per_unit"], errors="coerce")
    if "deflator" in table:
        deflator = pd.to_numeric(table["deflator"], errors="coerce")
    else:
        deflator = pd.Series(1.0, index=table.index)
    for label, values in (("usd_per_unit", factor), ("deflator", deflator)):
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise KaizenError(
                f"the exchange-rate table has a missing or non-positive {label} for wave(s) "
                f"{', '.join(map(repr, key[bad]))}"
            )
    return pd.DataFrame({"factor": (factor / deflator).to_numpy()}, index=key.to_numpy())


def to_usd(
    df: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    rates: pd.DataFrame,
    wave_col: str = "wave",
    currency: str | None = None,
    suffix: str = "_usd",
    currency_col: str = "currency",
    id_col: str = "firm_id",
) -> pd.DataFrame:
    """Convert local-currency amounts to (constant) USD with a rate per wave.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table with a wave column (e.g. ``panel.long``). Not modified.
    columns : str or sequence of str
        Numeric amount columns in local currency.
    rates : pandas.DataFrame
        Columns ``wave`` and ``usd_per_unit``; optional ``deflator`` (price index of the wave,
        dividing the converted amount) and ``currency``.
    wave_col : str
        The wave column of ``df``.
    currency : str, optional
        Which currency's rows of ``rates`` to use, when it lists several.
    suffix : str
        New columns are ``<column><suffix>``; an empty suffix replaces the columns.
    currency_col : str
        A column of ``df`` holding each row's currency code, if it has one. Each row is then
        converted at its own currency's rate, which ``rates`` must list (a ``currency``
        column); amounts in several currencies with a rate table that does not say which rate
        is which are an error, never converted at one rate.
    id_col : str
        Firm id column, named in errors when ``df`` has it.

    Returns
    -------
    pandas.DataFrame
        A copy with the converted columns. Missing amounts stay missing.

    Raises
    ------
    KaizenError
        If a wave of ``df`` has no rate (naming it), has several, or a rate is not positive.
    CurrencyError
        If the rows hold currency codes the rate table cannot tell apart, or codes other than
        ``currency``.
    NonFiniteValueError
        If an amount is infinite or beyond :data:`MAX_AMOUNT` in absolute value (naming the
        column, wave and firms).

    Notes
    -----
    ``amount_usd = amount × usd_per_unit / deflator`` (deflator 1 when absent).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"wave": ["baseline", "followup"], "sales": [1000.0, 1000.0]})
    >>> rates = pd.DataFrame({"wave": ["baseline", "followup"], "usd_per_unit": [0.5, 0.4],
    ...                       "deflator": [1.0, 1.25]})
    >>> to_usd(df, "sales", rates=rates)["sales_usd"].tolist()
    [500.0, 320.0]
    """
    cols = as_list(columns)
    require_columns(df, [wave_col, *cols], where="the data to convert")
    for c in cols:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise KaizenError(f"column {c!r} must be numeric to convert; it is {df[c].dtype}")
    waves = df[wave_col].astype(object)
    if waves.isna().any():
        raise KaizenError(f"{int(waves.isna().sum())} row(s) have no value in {wave_col!r}")
    key = waves.astype(str)
    for c in cols:
        check_finite(df, c, key, id_col)
    codes = _row_currencies(df, currency_col, rates, currency)
    if codes is None:
        table = _rates_by_wave(rates, currency)
        lookup = key
    else:
        table = _rates_by_wave_and_currency(rates)
        lookup = key + "\x1f" + codes
    unknown = [w for w in pd.unique(lookup) if w not in table.index]
    if unknown:
        shown = ", ".join(repr(u.replace("\x1f", " in ")) for u in unknown)
        listed = ", ".join(repr(t.replace("\x1f", " in ")) for t in table.index)
        raise KaizenError(f"no exchange rate for wave(s) {shown}; the rate table has {listed}")
    factor = lookup.map(table["factor"]).to_numpy(dtype=float)
    out = df.copy()
    for c in cols:
        out[f"{c}{suffix}"] = df[c].to_numpy(dtype=float, na_value=np.nan) * factor
    return out


def _row_currencies(
    df: pd.DataFrame, currency_col: str, rates: pd.DataFrame, currency: str | None
) -> pd.Series | None:
    """Each row's currency code, when ``df`` has them and rates are per currency; else None."""
    if currency_col not in df.columns:
        return None
    codes = df[currency_col].astype(object)
    if codes.isna().any():
        raise CurrencyError(
            f"{int(codes.isna().sum())} row(s) have no currency code in {currency_col!r}; "
            "fill them in (every amount needs its currency)"
        )
    codes = codes.map(lambda v: str(v).strip().upper())
    found = sorted(pd.unique(codes))
    if currency is not None:
        other = [c for c in found if c != str(currency).strip().upper()]
        if other:
            raise CurrencyError(
                f"`currency` is {currency!r}, but column {currency_col!r} also has "
                f"{', '.join(map(repr, other))}; drop `currency=` to convert each row at its own "
                "currency's rate"
            )
        return None
    if isinstance(rates, pd.DataFrame) and "currency" in rates.columns:
        return codes
    if len(found) > 1:
        raise CurrencyError(
            f"column {currency_col!r} holds several currencies ({', '.join(map(repr, found))}) "
            "but the exchange-rate table has no 'currency' column: one rate per wave would "
            "convert them all alike; give a rate per wave and currency"
        )
    return None


def _rates_by_wave_and_currency(rates: pd.DataFrame) -> pd.DataFrame:
    table = rates.assign(currency=rates["currency"].map(lambda v: str(v).strip().upper()))
    parts = [
        _rates_by_wave(table, code).set_axis(
            [f"{w}\x1f{code}" for w in _rates_by_wave(table, code).index]
        )
        for code in pd.unique(table["currency"])
    ]
    return pd.concat(parts)


def value_added(
    df: pd.DataFrame, sales: str = "sales", inputs: str = "inputs", name: str = "value_added"
) -> Adjustment:
    """Value added = sales − intermediate inputs, only where both are known.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (not modified).
    sales, inputs : str
        Numeric columns in the same currency.
    name : str
        The new column.

    Returns
    -------
    Adjustment
        ``.data`` with the new column; ``.summary`` (one row: ``rows``, ``computed``,
        ``missing_sales``, ``missing_inputs``, ``missing_both``); ``.changes`` lists each row
        left missing and why.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sales": [100.0, None], "inputs": [40.0, 10.0]})
    >>> va = value_added(df)
    >>> va.data["value_added"].tolist(), va.summary["missing_sales"].item()
    ([60.0, nan], 1)
    """
    require_columns(df, [sales, inputs], where="the data")
    for c in (sales, inputs):
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise KaizenError(f"column {c!r} must be numeric for value added; it is {df[c].dtype}")
        check_finite(df, c, None)
    out = df.copy()
    out[name] = df[sales] - df[inputs]
    no_s, no_i = df[sales].isna(), df[inputs].isna()
    reasons = pd.Series(
        np.select(
            [no_s & no_i, no_s, no_i],
            [f"{sales} and {inputs} missing", f"{sales} missing", f"{inputs} missing"],
            default="",
        ),
        index=df.index,
    )
    missing = reasons != ""
    changes = pd.DataFrame(
        {"column": name, "old": None, "new": np.nan, "reason": reasons[missing]},
        index=df.index[missing],
    )
    summary = pd.DataFrame(
        {
            "rows": [len(df)],
            "computed": [int((~missing).sum())],
            "missing_sales": [int((no_s & ~no_i).sum())],
            "missing_inputs": [int((no_i & ~no_s).sum())],
            "missing_both": [int((no_s & no_i).sum())],
        }
    )
    return Adjustment(data=out, summary=summary, changes=changes)
