"""The optional tables of an analysis plan: ``[cost_benefit]`` (one or several) and ``[attrition]``.

:func:`~kaizen_eval.pipeline.plan.parse_plan` calls these after the families are read (both
refer to the families' outcomes).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kaizen_eval.pipeline._plan_checks import (
    PlanError,
    _amounts,
    _check_keys,
    _choice,
    _distinct,
    _get,
    _known_wave,
    _number,
    _str_list,
    _table,
    _whole,
)
from kaizen_eval.pipeline._specs import (
    _ATTRITION,
    _CB,
    _STRUCTURE,
    AttritionSpec,
    CostBasis,
    CostBenefitSpec,
    CostStructureSpec,
    Family,
)

_CB_LABELS = ("label of an earlier cost-benefit table", "labels must be distinct.")


def _structure(c: Mapping[str, Any], where: str) -> CostStructureSpec | None:
    if "structure" not in c:
        return None
    t = _get(c, "structure", dict, where)
    w = f"{where}structure."
    _check_keys(t, _STRUCTURE, w)
    spec = CostStructureSpec(
        participants=_whole(t, "participants", w, least=1),
        fixed=_amounts(t, "fixed", w),
        per_participant=_amounts(t, "per_participant", w),
        invited=_whole(t, "invited", w, None, least=1),
    )
    if not spec.fixed and not spec.per_participant:
        raise PlanError(f"plan key '{w[:-1]}' needs 'fixed' and/or 'per_participant' costs.")
    return spec


def _parse_cost_benefit(
    raw: Mapping[str, Any], families: tuple[Family, ...]
) -> tuple[CostBenefitSpec, ...]:
    """Return the ``[cost_benefit]`` table(s): one cost each, an estimated outcome, labels."""
    cb_raw = _get(raw, "cost_benefit", (dict, list), "", [])
    cb_tables = [cb_raw] if isinstance(cb_raw, dict) else cb_raw
    outcomes = {o for fam in families for o in fam.outcomes}
    cbs = []
    for i, c in enumerate(cb_tables):
        where = "cost_benefit." if isinstance(cb_raw, dict) else f"cost_benefit[{i}]."
        if not isinstance(c, dict):
            raise PlanError(f"plan key '{where[:-1]}' must be a table.")
        _check_keys(c, _CB, where)
        spec = CostBenefitSpec(
            outcome=_get(c, "outcome", str, where),
            cost=_number(c, "cost", where, None, positive=True),
            cost_basis=_choice(
                _get(c, "cost_basis", str, where, "participant"), CostBasis, where + "cost_basis"
            ),
            years=_whole(c, "years", where, 1, least=1),
            discount_rate=_number(c, "discount_rate", where, 0.0, least=0.0, below=1.0),
            decay=_number(c, "decay", where, 0.0, least=0.0, at_most=1.0),
            term=_get(c, "term", str, where, None),
            label=_get(c, "label", str, where, f"cost_benefit_{i + 1}" if i else "cost_benefit"),
            structure=_structure(c, where),
        )
        if (spec.cost is None) == (spec.structure is None):
            raise PlanError(
                f"plan table '{where[:-1]}' needs exactly one of 'cost' (a number) or "
                "'structure' (fixed and per-participant costs)."
            )
        if spec.outcome not in outcomes:
            raise PlanError(
                f"plan key '{where}outcome' is {spec.outcome!r}, which no family estimates "
                f"(outcomes: {', '.join(sorted(outcomes))})."
            )
        _distinct([cb.label for cb in cbs], spec.label, f"{where}label", *_CB_LABELS)
        cbs.append(spec)
    return tuple(cbs)


def _parse_attrition(
    raw: Mapping[str, Any], waves: Mapping[str, Path], families: tuple[Family, ...]
) -> AttritionSpec:
    """Return the ``[attrition]`` table: outcomes, a known wave, draws and trimming in range."""
    a = _table(raw, "attrition", required=False)
    w = "attrition."
    _check_keys(a, _ATTRITION, w)
    outcomes = _str_list(a, "outcomes", w, ())
    if len(set(outcomes)) < len(outcomes):
        raise PlanError(f"plan key '{w}outcomes' lists an outcome twice: {list(outcomes)}.")
    measured = [x for x in waves if any(f.wave == x for f in families)]
    wave = _get(a, "wave", str, w, None)
    if wave is not None:
        _known_wave(wave, f"{w}wave", waves)
    covs = _str_list(a, "weights_covariates", w, None) if "weights_covariates" in a else None
    trim = _number(a, "trim", w, None, least=0.5, below=1.0)
    spec = AttritionSpec(
        outcomes=outcomes,
        wave=wave if wave is not None else (measured[-1] if measured else None),
        tighten=_str_list(a, "tighten", w, ()),
        draws=_whole(a, "draws", w, 500, least=2),
        weights_covariates=covs,
        trim=trim,
    )
    if a and not spec.outcomes:
        raise PlanError(
            f"plan table 'attrition' has no '{w}outcomes': list the outcomes to bound (or "
            "leave the table out)."
        )
    return spec
