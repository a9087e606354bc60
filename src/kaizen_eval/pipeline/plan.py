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
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from kaizen_eval._validation import KaizenError

EstimandName = Literal["itt", "late", "att"]
SeName = Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR1", "CR2"]
CostBasis = Literal["participant", "invited"]
MultipleTesting = Literal["none", "romano-wolf", "sharpened-q"]


class PlanError(KaizenError):
    """An analysis plan that cannot be used; the message names the key at fault."""


def _suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_keys(table: Mapping[str, Any], valid: list[str], where: str) -> None:
    for key in table:
        if key not in valid:
            raise PlanError(
                f"unknown key '{where}{key}' in the plan.{_suggest(key, valid)} "
                f"Valid keys here: {', '.join(valid)}."
            )


def _get(
    table: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    default: Any = ...,
) -> Any:
    if key not in table:
        if default is ...:
            raise PlanError(f"the plan is missing the required key '{where}{key}'.")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PlanError(
            f"plan key '{where}{key}' must be a {names}; it is {type(value).__name__} {value!r}."
        )
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str, default: Any = ...) -> tuple:
    value = _get(table, key, (list, str), where, default)
    items = [value] if isinstance(value, str) else list(value)
    for v in items:
        if not isinstance(v, str) or not v:
            raise PlanError(f"plan key '{where}{key}' must list column names; found {v!r}.")
    return tuple(items)


def _choice(value: Any, allowed: Any, key: str) -> Any:
    options = get_args(allowed)
    if value not in options:
        raise PlanError(
            f"plan key {key!r} must be one of {', '.join(map(repr, options))}; "
            f"it is {value!r}.{_suggest(str(value), [str(o) for o in options])}"
        )
    return value


@dataclass(frozen=True)
class DataSpec:
    """Where the data are: waves (in order), id column, codebook, exchange rates, status."""

    waves: dict[str, Path]
    id: str = "firm_id"
    codebook: Path | None = None
    exchange_rates: Path | None = None
    status: str | None = "status"
    items: Path | None = None
    currency_columns: tuple[str, ...] = ()
    value_added: bool = False


@dataclass(frozen=True)
class DesignSpec:
    """The randomized design: assignment and take-up columns, strata, clusters, balance."""

    assignment: tuple[str, ...]
    takeup: tuple[str, ...] = ()
    strata: str | None = None
    cluster: str | None = None
    baseline_wave: str | None = None
    balance: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """An outcome family estimated together (and corrected for multiple testing)."""

    name: str
    outcomes: tuple[str, ...]
    wave: str
    controls: tuple[str, ...] = ()
    ancova: bool = False


@dataclass(frozen=True)
class EstimateSpec:
    """Estimands and inference options."""

    estimands: tuple[str, ...] = ("itt",)
    se: str | None = None
    ri_draws: int = 0
    multiple_testing: str = "none"
    heterogeneity: tuple[str, ...] = ()
    seed: int = 0


@dataclass(frozen=True)
class CostStructureSpec:
    """Fixed costs and variable costs per participant of a programme of a given size."""

    participants: int
    fixed: dict[str, float] = field(default_factory=dict)
    per_participant: dict[str, float] = field(default_factory=dict)
    invited: int | None = None


@dataclass(frozen=True)
class CostBenefitSpec:
    """Cost-benefit parameters; ``cost_basis`` says whether ``cost`` is per participant."""

    outcome: str
    cost: float | None
    cost_basis: str = "participant"
    years: float = 1.0
    discount_rate: float = 0.0
    decay: float = 0.0
    term: str | None = None
    label: str = "cost_benefit"
    structure: CostStructureSpec | None = None


@dataclass(frozen=True)
class Plan:
    """A validated analysis plan (see the module docstring for the file format)."""

    title: str
    data: DataSpec
    design: DesignSpec
    families: tuple[Family, ...]
    estimate: EstimateSpec = field(default_factory=EstimateSpec)
    cost_benefit: tuple[CostBenefitSpec, ...] = ()
    sha256: str = ""
    path: Path | None = None


_TOP = ["title", "data", "design", "families", "estimate", "cost_benefit"]
_DATA = [
    "id",
    "waves",
    "codebook",
    "exchange_rates",
    "status",
    "items",
    "currency_columns",
    "value_added",
]
_DESIGN = ["assignment", "takeup", "strata", "cluster", "baseline_wave", "balance"]
_FAMILY = ["name", "outcomes", "wave", "controls", "ancova"]
_ESTIMATE = ["estimands", "se", "ri_draws", "multiple_testing", "heterogeneity", "seed"]
_CB = [
    "label",
    "outcome",
    "term",
    "cost",
    "structure",
    "cost_basis",
    "years",
    "discount_rate",
    "decay",
]
_STRUCTURE = ["fixed", "per_participant", "participants", "invited"]


def _amounts(table: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
    raw = _get(table, key, dict, where, {})
    return {str(k): _get(raw, k, float, f"{where}{key}.") for k in raw}


def _structure(c: Mapping[str, Any], where: str) -> CostStructureSpec | None:
    if "structure" not in c:
        return None
    t = _get(c, "structure", dict, where)
    w = f"{where}structure."
    _check_keys(t, _STRUCTURE, w)
    spec = CostStructureSpec(
        participants=_get(t, "participants", int, w),
        fixed=_amounts(t, "fixed", w),
        per_participant=_amounts(t, "per_participant", w),
        invited=_get(t, "invited", int, w, None),
    )
    if not spec.fixed and not spec.per_participant:
        raise PlanError(f"plan key '{w[:-1]}' needs 'fixed' and/or 'per_participant' costs.")
    return spec


def _table(raw: Mapping[str, Any], key: str, required: bool = True) -> dict[str, Any]:
    return _get(raw, key, dict, "", ... if required else {})


def parse_plan(text: str, *, base: Path | None = None) -> Plan:
    """Parse and validate a plan from TOML text; relative paths resolve against ``base``.

    Parameters
    ----------
    text : str
        The plan, in TOML.
    base : pathlib.Path, optional
        Folder that relative data paths are relative to (default: the current directory).

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        Naming the key at fault: unknown or misspelt keys, wrong types, unknown estimands,
        a family's wave that is not among the data's waves, take-up columns that do not pair
        with the assignment columns.

    Examples
    --------
    >>> plan = parse_plan('''
    ... [data]
    ... waves = { baseline = "b.csv", followup = "f.csv" }
    ... [design]
    ... assignment = "invited"
    ... [[families]]
    ... name = "scores"
    ... outcomes = ["score"]
    ... wave = "followup"
    ... ''')
    >>> plan.design.assignment, plan.families[0].outcomes
    (('invited',), ('score',))
    """
    base = Path(base) if base is not None else Path.cwd()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"the plan is not valid TOML: {exc}.") from None
    _check_keys(raw, _TOP, "")

    d = _table(raw, "data")
    _check_keys(d, _DATA, "data.")
    waves_raw = _get(d, "waves", dict, "data.")
    if not waves_raw:
        raise PlanError("plan key 'data.waves' must name at least one wave.")
    waves = {str(k): base / _get(waves_raw, k, str, "data.waves.") for k in waves_raw}

    def opt_path(key: str) -> Path | None:
        v = _get(d, key, str, "data.", None)
        return None if v is None else base / v

    data = DataSpec(
        waves=waves,
        id=_get(d, "id", str, "data.", "firm_id"),
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
    if design.baseline_wave is not None and design.baseline_wave not in waves:
        raise PlanError(
            f"plan key 'design.baseline_wave' is {design.baseline_wave!r}, not one of the waves "
            f"in 'data.waves' ({', '.join(waves)})."
        )

    fam_raw = _get(raw, "families", list, "")
    families = []
    for i, f in enumerate(fam_raw):
        where = f"families[{i}]."
        if not isinstance(f, dict):
            raise PlanError(f"plan key 'families[{i}]' must be a table ([[families]]).")
        _check_keys(f, _FAMILY, where)
        fam = Family(
            name=_get(f, "name", str, where),
            outcomes=_str_list(f, "outcomes", where),
            wave=_get(f, "wave", str, where),
            controls=_str_list(f, "controls", where, ()),
            ancova=_get(f, "ancova", bool, where, False),
        )
        if fam.wave not in waves:
            raise PlanError(
                f"plan key '{where}wave' is {fam.wave!r}, not one of the waves in 'data.waves' "
                f"({', '.join(waves)})."
            )
        families.append(fam)
    if not families:
        raise PlanError("the plan needs at least one [[families]] table of outcomes.")

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
        ri_draws=_get(e, "ri_draws", int, "estimate.", 0),
        multiple_testing=_choice(
            _get(e, "multiple_testing", str, "estimate.", "none"),
            MultipleTesting,
            "estimate.multiple_testing",
        ),
        heterogeneity=_str_list(e, "heterogeneity", "estimate.", ()),
        seed=_get(e, "seed", int, "estimate.", 0),
    )
    if estimate.multiple_testing == "romano-wolf" and estimate.ri_draws < 1:
        raise PlanError(
            "plan key 'estimate.multiple_testing' is 'romano-wolf', which re-draws the "
            "assignment: set 'estimate.ri_draws' to the number of draws."
        )
    if estimate.ri_draws < 0:
        raise PlanError("plan key 'estimate.ri_draws' must be 0 (off) or a positive count.")

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
            cost=_get(c, "cost", float, where, None),
            cost_basis=_choice(
                _get(c, "cost_basis", str, where, "participant"), CostBasis, where + "cost_basis"
            ),
            years=_get(c, "years", float, where, 1.0),
            discount_rate=_get(c, "discount_rate", float, where, 0.0),
            decay=_get(c, "decay", float, where, 0.0),
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
        cbs.append(spec)
    return Plan(
        title=_get(raw, "title", str, "", "Kaizen training evaluation"),
        data=data,
        design=design,
        families=tuple(families),
        estimate=estimate,
        cost_benefit=tuple(cbs),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file (TOML); relative data paths are relative to the file.

    Examples
    --------
    >>> load_plan("no-such-plan.toml")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: analysis plan not found: no-such-plan.toml
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"analysis plan not found: {p}")
    plan = parse_plan(p.read_text(encoding="utf-8"), base=p.resolve().parent)
    return Plan(**{**plan.__dict__, "path": p})
