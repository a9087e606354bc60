"""Several synthetic sites whose effects are drawn around a known mean: :func:`simulate_sites`.

The hierarchical model that :func:`~kaizen_eval.pool_sites` fits, made true: each site's
classroom LATE on value added is ``theta_j ~ N(mu, tau**2)``, and the site's trial is then drawn
by :func:`~kaizen_eval.synthetic.simulate_trial` with its calibration target set to ``theta_j``,
so that ``theta_j`` is the site's LATE *exactly* in its realized sample.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from kaizen_eval._validation import (
    KaizenError,
    check_finite_number,
    check_nonnegative,
    check_option,
    check_seed,
)
from kaizen_eval.synthetic.simulate import _simulate, check_n_firms
from kaizen_eval.synthetic.sites import SITES
from kaizen_eval.synthetic.trial import Trial

__all__ = ["MultiSiteTrial", "simulate_sites"]


@dataclass(frozen=True, repr=False, eq=False)
class MultiSiteTrial:
    """Synthetic trials in several sites with a known distribution of effects.

    Attributes
    ----------
    trials : Mapping[str, Trial]
        Site name → its trial (each with its own ``truth``).
    mu, tau : float
        Mean and standard deviation of the distribution the site effects were drawn from.
    theta : Mapping[str, float]
        Site name → its classroom LATE on value added (USD per year at the last wave), the
        ``late_value_added`` of its trial's truth.
    seed : int or None
        The seed it was drawn with.

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_sites
    >>> m = simulate_sites(["ghana", "ethiopia"], mu=3_000.0, tau=500.0, seed=1)
    >>> list(m.trials), m.trials["ghana"].truth["late_value_added"] == m.theta["ghana"]
    (['ghana', 'ethiopia'], True)
    """

    trials: Mapping[str, Trial]
    mu: float
    tau: float
    theta: Mapping[str, float]
    seed: int | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "trials", MappingProxyType(dict(self.trials)))
        object.__setattr__(self, "theta", MappingProxyType(dict(self.theta)))

    def __repr__(self) -> str:
        return (
            f"MultiSiteTrial({len(self.trials)} sites, mu={self.mu:,.0f}, tau={self.tau:,.0f}, "
            f"seed={self.seed}: {', '.join(self.trials)})"
        )

    def analysis_frame(self, wave: str | None = None) -> pd.DataFrame:
        """Return every site's analysis frame stacked, with a ``site`` column first.

        ``wave`` defaults to each site's last wave. Firm ids are unique within a site, not
        across sites (sites sharing a calibration share an id prefix): split by ``site``, as
        :func:`~kaizen_eval.site_estimates` does.

        Examples
        --------
        >>> from kaizen_eval.synthetic import simulate_sites
        >>> m = simulate_sites(["ghana", "ethiopia"], mu=3_000.0, tau=500.0, seed=1)
        >>> m.analysis_frame()["site"].value_counts().to_dict()
        {'ghana': 180, 'ethiopia': 150}
        """
        frames = [t.analysis_frame(wave).assign(site=s) for s, t in self.trials.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["site", *[c for c in out.columns if c != "site"]]]


def simulate_sites(
    sites: Sequence[str] | int = ("ghana", "tanzania", "vietnam", "ethiopia"),
    *,
    mu: float,
    tau: float,
    seed: int = 0,
    n_firms: int | Mapping[str, int] | None = None,
    calibration: str = "ghana",
) -> MultiSiteTrial:
    """Simulate trials in several sites whose effects are drawn from ``N(mu, tau**2)``.

    Parameters
    ----------
    sites : sequence of str or int, default the four Kaizen sites
        Site calibrations to use (``"ghana"``, ``"tanzania"``, ``"vietnam"``, ``"ethiopia"``;
        each at most once), or a number ``J`` of sites named ``site01`` … that all use the
        ``calibration`` site's design.
    mu, tau : float
        Mean and standard deviation (``>= 0``) of the site effects: classroom LATEs on annual
        value added, USD.
    seed : int, default 0
        The only source of randomness: ``theta`` first, then each site's trial from its own
        independent stream (``numpy.random.SeedSequence(seed).spawn``).
    n_firms : int or mapping of site to int, optional
        Sample size per site (default each calibration's; at least 40).
    calibration : str, default "ghana"
        The design used by every site when ``sites`` is a number.

    Returns
    -------
    MultiSiteTrial

    Notes
    -----
    Every site is calibrated on its compliers' LATE (``calibration="late"`` in its
    :class:`~kaizen_eval.synthetic.SiteSpec`, Tanzania included), so that one estimand, the
    classroom LATE, is pooled; the on-site effects keep their calibration targets. The truth of
    the hierarchical model is ``mu`` and ``tau``; the realized ``theta`` are in ``.theta``.

    Examples
    --------
    >>> from kaizen_eval.synthetic import simulate_sites
    >>> m = simulate_sites(5, mu=4_000.0, tau=1_000.0, seed=3, n_firms=60)
    >>> list(m.theta)
    ['site01', 'site02', 'site03', 'site04', 'site05']
    >>> round(m.theta["site01"], 1) == round(m.trials["site01"].truth["late_value_added"], 1)
    True
    """
    mu = check_finite_number("mu", mu)
    tau = check_nonnegative("tau", tau)
    check_option("calibration", calibration, tuple(SITES))
    seed = check_seed("seed", seed, generator=False)
    if isinstance(sites, int | np.integer) and not isinstance(sites, bool):
        if sites < 1:
            raise KaizenError(f"`sites` must be at least 1. You passed: {sites!r}.")
        names = [f"site{j + 1:02d}" for j in range(int(sites))]
        specs = [SITES[calibration]] * len(names)
    elif isinstance(sites, Sequence) and not isinstance(sites, str):
        names = list(sites)
        for s in names:
            check_option("sites", s, tuple(SITES))
        dup = sorted({s for s in names if names.count(s) > 1})
        if dup:
            raise KaizenError(
                f"`sites` names {', '.join(map(repr, dup))} more than once; pass a number of "
                "sites (with `calibration=`) to draw several sites of one design."
            )
        if not names:
            raise KaizenError("`sites` is empty.")
        specs = [SITES[s] for s in names]
    else:
        raise TypeError(
            f"`sites` must be a list of site names or a number of sites; got {sites!r}."
        )
    sizes = _sizes(n_firms, names, specs)
    streams = np.random.SeedSequence(int(seed)).spawn(len(names) + 1)
    theta = mu + tau * np.random.default_rng(streams[0]).standard_normal(len(names))
    trials = {}
    for name, spec, n, th, stream in zip(names, specs, sizes, theta, streams[1:], strict=True):
        site_spec = dataclasses.replace(spec, calibration="late", target_classroom=float(th))
        trials[name] = _simulate(site_spec, n, np.random.default_rng(stream), None, 0.0)
    return MultiSiteTrial(
        trials=trials,
        mu=mu,
        tau=tau,
        theta={n: float(t.truth["late_value_added"]) for n, t in trials.items()},
        seed=int(seed),
    )


def _sizes(n_firms, names, specs) -> list[int]:
    if n_firms is None:
        return [s.n_default for s in specs]
    if isinstance(n_firms, Mapping):
        unknown = sorted(set(n_firms) - set(names))
        if unknown:
            raise KaizenError(f"`n_firms` names sites not simulated: {', '.join(unknown)}.")
        sizes = [n_firms.get(n, s.n_default) for n, s in zip(names, specs, strict=True)]
    else:
        sizes = [n_firms] * len(names)
    return [check_n_firms(n, site=name) for name, n in zip(names, sizes, strict=True)]
