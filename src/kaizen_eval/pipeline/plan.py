"""Pre-registered analysis plans: a TOML file, validated on load, never evaluated as code.

A plan names the data (waves, codebook, exchange rates), the design (assignment and take-up
columns, strata, clusters), the outcome families with their controls, the estimands, the
inference options and the cost-benefit parameters. Every key is checked on load; a misspelt or
unknown key is an error that names it (with the closest valid key), so a typo can never silently
change an analysis.

Example plan::

    title = "Ghana Kaizen trial"

    [data]
    id = "firm_id"
    waves = { baseline = "baseline.parquet", followup = "followup.parquet" }
    codebook = "codebook.csv"
    exchange_rates = "exchange_rates.csv"
    currency_columns = ["sales", "inputs"]     # converted to USD: sales_usd, inputs_usd
    value_added = true                         # value_added = sales_usd - inputs_usd
    items = "items.csv"                        # management-practice items -> score_* columns

    [design]
    assignment = ["invited"]
    takeup = ["attended"]
    strata = "stratum"
    baseline_wave = "baseline"
    balance = ["educ_years", "female", "employees"]

    [[families]]
    name = "performance"
    outcomes = ["value_added"]
    wave = "followup"
    ancova = true

    [estimate]
    estimands = ["itt", "late"]
    se = "HC1"

    [cost_benefit]
    outcome = "value_added"
    cost = 740
    cost_basis = "participant"
    years = 1

    [attrition]                                # optional: Lee bounds and response weights
    outcomes = ["value_added"]
    tighten = ["stratum"]
    draws = 500
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kaizen_eval._docs import fill_doc
from kaizen_eval.pipeline._docs import DOCS
from kaizen_eval.pipeline._plan_checks import (
    PlanError,
    PlanPathError,
    _check_keys,
    _choice,
    _contained,
    _distinct,
    _empty,
    _get,
    _known_wave,
    _read_plan_file,
    _seed,
    _str_list,
    _table,
    _whole,
)
from kaizen_eval.pipeline._plan_tables import _parse_attrition, _parse_cost_benefit
from kaizen_eval.pipeline._specs import (
    _CB as _CB,
)
from kaizen_eval.pipeline._specs import (
    _DATA,
    _DESIGN,
    _ESTIMATE,
    _FAMILY,
    _TOP,
    AttritionSpec,
    CostBasis,
    CostBenefitSpec,
    CostStructureSpec,
    DataSpec,
    DesignSpec,
    EstimandName,
    EstimateSpec,
    Family,
    MultipleTesting,
    Plan,
    SeName,
)
from kaizen_eval.pipeline._specs import (
    _STRUCTURE as _STRUCTURE,
)

__all__ = [
    "AttritionSpec",
    "CostBasis",
    "CostBenefitSpec",
    "CostStructureSpec",
    "DataSpec",
    "DesignSpec",
    "EstimandName",
    "EstimateSpec",
    "Family",
    "MultipleTesting",
    "Plan",
    "PlanError",
    "PlanPathError",
    "SeName",
    "load_plan",
    "parse_plan",
]


def _parse_data(raw: Mapping[str, Any], base: Path, roots: tuple[Path, ...]) -> DataSpec:
    """Return the ``[data]`` table: waves in order and data paths kept inside ``roots``."""
    d = _table(raw, "data")
    _check_keys(d, _DATA, "data.")
    waves_raw = _get(d, "waves", dict, "data.")
    if not waves_raw:
        raise PlanError("plan key 'data.waves' must name at least one wave.")
    waves = {
        str(k): _contained(_get(waves_raw, k, str, "data.waves."), f"data.waves.{k}", base, roots)
        for k in waves_raw
    }

    def opt_path(key: str) -> Path | None:
        v = _get(d, key, str, "data.", None)
        return None if v is None else _contained(v, f"data.{key}", base, roots)

    data = DataSpec(
        waves=waves,
        id=_get(d, "id", str, "data.", "firm_id") or _empty("data.id"),
        codebook=opt_path("codebook"),
        exchange_rates=opt_path("exchange_rates"),
        status=_get(d, "status", str, "data.", "status") or None,
        items=opt_path("items"),
        currency_columns=_str_list(d, "currency_columns", "data.", ()),
        value_added=_get(d, "value_added", bool, "data.", False),
    )
    if data.currency_columns and data.exchange_rates is None:
        raise PlanError(
            "plan key 'data.currency_columns' needs 'data.exchange_rates' (a table of "
            "USD per local-currency unit by wave)."
        )
    return data


def _parse_design(raw: Mapping[str, Any], waves: Mapping[str, Path]) -> DesignSpec:
    """Return the ``[design]`` table: take-up paired with assignment, a known baseline wave."""
    g = _table(raw, "design")
    _check_keys(g, _DESIGN, "design.")
    design = DesignSpec(
        assignment=_str_list(g, "assignment", "design."),
        takeup=_str_list(g, "takeup", "design.", ()),
        strata=_get(g, "strata", str, "design.", None) or None,
        cluster=_get(g, "cluster", str, "design.", None) or None,
        baseline_wave=_get(g, "baseline_wave", str, "design.", None),
        balance=_str_list(g, "balance", "design.", ()),
    )
    if design.takeup and len(design.takeup) != len(design.assignment):
        raise PlanError(
            "plan key 'design.takeup' must pair one take-up column with each assignment column "
            f"({len(design.assignment)}); it lists {len(design.takeup)}."
        )
    if design.baseline_wave is not None:
        _known_wave(design.baseline_wave, "design.baseline_wave", waves)
    return design


#: (whose, rule) of the messages for a repeated family name / cost-benefit label.
_FAMILY_NAMES = (
    "name of an earlier family",
    "family names must be distinct (they name the report's tables).",
)


def _parse_families(raw: Mapping[str, Any], waves: Mapping[str, Path]) -> tuple[Family, ...]:
    """Return the ``[[families]]`` tables: outcomes of a known wave, distinct names."""
    fam_raw = _get(raw, "families", list, "")
    families = []
    for i, f in enumerate(fam_raw):
        where = f"families[{i}]."
        if not isinstance(f, dict):
            raise PlanError(f"plan key 'families[{i}]' must be a table ([[families]]).")
        _check_keys(f, _FAMILY, where)
        fam = Family(
            name=_get(f, "name", str, where) or _empty(f"{where}name"),
            outcomes=_str_list(f, "outcomes", where),
            wave=_get(f, "wave", str, where),
            controls=_str_list(f, "controls", where, ()),
            ancova=_get(f, "ancova", bool, where, False),
            baselines=_str_list(f, "baselines", where, ()),
        )
        _known_wave(fam.wave, f"{where}wave", waves)
        _distinct([f.name for f in families], fam.name, f"{where}name", *_FAMILY_NAMES)
        families.append(fam)
    if not families:
        raise PlanError("the plan needs at least one [[families]] table of outcomes.")
    return tuple(families)


def _check_baselines(families: tuple[Family, ...], design: DesignSpec) -> None:
    """ANCOVA and extra baselines need a baseline wave; an extra baseline is listed once."""
    for i, fam in enumerate(families):
        where = f"families[{i}]."
        if (fam.ancova or fam.baselines) and design.baseline_wave is None:
            key = "ancova" if fam.ancova else "baselines"
            raise PlanError(
                f"plan key '{where}{key}' needs baseline values: set 'design.baseline_wave' "
                "(the wave the baselines come from)."
            )
        if len(set(fam.baselines)) < len(fam.baselines):
            raise PlanError(
                f"plan key '{where}baselines' lists a column twice: {list(fam.baselines)}."
            )
        if fam.ancova and set(fam.baselines) & set(fam.outcomes):
            raise PlanError(
                f"plan key '{where}baselines' lists the family's own outcome(s) "
                f"{sorted(set(fam.baselines) & set(fam.outcomes))}: with 'ancova = true' each "
                "outcome's baseline is already a control."
            )


def _parse_estimate(raw: Mapping[str, Any], design: DesignSpec) -> EstimateSpec:
    """Return the ``[estimate]`` table: estimands, SE type, RI draws, multiple testing."""
    e = _table(raw, "estimate", required=False)
    _check_keys(e, _ESTIMATE, "estimate.")
    estimands = tuple(
        _choice(x, EstimandName, "estimate.estimands")
        for x in _str_list(e, "estimands", "estimate.", ("itt",))
    )
    if {"late", "att"} & set(estimands) and not design.takeup:
        raise PlanError(
            "plan key 'estimate.estimands' asks for a LATE/ATT but 'design.takeup' names no "
            "take-up column."
        )
    se = _get(e, "se", str, "estimate.", None)
    estimate = EstimateSpec(
        estimands=estimands,
        se=None if se is None else _choice(se, SeName, "estimate.se"),
        ri_draws=_whole(e, "ri_draws", "estimate.", 0),
        multiple_testing=_choice(
            _get(e, "multiple_testing", str, "estimate.", "none"),
            MultipleTesting,
            "estimate.multiple_testing",
        ),
        heterogeneity=_str_list(e, "heterogeneity", "estimate.", ()),
        seed=_seed(e),
        family_across_arms=_get(e, "family_across_arms", bool, "estimate.", False),
    )
    if estimate.multiple_testing == "romano-wolf" and estimate.ri_draws < 1:
        raise PlanError(
            "plan key 'estimate.multiple_testing' is 'romano-wolf', which re-draws the "
            "assignment: set 'estimate.ri_draws' to the number of draws."
        )
    if estimate.ri_draws < 0:
        raise PlanError("plan key 'estimate.ri_draws' must be 0 (off) or a positive count.")
    return estimate


@fill_doc(DOCS)
def parse_plan(text: str, *, base: Path | None = None, data_root: str | Path | None = None) -> Plan:
    """Parse and validate a plan from TOML text; relative paths resolve against ``base``.

    Every data path must resolve (symbolic links followed) inside ``base`` or inside
    ``data_root``: a plan cannot make the toolkit read files elsewhere on the machine.

    Parameters
    ----------
    text : str
        The plan, in TOML.
    base : pathlib.Path, optional
        Folder that relative data paths are relative to (default: the current directory).
    data_root : path, optional
        A second folder that data paths may point into (e.g. a shared data drive).

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        Naming the key at fault: unknown or misspelt keys, wrong types, unknown estimands,
        a family's wave that is not among the data's waves, take-up columns that do not pair
        with the assignment columns, numbers out of range or fractional where a count is
        needed (``years = 2.9``), duplicate family names or cost-benefit labels, an
        ``[attrition]`` table without outcomes or with a wave that is not among the data's.
    PlanPathError
        A data path outside ``base`` and ``data_root``.

    Examples
    --------
    %(example_plan)s
    >>> plan = parse_plan(PLAN)
    >>> plan.design.assignment, plan.families[0].outcomes
    (('invited',), ('value_added',))
    """
    base = (Path(base) if base is not None else Path.cwd()).resolve()
    roots = (base,) if data_root is None else (base, Path(data_root).resolve())
    if not isinstance(text, str):
        raise TypeError(f"`text` must be the plan's TOML text (str), not {type(text).__name__}.")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"the plan is not valid TOML: {exc}.") from None
    _check_keys(raw, _TOP, "")

    data = _parse_data(raw, base, roots)
    design = _parse_design(raw, data.waves)
    families = _parse_families(raw, data.waves)
    _check_baselines(families, design)
    return Plan(
        title=_get(raw, "title", str, "", "Kaizen training evaluation"),
        data=data,
        design=design,
        families=families,
        estimate=_parse_estimate(raw, design),
        cost_benefit=_parse_cost_benefit(raw, families),
        attrition=_parse_attrition(raw, data.waves, families),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


@fill_doc(DOCS)
def load_plan(path: str | Path, *, data_root: str | Path | None = None) -> Plan:
    """Read and validate a plan file (TOML); relative data paths are relative to the file.

    Data paths must stay inside the plan's folder, or inside ``data_root`` when given
    (see :func:`parse_plan`).

    Examples
    --------
    >>> import tempfile
    %(example_plan)s
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "plan.toml").write_text(PLAN, encoding="utf-8")
    ...     plan = load_plan(Path(d) / "plan.toml")
    ...     plan.data.waves["followup"] == (Path(d) / "f.csv").resolve()
    True
    >>> load_plan("no-such-plan.toml")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: analysis plan not found: no-such-plan.toml
    """
    p, text = _read_plan_file(
        path, "analysis plan", "the plan {path} is not UTF-8 text (is it a TOML file?)."
    )
    plan = parse_plan(text, base=p.resolve().parent, data_root=data_root)
    return Plan(**{**plan.__dict__, "path": p})
