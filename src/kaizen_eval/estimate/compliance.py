"""Who complied: take-up by arm, the complier share and complier characteristics (Abadie's κ)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaizen_eval._render import copied
from kaizen_eval._validation import KaizenError, as_list
from kaizen_eval.estimate._frame import estimation_sample, numeric_column


@dataclass(frozen=True, eq=False)
class Compliance:
    """Compliance with a randomized invitation; immutable (tables are returned as copies).

    Attributes
    ----------
    complier_share : float
        ``P(D = 1 | Z = 1) − P(D = 1 | Z = 0)``.
    one_sided : bool
        Nobody with ``Z = 0`` took up the treatment.
    """

    complier_share: float
    one_sided: bool
    _take_up: pd.DataFrame
    _characteristics: pd.DataFrame

    take_up = copied(
        "_take_up",
        "Take-up rate and counts by arm (and by the ``by`` column, if given).",
    )

    characteristics = copied(
        "_characteristics",
        """Mean covariates of compliers, always-takers, never-takers and the whole sample.

        Complier means use Abadie's (2003) κ-weights
        ``κ = 1 − D(1 − Z)/(1 − p) − (1 − D)Z/p`` with ``p`` the share assigned; always-takers
        are the takers among the non-assigned, never-takers the non-takers among the assigned.
        """,
    )

    def __repr__(self) -> str:
        return (
            f"<Compliance: complier share {self.complier_share:.3f}"
            + (" (one-sided)" if self.one_sided else "")
            + ">\n"
            + self._take_up.to_string(float_format=lambda v: f"{v:.3f}")
        )


def compliance(
    df: pd.DataFrame,
    *,
    treatment: str,
    instrument: str,
    covariates: str | Sequence[str] = (),
    by: str | None = None,
) -> Compliance:
    """Describe compliance with a binary random assignment.

    Parameters
    ----------
    df : pandas.DataFrame
    treatment : str
        Binary take-up column (e.g. ``attended``).
    instrument : str
        Binary assignment column (e.g. ``invited``).
    covariates : str or sequence of str
        Baseline characteristics to describe by compliance type.
    by : str, optional
        Also tabulate take-up by this column (e.g. ``wave``).

    Returns
    -------
    Compliance

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"invited": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "attended": [1, 1, 1, 0, 0, 0, 0, 0],
    ...                    "educ": [12.0, 10, 8, 6, 9, 9, 9, 9]})
    >>> c = compliance(df, treatment="attended", instrument="invited", covariates="educ")
    >>> c.complier_share, c.one_sided
    (0.75, True)
    >>> float(c.characteristics.loc["educ", "compliers"])
    10.0
    """
    covs = as_list(covariates)
    sample = estimation_sample(
        df,
        [("treatment", [treatment]), ("instrument", [instrument]), ("by", as_list(by))],
        where="compliance",
        keep=covs,
    )
    data = sample.data
    d = numeric_column(data, treatment, "treatment")
    z = numeric_column(data, instrument, "instrument")
    for name, v in ((treatment, d), (instrument, z)):
        if not np.isin(v, (0.0, 1.0)).all():
            shown = ", ".join(f"{u:g}" for u in np.unique(v)[:6])
            raise KaizenError(
                f"compliance needs a 0/1 column; {name!r} has other values ({shown}): take-up "
                "and assignment are indicators here (a take-up rate outside [0, 1] is a coding "
                "error)"
            )
    if z.min() == z.max():
        raise KaizenError(f"instrument {instrument!r} does not vary")
    keys = [instrument] if by is None else [by, instrument]
    grouped = data.assign(_d=d).groupby(keys, observed=True, sort=True)["_d"]
    take_up = pd.DataFrame(
        {"n": grouped.size(), "took_up": grouped.sum().astype(int), "take_up_rate": grouped.mean()}
    )
    p1, p0 = d[z == 1].mean(), d[z == 0].mean()
    p = z.mean()
    kappa = 1 - d * (1 - z) / (1 - p) - (1 - d) * z / p
    rows = {}
    for c in covs:
        x = data[c]
        if not (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)):
            raise KaizenError(f"covariate {c!r} must be numeric; it has dtype {x.dtype}")
        x = x.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(x)
        if not ok.any():
            raise KaizenError(f"covariate {c!r} is missing in every row of the sample")
        at = ok & (z == 0) & (d == 1)
        nt = ok & (z == 1) & (d == 0)
        rows[c] = {
            "compliers": float(np.sum(kappa[ok] * x[ok]) / np.sum(kappa[ok])),
            "always_takers": float(x[at].mean()) if at.any() else np.nan,
            "never_takers": float(x[nt].mean()) if nt.any() else np.nan,
            "all": float(x[ok].mean()),
            "n_observed": int(ok.sum()),
        }
    chars = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["compliers", "always_takers", "never_takers", "all", "n_observed"],
    )
    return Compliance(
        complier_share=float(p1 - p0),
        one_sided=bool(p0 == 0),
        _take_up=take_up,
        _characteristics=chars,
    )
