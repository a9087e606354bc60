"""Pool plans: which estimate of every site's plan to pool across sites, and how (TOML).

A pool plan has one ``[pool]`` table. It names an estimate the way the site plans name it
(``family``, ``outcome``, ``estimand`` and, for a plan with several arms, ``term``), how to pool it
(``method``, ``test``, ``alpha``; ``prior`` and ``prior_scale`` for ``method = "bayes"``) and,
in an optional ``[pool.rollout]`` table, the cost of rolling the training out to a new cluster,
with the keys of a plan's ``[cost_benefit]`` table (``cost``, ``cost_basis``, ``years``,
``discount_rate``, ``decay``) and ``takeup``, the share of invited firms expected to take part,
which converts a cost per participant to the pooled ITT's basis (per invited firm). Every key is
checked on load, with the checks of the site plans: an unknown key or a wrong type is a
:class:`~kaizen_eval.pipeline.plan.PlanError` that names it.

Example pool plan::

    [pool]
    family = "performance"
    outcome = "value_added"
    estimand = "itt"          # as the plans name it: "itt", "late" or "att"
    term = "invited"          # default: the first term of the first site's estimate
    method = "REML"           # "FE", "DL", "PM", "ML", "REML" or "bayes"
    test = "knha"             # default "knha" ("z" for "FE" and "bayes")
    alpha = 0.05

    [pool.rollout]
    cost = 2905
    cost_basis = "invited"
    years = 1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaizen_eval.costbenefit._inputs import ESTIMAND_BASIS
from kaizen_eval.estimate.pooling import PoolMethod, PoolTest, TauPrior
from kaizen_eval.pipeline._plan_checks import (
    PlanError,
    _check_keys,
    _choice,
    _empty,
    _get,
    _number,
    _read_plan_file,
    _table,
    _whole,
)
from kaizen_eval.pipeline._specs import CostBasis, EstimandName, _keys

__all__ = ["PoolSpec", "RolloutSpec", "load_pool", "parse_pool"]


@dataclass(frozen=True)
class RolloutSpec:
    """The ``[pool.rollout]`` table: the cost of the training in a new cluster.

    ``cost`` is per participant or per invited firm (``cost_basis``); ``takeup`` (participants
    per invited firm) converts it when its basis differs from the pooled estimand's (an ITT is
    a gain per invited firm, a LATE or ATT per participant).
    """

    cost: float
    cost_basis: CostBasis = "participant"
    years: int = 1
    discount_rate: float = 0.0
    decay: float = 0.0
    takeup: float | None = None


@dataclass(frozen=True)
class PoolSpec:
    """A validated pool plan: the estimate pooled across sites, the pooling, the roll-out cost.

    Examples
    --------
    >>> PoolSpec("performance", "value_added").method
    'REML'
    """

    family: str
    outcome: str
    estimand: EstimandName = "itt"
    term: str | None = None
    method: PoolMethod = "REML"
    test: PoolTest = "knha"
    alpha: float = 0.05
    prior: TauPrior = "uniform"
    prior_scale: float | None = None
    rollout: RolloutSpec | None = None


_POOL = _keys(PoolSpec)
_ROLLOUT = _keys(RolloutSpec)


def _parse_rollout(p: dict[str, Any], estimand: str) -> RolloutSpec | None:
    """Return the ``[pool.rollout]`` table, or ``None`` without one."""
    if "rollout" not in p:
        return None
    r = _get(p, "rollout", dict, "pool.")
    w = "pool.rollout."
    _check_keys(r, _ROLLOUT, w)
    spec = RolloutSpec(
        cost=_number(r, "cost", w, positive=True),
        cost_basis=_choice(
            _get(r, "cost_basis", str, w, "participant"), CostBasis, w + "cost_basis"
        ),
        years=_whole(r, "years", w, 1, least=1),
        discount_rate=_number(r, "discount_rate", w, 0.0, least=0.0, below=1.0),
        decay=_number(r, "decay", w, 0.0, least=0.0, at_most=1.0),
        takeup=_number(r, "takeup", w, None, positive=True, at_most=1.0),
    )
    basis = ESTIMAND_BASIS[estimand.upper()]
    if spec.cost_basis != basis and spec.takeup is None:
        raise PlanError(
            f"plan key '{w}cost_basis' is {spec.cost_basis!r} but the pooled "
            f"{estimand.upper()} is a gain per {basis} firm: set '{w}takeup' (participants per "
            f"invited firm) to convert the cost, or give the cost per {basis} firm."
        )
    return spec


def parse_pool(text: str) -> PoolSpec:
    r"""Parse and validate a pool plan from TOML text.

    Parameters
    ----------
    text : str
        The pool plan, in TOML: one ``[pool]`` table (see the module docstring).

    Returns
    -------
    PoolSpec

    Raises
    ------
    PlanError
        Naming the key at fault: invalid TOML, unknown or misspelt keys, wrong types, an
        unknown estimand, method or test, ``alpha`` outside (0, 1), ``test = "knha"`` or no
        ``prior_scale`` where the method does not take them, a roll-out cost that is not
        positive, or a cost whose basis differs from the estimand's without ``takeup``.

    Examples
    --------
    >>> spec = parse_pool('''
    ... [pool]
    ... family = "performance"
    ... outcome = "value_added"
    ... [pool.rollout]
    ... cost = 2905
    ... cost_basis = "invited"
    ... ''')
    >>> spec.estimand, spec.method, spec.test, spec.rollout.cost
    ('itt', 'REML', 'knha', 2905.0)
    >>> parse_pool('[pool]\nfamily = "performance"\noutcome = "value_added"\nmetod = "DL"')
    Traceback (most recent call last):
    ...
    kaizen_eval.pipeline._plan_checks.PlanError: unknown key 'pool.metod' in the plan. Did you mean 'method'? Valid keys here: family, outcome, estimand, term, method, test, alpha, prior, prior_scale, rollout.
    """  # noqa: E501
    if not isinstance(text, str):
        raise TypeError(
            f"`text` must be the pool plan's TOML text (str), not {type(text).__name__}."
        )
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"the pool plan is not valid TOML: {exc}.") from None
    _check_keys(raw, ["pool"], "")
    p = _table(raw, "pool")
    w = "pool."
    _check_keys(p, _POOL, w)
    estimand = _choice(_get(p, "estimand", str, w, "itt"), EstimandName, w + "estimand")
    method = _choice(_get(p, "method", str, w, "REML"), PoolMethod, w + "method")
    plain = method in ("FE", "bayes")
    test = _choice(_get(p, "test", str, w, "z" if plain else "knha"), PoolTest, w + "test")
    if method == "bayes" and test != "z":
        raise PlanError(
            f"plan key '{w}test' is {test!r}, a frequentist test; method 'bayes' reports the "
            "posterior (leave 'test' out)."
        )
    prior = _choice(_get(p, "prior", str, w, "uniform"), TauPrior, w + "prior")
    scale = _number(p, "prior_scale", w, None, positive=True)
    if method != "bayes" and ("prior" in p or scale is not None):
        raise PlanError(
            f"plan keys '{w}prior' and '{w}prior_scale' apply to method 'bayes' only; "
            f"'{w}method' is {method!r}."
        )
    if (prior == "uniform") != (scale is None):
        raise PlanError(
            f"plan key '{w}prior_scale' goes with a half-Cauchy or half-normal '{w}prior' (the "
            f"scale of tau, in the units of the effect); the prior is {prior!r}."
        )
    return PoolSpec(
        family=_get(p, "family", str, w) or _empty(f"{w}family"),
        outcome=_get(p, "outcome", str, w) or _empty(f"{w}outcome"),
        estimand=estimand,
        term=_get(p, "term", str, w, None) if p.get("term") != "" else _empty(f"{w}term"),
        method=method,
        test=test,
        alpha=_number(p, "alpha", w, 0.05, positive=True, below=1.0),
        prior=prior,
        prior_scale=scale,
        rollout=_parse_rollout(p, estimand),
    )


def load_pool(path: str | Path) -> PoolSpec:
    """Read and validate a pool plan file (TOML; see :func:`parse_pool`).

    Examples
    --------
    >>> load_pool("no-such-pool.toml")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: pool plan not found: no-such-pool.toml
    """
    _, text = _read_plan_file(
        path, "pool plan", "the pool plan {path} is not UTF-8 text (a TOML file?)."
    )
    return parse_pool(text)
