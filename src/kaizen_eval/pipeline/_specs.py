"""The validated form of an analysis plan: its option lists (one ``Literal`` each) and tables.

:mod:`kaizen_eval.pipeline.plan` parses a TOML file into these frozen dataclasses; the keys a
plan table accepts are the fields of its dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from kaizen_eval._core.covariance import SEType
from kaizen_eval.costbenefit.costs import Basis

#: The estimands a plan (and the ``kaizen-eval estimate`` command) may ask for.
EstimandName = Literal["itt", "late", "att"]
#: The standard-error types of a plan: exactly the estimators' (one list, in ``_core``).
SeName = SEType
#: Whether a plan's ``cost`` is per participant or per invited firm: the cost model's own list.
CostBasis = Basis
MultipleTesting = Literal["none", "romano-wolf", "sharpened-q"]


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
    baselines: tuple[str, ...] = ()


@dataclass(frozen=True)
class EstimateSpec:
    """Estimands and inference options."""

    estimands: tuple[EstimandName, ...] = ("itt",)
    se: SeName | None = None
    ri_draws: int = 0
    multiple_testing: MultipleTesting = "none"
    heterogeneity: tuple[str, ...] = ()
    seed: int = 0
    #: With several arms, one multiple-testing family of arms × outcomes (else one per arm).
    family_across_arms: bool = False


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
class AttritionSpec:
    """The ``[attrition]`` table: Lee bounds and response weights of some outcomes.

    With no ``outcomes`` (the default) the section is off. ``wave`` defaults to the last wave
    (in survey order) that a family is measured in; ``weights_covariates`` to the design's
    balance covariates; ``tighten`` names discrete baseline columns (or the strata) whose cells
    tighten the Lee bounds; ``draws`` is the number of bootstrap draws of the bounds' standard
    errors; ``trim`` an optional quantile in [0.5, 1) at which the weights are capped.
    """

    outcomes: tuple[str, ...] = ()
    wave: str | None = None
    tighten: tuple[str, ...] = ()
    draws: int = 500
    weights_covariates: tuple[str, ...] | None = None
    trim: float | None = None


@dataclass(frozen=True)
class Plan:
    """A validated analysis plan (see the module docstring for the file format)."""

    title: str
    data: DataSpec
    design: DesignSpec
    families: tuple[Family, ...]
    estimate: EstimateSpec = field(default_factory=EstimateSpec)
    cost_benefit: tuple[CostBenefitSpec, ...] = ()
    attrition: AttritionSpec = field(default_factory=AttritionSpec)
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
_ATTRITION = _keys(AttritionSpec)
