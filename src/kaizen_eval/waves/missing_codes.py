"""Field teams' special codes (−888 "don't know", −999 "refused", −777 "n/a") as missing values.

Enumerators type a code where a number cannot be given; left in place, −999 would be a sales
figure. With a form, :func:`~kaizen_eval.waves.load_waves` turns every special code in a numeric
or ``select_one`` answer into a missing value, records each one in ``panel.issues`` with its
reason (``"special code -888 (don't know)"``, action ``"coerced"``) and, if asked, keeps the
reason in a column ``<variable>_missing``.

``missing_codes`` maps codes to reasons. Entries keyed by a variable's name replace the common
set for that variable: ``{-888: "don't know", -999: "refused", "employees": {-1: "refused"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError

#: The codes most Kaizen and firm-survey teams use.
DEFAULT_MISSING_CODES: Mapping[float, str] = MappingProxyType(
    {-888: "don't know", -999: "refused", -777: "n/a"}
)
#: Suffix of the reason columns (``missing_reasons=True``).
REASON_SUFFIX = "_missing"

MissingCodes = Mapping[Any, Any]


def _codes(mapping: Mapping[Any, Any], where: str) -> dict[float, str]:
    out: dict[float, str] = {}
    for code, reason in mapping.items():
        if isinstance(code, bool) or not isinstance(code, (int, float, np.number)):
            raise KaizenError(
                f"`missing_codes`{where}: codes must be numbers, got {code!r}; give a variable's "
                "own codes as a dict under its name"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise KaizenError(f"`missing_codes`{where}: the reason for {code!r} must be text")
        out[float(code)] = reason.strip()
    return out


def resolve_codes(
    missing_codes: MissingCodes | None, names: set[str]
) -> tuple[dict[float, str], dict[str, dict[float, str]]]:
    """Split ``missing_codes`` into the common codes and per-variable ones (checked).

    Examples
    --------
    >>> resolve_codes({-888: "don't know", "employees": {-1: "refused"}}, {"employees"})
    ({-888.0: "don't know"}, {'employees': {-1.0: 'refused'}})
    """
    if missing_codes is None:
        return {}, {}
    if not isinstance(missing_codes, Mapping):
        raise KaizenError(
            f"`missing_codes` must be a dict code -> reason, got {type(missing_codes).__name__}"
        )
    common = {k: v for k, v in missing_codes.items() if not isinstance(k, str)}
    own = {k: v for k, v in missing_codes.items() if isinstance(k, str)}
    unknown = sorted(set(own) - names)
    if unknown:
        raise KaizenError(
            f"`missing_codes` names variable(s) {', '.join(map(repr, unknown))}, which the form "
            "does not have"
        )
    per: dict[str, dict[float, str]] = {}
    for name, codes in own.items():
        if not isinstance(codes, Mapping):
            raise KaizenError(f"`missing_codes[{name!r}]` must be a dict code -> reason")
        per[name] = _codes(codes, f"[{name!r}]")
    return _codes(common, ""), per


def replace_codes(values: pd.Series, codes: Mapping[float, str]) -> tuple[pd.Series, pd.Series]:
    """Set cells holding a special code to missing; return the values and each cell's reason.

    ``values`` must be numeric; the reason series holds ``None`` where no code was found.

    Examples
    --------
    >>> import pandas as pd
    >>> v, why = replace_codes(pd.Series([120.0, -888.0, -999.0]), DEFAULT_MISSING_CODES)
    >>> v.tolist(), why.tolist()
    ([120.0, nan, nan], [None, "don't know", 'refused'])
    """
    reasons = pd.Series([None] * len(values), index=values.index, dtype=object)
    if not codes:
        return values, reasons
    hit = values.isin(list(codes))
    if hit.any():
        reasons[hit] = values[hit].map(lambda v: codes[float(v)])
        values = values.mask(hit)
    return values, reasons


def code_text(code: float) -> str:
    """Return a code as it was typed (``-888``, not ``-888.0``)."""
    return str(int(code)) if float(code).is_integer() else str(code)
