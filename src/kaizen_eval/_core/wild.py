r"""Fast wild cluster bootstrap of an OLS coefficient (WCR and WCU): arrays in, frozen result out.

Model ``y = β t + W γ + u`` with ``W = [X, D]`` (covariates and absorbed fixed effects), CR1
clusters ``h`` and bootstrap clusters ``b`` (the same by default). After partialling ``W``
(``t̃ = M t``, ``ỹ = M y``, ``ss = t̃ᵀt̃``) and with the residuals ``ü`` of the bootstrap data
generating process (restricted, ``ü = ỹ − β₀ t̃``, for WCR; unrestricted, ``û = ỹ − β̂ t̃``, for
WCU), a draw with cluster weights ``v`` (one row of ``V``, shape ``B × G_b``) has

* ``β* − β_DGP = v · n / ss`` with ``n_b = Σ_{i∈b} t̃_i ü_i``;
* CR1 scores ``s*_h = Σ_{i∈h} t̃_i e*_i = (v K)_h`` with the ``G_b × H`` matrix
  ``K = cells(t̃ ü) − cross(ü, t̃) − n (Σ_{i∈h} t̃_i²)ᵀ / ss``
  (:class:`~kaizen_eval._core.wild_sums.ClusterAlgebra`);
* ``t* = (v · n) / sqrt(c Σ_h s*_h²)``, ``c = G/(G − 1) · (N − 1)/(N − K)`` (CR1).

So all ``B`` draws are the products ``V n`` and ``V K``: ``O(B · G_b · H)`` after one ``O(N)``
pass (Roodman, MacKinnon, Nielsen and Webb 2019). For WCR, ``ü`` is linear in the hypothesized
value, ``K(β₀ + δ) = K(β₀) − δ K_t`` (``K_t``: ``K`` with ``ü = t̃``), so the confidence interval
by test inversion needs five numbers per draw and no refit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.covariance import small_sample_factor
from kaizen_eval._core.wild_sums import ClusterAlgebra

__all__ = [
    "WILD_BOOTSTRAPS",
    "WILD_WEIGHTS",
    "WildDraws",
    "WildKind",
    "WildOLS",
    "WildWeights",
    "draw_weights",
    "invert",
]

WildWeights = Literal["rademacher", "webb", "mammen", "normal"]
WILD_WEIGHTS: tuple[str, ...] = get_args(WildWeights)
#: The bootstraps: WCR/WCU (:class:`WildOLS`), WRE and AR (:mod:`~kaizen_eval._core.wild_iv`).
WildKind = Literal["WCR", "WCU", "WRE", "AR"]
WILD_BOOTSTRAPS: tuple[str, ...] = get_args(WildKind)
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_S5 = np.sqrt(5.0)
_MAMMEN = np.array([-(_S5 - 1) / 2, (_S5 + 1) / 2])
_MAMMEN_P = np.array([(_S5 + 1) / (2 * _S5), (_S5 - 1) / (2 * _S5)])
CHUNK = 4096  # draws per block (bounds the B × H work arrays)
TIE = 1e-9  # relative tolerance for |t*| = |t| (the identity draw of WCR reproduces t exactly)


def draw_weights(
    weights: str, draws: int, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Cluster weights ``V`` (``B × G_b``) and whether they enumerate every Rademacher pattern.

    With Rademacher weights and ``2^G_b <= draws`` all ``2^G_b`` sign patterns are returned
    (the exact bootstrap distribution); otherwise ``draws`` rows from ``rng``. Every weight
    distribution has mean 0 and variance 1; Mammen's also third moment 1.

    Examples
    --------
    >>> v, exact = draw_weights("rademacher", 99, 3, np.random.default_rng(0))
    >>> v.shape, exact
    ((8, 3), True)
    """
    if weights == "rademacher" and 2**n_boot <= draws:
        return np.array(list(itertools.product((-1.0, 1.0), repeat=n_boot))), True
    if weights == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(draws, n_boot)), False
    if weights == "webb":
        return rng.choice(_WEBB, size=(draws, n_boot)), False
    if weights == "mammen":
        return rng.choice(_MAMMEN, size=(draws, n_boot), p=_MAMMEN_P), False
    return rng.standard_normal((draws, n_boot)), False


def share_at_least(draws: np.ndarray, observed: float) -> float:
    """Share of ``|t*| >= |t|`` (relative tie tolerance :data:`TIE`): the symmetric p-value."""
    if not draws.size:
        return float("nan")
    return float(np.mean(np.abs(draws) >= abs(observed) * (1.0 - TIE)))


@dataclass(frozen=True, eq=False)
class WildDraws:
    """Observed and bootstrap statistics of one test (read-only arrays).

    Attributes
    ----------
    estimate, std_error : float
        ``β̂`` and its CR1 standard error.
    statistic : float
        Observed t statistic of ``β̂ − null``.
    draws : numpy.ndarray, shape (B,)
        Bootstrap t statistics.
    pvalue : float
        Share of ``|t*| >= |t|``.
    """

    estimate: float
    std_error: float
    statistic: float
    draws: np.ndarray
    pvalue: float

    def __post_init__(self) -> None:
        d = np.array(self.draws, dtype=float, copy=True)
        d.flags.writeable = False
        object.__setattr__(self, "draws", d)


class WildTest:
    """What the wild bootstraps share: the cluster algebra, the weights by blocks, the test.

    Parameters
    ----------
    x, clusters, v, fixed_effects, boot_clusters, null, on_block
        As in :class:`WildOLS`.
    """

    estimate: float
    std_error: float

    def __init__(
        self,
        x: np.ndarray,
        clusters: np.ndarray,
        v: np.ndarray,
        fixed_effects: np.ndarray | Absorber | None,
        boot_clusters: np.ndarray | None,
        null: float,
        on_block: Callable[[int], object] | None,
    ) -> None:
        alg = ClusterAlgebra(x, fixed_effects, clusters, boot_clusters)
        self.alg, self.v, self.null, self.on_block = alg, np.asarray(v, float), null, on_block
        self.factor = small_sample_factor("CR1", alg.n, alg.k_total + 1, alg.n_clusters)

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield the weights ``V`` by blocks of :data:`CHUNK` draws; ``on_block`` hears of each."""
        for start in range(0, self.v.shape[0], CHUNK):
            vb = self.v[start : start + CHUNK]
            yield vb
            if self.on_block is not None:
                self.on_block(vb.shape[0])

    def statistics(self, value: float) -> tuple[float, np.ndarray]:  # pragma: no cover
        """Return the observed statistic and the bootstrap draws under ``H0: β = value``."""
        raise NotImplementedError

    def pvalue(self, value: float) -> float:
        """Bootstrap p-value of ``H0: β = value``."""
        return share_at_least(*self.statistics(value)[::-1])

    def result(self) -> WildDraws:
        """Return the test of ``H0: β = null``."""
        observed, draws = self.statistics(self.null)
        return WildDraws(
            self.estimate, self.std_error, observed, draws, share_at_least(draws, observed)
        )


class WildOLS(WildTest):
    """The WCR/WCU bootstrap of the coefficient on ``t``, prepared by one pass over the data.

    Parameters
    ----------
    y, t : numpy.ndarray, shape (n,)
        Outcome and tested regressor.
    x : numpy.ndarray, shape (n, k)
        Other regressors (a constant unless fixed effects are absorbed).
    clusters : numpy.ndarray, shape (n,)
        CR1 cluster labels.
    v : numpy.ndarray, shape (B, G_b)
        Weights of the bootstrap clusters (in order of first appearance).
    fixed_effects : numpy.ndarray or Absorber, optional
    boot_clusters : numpy.ndarray, shape (n,), optional
        Bootstrap clusters (default: ``clusters``).
    restricted : bool
        WCR (impose ``null`` in the bootstrap DGP) or WCU.
    null : float
    on_block : callable, optional
        Called with the number of draws of each finished block (progress bars).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 5)
    >>> t = (g % 2).astype(float)
    >>> y = t + rng.normal(size=8)[g] + rng.normal(size=40)
    >>> v, _ = draw_weights("rademacher", 999, 8, rng)
    >>> res = WildOLS(y, t, np.ones((40, 1)), g, v).result()
    >>> len(res.draws), 0 < res.pvalue <= 1
    (256, True)
    """

    def __init__(
        self,
        y: np.ndarray,
        t: np.ndarray,
        x: np.ndarray,
        clusters: np.ndarray,
        v: np.ndarray,
        *,
        fixed_effects: np.ndarray | Absorber | None = None,
        boot_clusters: np.ndarray | None = None,
        restricted: bool = True,
        null: float = 0.0,
        on_block: Callable[[int], object] | None = None,
    ) -> None:
        super().__init__(x, clusters, v, fixed_effects, boot_clusters, null, on_block)
        alg, self.restricted = self.alg, restricted
        yt = alg.partial(np.column_stack([y, t]))
        self.y, self.t = yt[:, 0], yt[:, 1]
        self.ss = float(self.t @ self.t)
        self.tt_h = alg.by_cluster(self.t * self.t)
        self.estimate = float(self.t @ self.y) / self.ss
        scores = alg.by_cluster(self.t * (self.y - self.estimate * self.t))
        self.std_error = float(np.sqrt(self.factor * (scores @ scores))) / self.ss
        u = self.y - (null if restricted else self.estimate) * self.t
        self._a, self._qyy = self._products(np.column_stack(self._k_matrix(u)))
        self._linear: tuple[np.ndarray, ...] | None = None  # for other values (WCR), lazily
        self._u = u

    def _products(self, m: np.ndarray, m_t: np.ndarray | None = None) -> list[np.ndarray]:
        """``V m`` for ``m = [n, K]``: the numerators and the sums of squared scores per draw.

        With ``m_t`` (the same for ``ü = t̃``) also ``V n_t``, ``Σ s s_t`` and ``Σ s_t²``.
        """
        out = []
        for vb in self.blocks():
            p = vb @ m
            s = p[:, 1:]
            part = [p[:, 0], np.einsum("bh,bh->b", s, s)]
            if m_t is not None:
                pt = vb @ m_t
                st = pt[:, 1:]
                part = [pt[:, 0], np.einsum("bh,bh->b", s, st), np.einsum("bh,bh->b", st, st)]
            out.append(part)
        if not out:
            return [np.empty(0)] * (2 if m_t is None else 3)
        return [np.concatenate(c) for c in zip(*out, strict=True)]

    def _k_matrix(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``n`` (``G_b``) and ``K`` (``G_b × H``) of the residuals ``u`` (linear in ``u``)."""
        alg, tu = self.alg, self.t * u
        num = alg.by_boot(tu)
        k = alg.cells(tu) - alg.cross(u, self.t) - np.outer(num, self.tt_h) / self.ss
        return num, k

    def statistics(self, value: float) -> tuple[float, np.ndarray]:
        """Observed and bootstrap t statistics of ``H0: β = value`` (same draws, no refit)."""
        observed = (self.estimate - value) / self.std_error
        if not self.restricted:
            with np.errstate(divide="ignore", invalid="ignore"):
                return observed, self._a / np.sqrt(self.factor * self._qyy)
        d = value - self.null
        if d == 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                return observed, self._a / np.sqrt(self.factor * self._qyy)
        if self._linear is None:
            m = np.column_stack(self._k_matrix(self._u))
            self._linear = tuple(self._products(m, np.column_stack(self._k_matrix(self.t))))
        at, qyt, qtt = self._linear
        ssq = self._qyy - 2 * d * qyt + d * d * qtt
        with np.errstate(divide="ignore", invalid="ignore"):
            return observed, (self._a - d * at) / np.sqrt(self.factor * np.maximum(ssq, 0))


def invert(
    pvalue: Callable[[float], float],
    start: float,
    step: float,
    alpha: float,
    max_steps: int = 50,
    rtol: float = 1e-10,
) -> float:
    """Walk from ``start`` by ``step`` until the test rejects, then bisect to the boundary.

    Returns the last accepted value (within ``rtol · |step|`` of the boundary), ``±inf`` if
    the test does not reject within ``max_steps`` steps.

    Examples
    --------
    >>> round(invert(lambda b: float(abs(b) < 1.0), 0.0, 0.3, 0.05), 6)
    1.0
    """
    inside = start
    for k in range(1, max_steps + 1):
        value = start + k * step
        if pvalue(value) <= alpha:
            outside = value
            break
        inside = value
    else:
        return float(np.sign(step) * np.inf)
    while abs(outside - inside) > rtol * abs(step):
        mid = (inside + outside) / 2
        if mid in (inside, outside):
            break
        if pvalue(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return float(inside)
