"""Training costs: a plain cost with its basis, and a fixed + variable cost structure.

A cost is only meaningful together with the unit it is counted per:

``"participant"``
    Cost per firm that took the training. Compare it with a LATE or an ATT (a gain per
    participant).
``"invited"``
    Cost per firm invited (offered) the training. Compare it with an ITT (a gain per invited
    firm).

The two are linked through the take-up rate ``p`` (participants / invited), assuming invited
firms that do not attend cost nothing::

    cost per invited firm = p · cost per participant

so that ``ITT / cost_per_invited = (p · LATE) / (p · cost_per_participant)``: the benefit-cost ratio
does not depend on the basis as long as gain and cost share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
import pandas as pd

from kaizen_eval._validation import KaizenError, check_option, check_probability

Basis = Literal["participant", "invited"]
BASES: tuple[Basis, ...] = get_args(Basis)


def _finite(name: str, value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise KaizenError(f"`{name}` must be a number. You passed: {value!r}.") from None
    if not np.isfinite(out):
        raise KaizenError(f"`{name}` must be finite. You passed: {value!r}.")
    return out


def check_takeup(takeup: object) -> float:
    """Return ``takeup`` as a float in (0, 1], else raise a ``KaizenError``.

    Examples
    --------
    >>> check_takeup(0.8)
    0.8
    """
    return check_probability("takeup", takeup, zero=False)


def convert_cost(amount: float, *, source: Basis, target: Basis, takeup: float) -> float:
    """Convert a cost between the per-participant and per-invited-firm bases.

    Parameters
    ----------
    amount : float
        The cost on the ``source`` basis.
    source, target : {"participant", "invited"}
        Basis of ``amount`` and basis wanted.
    takeup : float
        Share of invited firms that participated, in (0, 1].

    Returns
    -------
    float
        The cost on the ``target`` basis.

    Notes
    -----
    Per invited firm = take-up × per participant (invited firms that do not attend cost
    nothing); per participant = per invited firm / take-up.

    Examples
    --------
    >>> convert_cost(500.0, source="participant", target="invited", takeup=0.6)
    300.0
    """
    check_option("source", source, BASES)
    check_option("target", target, BASES)
    p = check_takeup(takeup)
    if source == target:
        return float(amount)
    return float(amount) * p if target == "invited" else float(amount) / p


@dataclass(frozen=True)
class Cost:
    """A cost per firm together with the basis it is counted on.

    Parameters
    ----------
    amount : float
        The cost (e.g. USD) per unit of ``per``; must be finite and non-negative.
    per : {"participant", "invited"}
        Keyword-only and required: a cost per participating firm or per invited firm.

    Examples
    --------
    >>> c = Cost(2905, per="invited")
    >>> c.per_participant(takeup=0.9)
    3227.777777777778
    >>> Cost(740, per="participant").per_invited(takeup=0.5)
    370.0
    """

    amount: float
    per: Basis = field(kw_only=True)

    def __post_init__(self) -> None:
        amount = _finite("amount", self.amount)
        if amount < 0:
            raise KaizenError(f"a cost must be non-negative. You passed: {self.amount!r}.")
        check_option("per", self.per, BASES)
        object.__setattr__(self, "amount", amount)

    def to(self, basis: Basis, takeup: float | None = None) -> Cost:
        """Return this cost on another basis, converted through ``takeup``.

        Parameters
        ----------
        basis : {"participant", "invited"}
            Basis wanted.
        takeup : float, optional
            Participants / invited firms; needed only when the basis changes.

        Returns
        -------
        Cost
            The converted cost (``self`` when the basis is unchanged).

        Examples
        --------
        >>> Cost(300, per="invited").to("participant", takeup=0.6).amount
        500.0
        """
        check_option("basis", basis, BASES)
        if basis == self.per:
            return self
        if takeup is None:
            raise KaizenError(
                f"converting a cost per {self.per} firm to a cost per {basis} needs the take-up "
                f"rate; pass `takeup=` (participants / invited firms)."
            )
        return Cost(
            convert_cost(self.amount, source=self.per, target=basis, takeup=takeup), per=basis
        )

    def per_participant(self, takeup: float | None = None) -> float:
        """Return the cost per participating firm (``takeup`` needed if this is per invited)."""
        return self.to("participant", takeup).amount

    def per_invited(self, takeup: float | None = None) -> float:
        """Return the cost per invited firm (``takeup`` needed if this is per participant)."""
        return self.to("invited", takeup).amount


def _components(name: str, items: Mapping[str, float] | None) -> Mapping[str, float]:
    if items is None:
        return MappingProxyType({})
    if not isinstance(items, Mapping):
        raise KaizenError(
            f"`{name}` must be a dict of component name -> amount. You passed: {items!r}."
        )
    out: dict[str, float] = {}
    for key, value in items.items():
        v = _finite(f"{name}[{key!r}]", value)
        if v < 0:
            raise KaizenError(f"cost component {name}[{key!r}] is negative: {value!r}.")
        out[str(key)] = v
    return MappingProxyType(out)


@dataclass(frozen=True, init=False)
class CostStructure:
    """Fixed costs plus variable costs per participant, for a programme of a given size.

    Parameters
    ----------
    fixed : dict of str to float, optional
        Costs that do not grow with the number of participants (curriculum and material,
        consultant fees, venue, ...), in total for the programme.
    per_participant : dict of str to float, optional
        Variable costs per participating firm (trainer days, on-site visits, the owner's own time
        as an opportunity cost, ...).
    participants : int
        Number of participating firms in the programme the costs were recorded for.
    invited : int, optional
        Number of invited firms; gives the take-up rate ``participants / invited``.
    basis : {"participant", "invited"}
        Basis of the cost this structure hands to :func:`~kaizen_eval.cost_benefit`
        (default ``"participant"``); ``"invited"`` needs ``invited``.

    Notes
    -----
    With fixed total ``F``, variable cost per participant ``v`` and ``n`` participants::

        cost per participant (scale n)  = F / n + v
        cost per invited firm           = p · (F / n + v),   p = participants / invited

    so the per-participant cost falls toward ``v`` as the programme is scaled up.

    Examples
    --------
    >>> cs = CostStructure(fixed={"curriculum": 6000, "venue": 4000},
    ...                    per_participant={"trainer_days": 300, "own_time": 40},
    ...                    participants=50, invited=60)
    >>> cs.per_participant()
    540.0
    >>> cs.per_participant(scale=200)
    390.0
    >>> round(cs.per_invited(), 2)
    450.0
    """

    fixed: Mapping[str, float]
    variable: Mapping[str, float]
    participants: int
    invited: int | None
    basis: Basis

    def __init__(
        self,
        *,
        fixed: Mapping[str, float] | None = None,
        per_participant: Mapping[str, float] | None = None,
        participants: int,
        invited: int | None = None,
        basis: Basis = "participant",
    ) -> None:
        object.__setattr__(self, "fixed", _components("fixed", fixed))
        object.__setattr__(self, "variable", _components("per_participant", per_participant))
        n = _count("participants", participants)
        object.__setattr__(self, "participants", n)
        if invited is not None:
            m = _count("invited", invited)
            if m < n:
                raise KaizenError(
                    f"`invited` ({m}) is smaller than `participants` ({n}); participants must be "
                    f"a subset of the invited firms."
                )
            invited = m
        object.__setattr__(self, "invited", invited)
        check_option("basis", basis, BASES)
        if basis == "invited" and invited is None:
            raise KaizenError("`basis='invited'` needs `invited` (the number of invited firms).")
        object.__setattr__(self, "basis", basis)

    @property
    def fixed_total(self) -> float:
        """Sum of the fixed components."""
        return float(sum(self.fixed.values()))

    @property
    def variable_total(self) -> float:
        """Sum of the variable components, per participant."""
        return float(sum(self.variable.values()))

    @property
    def takeup(self) -> float | None:
        """Participants / invited firms (``None`` when ``invited`` is unknown)."""
        return None if self.invited is None else self.participants / self.invited

    def total(self, scale: float | None = None) -> float:
        """Return the programme's total cost with ``scale`` participants (default: as recorded)."""
        n = self.participants if scale is None else _positive("scale", scale)
        return self.fixed_total + n * self.variable_total

    @property
    def fixed_share(self) -> float:
        """Share of the fixed costs in the total cost at the recorded scale."""
        tot = self.total()
        return self.fixed_total / tot if tot > 0 else float("nan")

    def per_participant(self, scale: float | None = None) -> float:
        """Return the cost per participant when the programme has ``scale`` participants.

        Parameters
        ----------
        scale : float, optional
            Number of participants over which the fixed costs are spread (default: the recorded
            ``participants``).

        Returns
        -------
        float
            ``fixed_total / scale + variable_total``.
        """
        n = self.participants if scale is None else _positive("scale", scale)
        return self.fixed_total / n + self.variable_total

    def per_invited(self, takeup: float | None = None, scale: float | None = None) -> float:
        """Return the cost per invited firm: ``takeup · per_participant(scale)``.

        Parameters
        ----------
        takeup : float, optional
            Participants / invited firms; defaults to the structure's own take-up (needs
            ``invited``).
        scale : float, optional
            Number of participants (see :meth:`per_participant`).
        """
        if takeup is None:
            if self.takeup is None:
                raise KaizenError(
                    "the cost per invited firm needs the take-up rate: give `invited=` to the "
                    "CostStructure or pass `takeup=`."
                )
            takeup = self.takeup
        return check_takeup(takeup) * self.per_participant(scale)

    def to_cost(
        self, basis: Basis | None = None, *, scale: float | None = None, takeup: float | None = None
    ) -> Cost:
        """Return the cost per unit of ``basis`` (default: the structure's ``basis``) as a Cost.

        Examples
        --------
        >>> CostStructure(fixed={"venue": 1000}, participants=10).to_cost()
        Cost(amount=100.0, per='participant')
        """
        basis = self.basis if basis is None else check_option("basis", basis, BASES)
        if basis == "participant":
            return Cost(self.per_participant(scale), per="participant")
        return Cost(self.per_invited(takeup, scale), per="invited")

    def scale_curve(self, scales: np.ndarray | list[float]) -> pd.DataFrame:
        """Return the cost per participant at each programme size in ``scales``.

        Returns
        -------
        pandas.DataFrame
            Columns ``participants``, ``fixed_per_participant``, ``variable_per_participant``,
            ``cost_per_participant``.
        """
        n = np.asarray(scales, dtype=float)
        if n.ndim != 1 or n.size == 0 or not np.all(n > 0):
            raise KaizenError("`scales` must be a non-empty list of positive numbers.")
        return pd.DataFrame(
            {
                "participants": n,
                "fixed_per_participant": self.fixed_total / n,
                "variable_per_participant": np.full(n.shape, self.variable_total),
                "cost_per_participant": self.fixed_total / n + self.variable_total,
            }
        )

    def table(self) -> pd.DataFrame:
        """Return one row per component with its total and per-participant amount.

        Returns
        -------
        pandas.DataFrame
            Columns ``component``, ``kind`` (``"fixed"``/``"per participant"``), ``total``,
            ``per_participant``; a last row ``"total"``.
        """
        n = self.participants
        rows = [(k, "fixed", v, v / n) for k, v in self.fixed.items()]
        rows += [(k, "per participant", v * n, v) for k, v in self.variable.items()]
        rows.append(("total", "", self.total(), self.per_participant()))
        return pd.DataFrame(rows, columns=["component", "kind", "total", "per_participant"])


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise KaizenError(f"`{name}` must be a positive integer. You passed: {value!r}.")
    return int(value)


def _positive(name: str, value: object) -> float:
    v = _finite(name, value)
    if v <= 0:
        raise KaizenError(f"`{name}` must be positive. You passed: {value!r}.")
    return v
