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
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from kaizen_eval._core.covariance import SEType
from kaizen_eval._validation import KaizenError, check_seed
from kaizen_eval.costbenefit.costs import Basis

#: The estimands a plan (and the ``kaizen-eval estimate`` command) may ask for.
EstimandName = Literal["itt", "late", "att"]
#: The standard-error types of a plan: exactly the estimators' (one list, in ``_core``).
SeName = SEType
#: Whether a plan's ``cost`` is per participant or per invited firm: the cost model's own list.
CostBasis = Basis
MultipleTesting = Literal["none", "romano-wolf", "sharpened-q"]


class PlanError(KaizenError):
    """An analysis plan that cannot be used; the message names the key at fault."""


class PlanPathError(PlanError):
    """A data path of the plan that points outside the plan's folder (and the data root)."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _contained(value: str, key: str, base: Path, roots: tuple[Path, ...]) -> Path:
    """Resolve a plan's data path against ``base``; refuse it if it leaves every root.

    Symbolic links are followed before the check, so a link inside the folder that points
    outside is refused too. The message never shows the file's content.
    """
    if "\x00" in value or not value.strip():
        raise PlanPathError(f"plan key {key!r} must be a file path; it is {value!r}.")
    resolved = (base / value).resolve()
    if not any(_inside(resolved, r) for r in roots):
        allowed = " or ".join(repr(str(r)) for r in roots)
        raise PlanPathError(
            f"plan key {key!r} is {value!r}, which points outside the plan's folder "
            f"({allowed}). Move the file into the plan's folder, or allow its folder "
            "explicitly (data_root= / --data-root)."
        )
    return resolved


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


def _number(
    table: Mapping[str, Any],
    key: str,
    where: str,
    default: Any = ...,
    *,
    least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
    positive: bool = False,
) -> Any:
    """Return a finite number within bounds (TOML allows ``nan`` and ``inf``: refused)."""
    value = _get(table, key, float, where, default)
    if value is None or key not in table:
        return value
    bounds = []
    if positive:
        bounds.append(("> 0", value > 0))
    if least is not None:
        bounds.append((f">= {least:g}", value >= least))
    if below is not None:
        bounds.append((f"< {below:g}", value < below))
    if at_most is not None:
        bounds.append((f"<= {at_most:g}", value <= at_most))
    if not math.isfinite(value) or not all(ok for _, ok in bounds):
        what = " and ".join(b for b, _ in bounds) or "finite"
        raise PlanError(f"plan key '{where}{key}' must be a finite number {what}; it is {value!r}.")
    return value


def _whole(
    table: Mapping[str, Any], key: str, where: str, default: Any = ..., *, least: int = 0
) -> Any:
    """Return a whole number ``>= least``: ``2.0`` is 2, ``2.9`` an error (never cut)."""
    value = _get(table, key, (int, float), where, default)
    if value is None or key not in table:
        return value
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise PlanError(
                f"plan key '{where}{key}' must be a whole number (>= {least}); it is {value!r}, "
                "which would have to be rounded."
            )
        value = int(value)
    if value < least:
        raise PlanError(f"plan key '{where}{key}' must be an integer >= {least}; it is {value!r}.")
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

    estimands: tuple[EstimandName, ...] = ("itt",)
    se: SeName | None = None
    ri_draws: int = 0
    multiple_testing: MultipleTesting = "none"
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
    cost_basis: CostBasis = "participant"
    years: int = 1
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


def _keys(spec: type, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Return the plan keys of a table: its dataclass fields (one list, never repeated)."""
    return [f.name for f in fields(spec) if f.name not in skip]


_TOP = _keys(Plan, skip=("sha256", "path"))
_DATA = _keys(DataSpec)
_DESIGN = _keys(DesignSpec)
_FAMILY = _keys(Family)
_ESTIMATE = _keys(EstimateSpec)
_CB = _keys(CostBenefitSpec)
_STRUCTURE = _keys(CostStructureSpec)


def _empty(key: str) -> Any:
    raise PlanError(f"plan key {key!r} must not be empty.")


def _seed(e: Mapping[str, Any]) -> int:
    value = e.get("seed", 0)
    try:
        return int(check_seed("estimate.seed", value, generator=False))
    except KaizenError as err:
        raise PlanError(f"plan key {err}") from None


def _amounts(table: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
    raw = _get(table, key, dict, where, {})
    return {str(k): _number(raw, k, f"{where}{key}.", least=0.0) for k in raw}


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


def _table(raw: Mapping[str, Any], key: str, required: bool = True) -> dict[str, Any]:
    return _get(raw, key, dict, "", ... if required else {})


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
        needed (``years = 2.9``), duplicate family names or cost-benefit labels.
    PlanPathError
        A data path outside ``base`` and ``data_root``.

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
    base = (Path(base) if base is not None else Path.cwd()).resolve()
    roots = (base,) if data_root is None else (base, Path(data_root).resolve())
    if not isinstance(text, str):
        raise TypeError(f"`text` must be the plan's TOML text (str), not {type(text).__name__}.")
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
            name=_get(f, "name", str, where) or _empty(f"{where}name"),
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
        if any(f.name == fam.name for f in families):
            raise PlanError(
                f"plan key '{where}name' is {fam.name!r}, the name of an earlier family; "
                "family names must be distinct (they name the report's tables)."
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
        ri_draws=_whole(e, "ri_draws", "estimate.", 0),
        multiple_testing=_choice(
            _get(e, "multiple_testing", str, "estimate.", "none"),
            MultipleTesting,
            "estimate.multiple_testing",
        ),
        heterogeneity=_str_list(e, "heterogeneity", "estimate.", ()),
        seed=_seed(e),
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
        if any(cb.label == spec.label for cb in cbs):
            raise PlanError(
                f"plan key '{where}label' is {spec.label!r}, the label of an earlier "
                "cost-benefit table; labels must be distinct."
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


def load_plan(path: str | Path, *, data_root: str | Path | None = None) -> Plan:
    """Read and validate a plan file (TOML); relative data paths are relative to the file.

    Data paths must stay inside the plan's folder, or inside ``data_root`` when given
    (see :func:`parse_plan`).

    Examples
    --------
    >>> load_plan("no-such-plan.toml")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: analysis plan not found: no-such-plan.toml
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"analysis plan not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"the plan {str(p)!r} is not UTF-8 text (is it a TOML file?).") from None
    plan = parse_plan(text, base=p.resolve().parent, data_root=data_root)
    return Plan(**{**plan.__dict__, "path": p})
