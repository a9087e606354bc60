"""The social cost-benefit: a measured spillover on non-participants, drawn with the gain.

``ke.cost_benefit(gain=late, spillover_gain=sp)`` with ``sp`` the :class:`Estimate` of
``ke.spillover``: the spillover term (``spillover`` or ``spillover:<s>``) is a gain per
*non-participant*; times ``m`` non-participants per firm of the gain's basis it is added to the
gain, ``G = gain + m·σ − business_stealing``. A negative ``σ`` is business stealing. The gain and
``σ`` are drawn jointly: with their covariance when they come from one fit (the same
``Estimate``), independently otherwise; the result's notes say which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaizen_eval._validation import KaizenError
from kaizen_eval.costbenefit.uncertainty import Seed
from kaizen_eval.estimate.result import Estimate

#: Offset of the independent spillover stream when the seed is an integer.
SPILLOVER_STREAM = 17


@dataclass(frozen=True)
class SocialSpillover:
    """The measured spillover used in a social cost-benefit.

    Attributes
    ----------
    term : str
        Term of the spillover ``Estimate`` (``"spillover"`` or ``"spillover:<s>"``).
    estimate, std_error, dof : float
        The spillover per non-participant, its standard error and degrees of freedom.
    per_firm : float
        Non-participants per firm of the gain's basis (``m``).
    shared_fit : bool
        Whether the gain is a term of the same fit (drawn with the covariance ``cov``).
    cov : float
        Covariance of the gain and the spillover (0 when independent).
    """

    term: str
    estimate: float
    std_error: float
    dof: float
    per_firm: float
    shared_fit: bool
    cov: float

    @property
    def value(self) -> float:
        """Spillover per firm of the gain's basis: ``per_firm · estimate``."""
        return self.per_firm * self.estimate


def _derived_ratio(est: Estimate, term: str) -> float:
    """Uninvited firms of treated clusters per invited firm, from the spillover's cell counts."""
    counts = est.extra.get("cell_counts") if est.extra else None
    if counts is None:
        raise KaizenError(
            "the spillover estimate does not record its design: pass "
            "`nonparticipants_per_participant=`."
        )
    firms = dict(zip(counts["cell"], counts["firms"], strict=True))
    if term == "spillover":
        invited = sum(v for k, v in firms.items() if str(k).startswith("direct:"))
        others = sum(v for k, v in firms.items() if str(k).startswith("spillover:"))
    else:
        invited, others = firms.get("direct:" + term.split(":", 1)[1], 0), firms.get(term, 0)
    if not invited:
        raise KaizenError(f"no invited firm behind spillover term {term!r}.")
    return others / invited


def resolve_spillover(
    spillover: Estimate,
    *,
    term: str | None,
    per_firm: float | None,
    gain: object,
    gain_term: str | None,
    basis: str,
    takeup: float | None,
) -> tuple[SocialSpillover, list[str]]:
    """Check a spillover ``Estimate`` and put it per firm of the gain's ``basis``."""
    term = term or "spillover"
    if term != "spillover" and not term.startswith("spillover:"):
        raise KaizenError(
            f"`spillover_term={term!r}`: the social gain is a spillover term "
            "('spillover' or 'spillover:<s>')."
        )
    if term not in spillover.terms:
        raise KaizenError(f"spillover term {term!r} not in the estimate; terms: {spillover.terms}.")
    row = spillover.tidy().loc[term]
    notes: list[str] = []
    if per_firm is None:
        m = _derived_ratio(spillover, term)
        how = f"{m:.4g} uninvited firms of treated clusters per invited firm (from the design)"
        if basis == "participant":
            if takeup is None:
                raise KaizenError(
                    "the design gives non-participants per invited firm but the gain is per "
                    "participant: pass `takeup=` or `nonparticipants_per_participant=`."
                )
            m = m / takeup
            how += f", divided by take-up {takeup:.4g}"
    else:
        m = float(per_firm)
        if not (np.isfinite(m) and m >= 0):
            raise KaizenError(f"`nonparticipants_per_participant` must be >= 0: {per_firm!r}.")
        how = f"{m:.4g} non-participants per {basis} firm (given)"
    shared = gain is spillover
    cov = 0.0
    if shared:
        if gain_term is None or gain_term == term:
            raise KaizenError(
                "the gain and the spillover are the same Estimate: pass `term=` (e.g. "
                "'direct') for the gain."
            )
        cov = float(spillover.cov.loc[gain_term, term])
        notes.append(
            f"the spillover ({term!r}) is drawn jointly with the gain ({gain_term!r}): one "
            "fit, their covariance used"
        )
    else:
        notes.append(f"the spillover ({term!r}) is drawn independently of the gain (separate fits)")
    notes.append(f"social gain: spillover per non-participant times {how}")
    if float(row["estimate"]) < 0:
        notes.append("the spillover estimate is negative: business stealing")
    out = SocialSpillover(
        term, float(row["estimate"]), float(row["std_error"]), float(row["df"]), m, shared, cov
    )
    return out, notes


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng([int(seed), SPILLOVER_STREAM])


def spillover_draws(
    sp: SocialSpillover,
    gain_draws: np.ndarray | None,
    gain: float,
    gain_se: float | None,
    *,
    draws: int,
    seed: Seed,
) -> np.ndarray:
    """Draw the spillover per firm of the gain's basis (``m·σ``), jointly with the gain draws.

    Independent: ``σ + se·T_dof`` from the generator ``default_rng([seed, 17])`` (or the given
    generator after the gain's draws). One fit: ``σ`` given the gain's standardized draw ``z_g``
    is ``σ + (cov/se_g)·z_g + sqrt(se² − cov²/se_g²)·z`` with ``z`` from that same generator and
    standard normal: the conditional normal draw (exact for normal draws; with t gain draws the
    conditional part is normal, an approximation).
    """
    rng = _rng(seed)
    if sp.shared_fit and gain_draws is not None and gain_se:
        zg = (gain_draws - gain) / gain_se
        beta = sp.cov / gain_se
        rest = max(sp.std_error**2 - beta**2, 0.0)
        z = rng.standard_normal(size=draws)
        s = sp.estimate + beta * zg + np.sqrt(rest) * z
    else:
        z = (
            rng.standard_t(sp.dof, size=draws)
            if np.isfinite(sp.dof)
            else rng.standard_normal(draws)
        )
        s = sp.estimate + sp.std_error * z
    return sp.per_firm * s
