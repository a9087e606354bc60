r"""Wild restricted efficient bootstrap (WRE) of a 2SLS coefficient, on cluster sums.

Davidson and MacKinnon (2010, "Wild bootstrap tests for IV regression"); the cluster-sum
algebra is that of Roodman, MacKinnon, Nielsen and Webb (2019, section 5). Model
``y = β d + W γ + u``, ``d = Z π + W δ + e`` with instruments ``Z`` (``l`` columns) and
``W = [X, D]``. Under ``H0: β = β₀``:

1. restricted structural residuals ``ü₁ = M(y − β₀ d)``;
2. the efficient first stage: regress ``d`` on ``Z``, ``W`` and ``ü₁``; ``π̃`` its ``Z``
   coefficients and ``ũ₂ = M d − M Z π̃`` (the residual plus the ``ü₁`` term);
3. bootstrap data ``d* = Z π̃ + W δ̃ + v ∘ ũ₂`` and ``y* = β₀ d* + W γ̃ + v ∘ ü₁`` (one weight
   per bootstrap cluster for both equations), and the CR1 t statistic of the 2SLS ``β* − β₀``.

After partialling ``W`` (``z̃``, ``d̃``, ``ỹ``; ``S = z̃ᵀz̃``), a draw ``v`` gives
``a* = z̃ᵀd̃* = S π̃ + v C₂`` and ``c* = z̃ᵀ(ỹ* − β₀ d̃*) = v C₁`` (``C_k[b] = Σ_{i∈b} z̃_i ũ_k``),
``w* = S⁻¹ a*``, ``β* − β₀ = w*ᵀc* / w*ᵀa*``, and the scores of cluster ``h``
``s*_h = Σ_j w*_j [(v K₁ⱼ)_h − (β* − β₀)(F_jh + (v K₂ⱼ)_h)]`` with
``K_kj = cells(z̃_j ũ_k) − cross(ũ_k, z̃_j)`` and ``F_jh = Σ_{i∈h} z̃_ij z̃_iᵀπ̃``, so that
``t* = w*ᵀc* / sqrt(c Σ_h s*_h²)``: products of ``B × G_b`` and ``G_b × H`` matrices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.wild import WildDraws, WildOLS, WildTest

__all__ = ["WildAndersonRubin", "WildIV", "wild_test"]


class WildIV(WildTest):
    """The WRE bootstrap of the coefficient on one endogenous ``d``, prepared once.

    Parameters
    ----------
    y, d : numpy.ndarray, shape (n,)
        Outcome and endogenous regressor.
    z : numpy.ndarray, shape (n, l)
        Excluded instruments.
    x : numpy.ndarray, shape (n, k)
        Exogenous regressors (a constant unless fixed effects are absorbed).
    clusters : numpy.ndarray, shape (n,)
    v : numpy.ndarray, shape (B, G_b)
    fixed_effects, boot_clusters, null, on_block
        As in :class:`~kaizen_eval._core.wild.WildOLS`.

    Examples
    --------
    >>> from kaizen_eval._core.wild import draw_weights
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 10)
    >>> z = (g % 2).astype(float)
    >>> d = (z * rng.uniform(size=80) > 0.3).astype(float)
    >>> y = d + rng.normal(size=8)[g] + rng.normal(size=80)
    >>> v, _ = draw_weights("rademacher", 999, 8, rng)
    >>> res = WildIV(y, d, z[:, None], np.ones((80, 1)), g, v).result()
    >>> len(res.draws), 0 < res.pvalue <= 1
    (256, True)
    """

    def __init__(
        self,
        y: np.ndarray,
        d: np.ndarray,
        z: np.ndarray,
        x: np.ndarray,
        clusters: np.ndarray,
        v: np.ndarray,
        *,
        fixed_effects: np.ndarray | Absorber | None = None,
        boot_clusters: np.ndarray | None = None,
        null: float = 0.0,
        on_block: Callable[[int], object] | None = None,
    ) -> None:
        z = np.asarray(z, dtype=float).reshape(len(y), -1)
        super().__init__(x, clusters, v, fixed_effects, boot_clusters, null, on_block)
        alg = self.alg
        part = alg.partial(np.column_stack([y, d, z]))
        self.y, self.d, self.z = part[:, 0], part[:, 1], part[:, 2:]
        self.szz = self.z.T @ self.z
        zd = self.z.T @ self.d
        w = np.linalg.solve(self.szz, zd)
        den = float(w @ zd)
        self.estimate = float(w @ (self.z.T @ self.y)) / den
        e = self.y - self.estimate * self.d
        scores = alg.by_cluster(self.z * e[:, None]) @ w
        self.std_error = float(np.sqrt(self.factor * (scores @ scores))) / den

    def statistics(self, value: float) -> tuple[float, np.ndarray]:
        """Observed and WRE bootstrap t statistics of ``H0: β = value``."""
        alg, z = self.alg, self.z
        u1 = self.y - value * self.d
        coef = np.linalg.lstsq(np.column_stack([z, u1]), self.d, rcond=None)[0]
        pi = coef[: z.shape[1]]
        zpi = z @ pi
        u2 = self.d - zpi
        c1, c2 = alg.by_boot(z * u1[:, None]), alg.by_boot(z * u2[:, None])
        a0 = self.szz @ pi
        k1 = [alg.cells(z[:, j] * u1) - alg.cross(u1, z[:, j]) for j in range(z.shape[1])]
        k2 = [alg.cells(z[:, j] * u2) - alg.cross(u2, z[:, j]) for j in range(z.shape[1])]
        f = alg.by_cluster(z * zpi[:, None])  # (H, l)
        out = []
        for vb in self.blocks():
            a = a0[None, :] + vb @ c2
            c = vb @ c1
            w = np.linalg.solve(self.szz, a.T).T
            with np.errstate(divide="ignore", invalid="ignore"):
                num = np.einsum("bj,bj->b", w, c)
                shift = num / np.einsum("bj,bj->b", w, a)
                s = np.zeros((vb.shape[0], alg.n_clusters))
                for j in range(z.shape[1]):
                    s += w[:, j, None] * (vb @ k1[j] - shift[:, None] * (f[:, j] + vb @ k2[j]))
                out.append(num / np.sqrt(self.factor * np.einsum("bh,bh->b", s, s)))
        draws = np.concatenate(out) if out else np.empty(0)
        return (self.estimate - value) / self.std_error, draws


def wild_test(
    kind: str,
    y: np.ndarray,
    t: np.ndarray,
    z: np.ndarray | None,
    x: np.ndarray,
    clusters: np.ndarray,
    v: np.ndarray,
    null: float,
    **common: Any,
) -> WildOLS | WildIV | WildAndersonRubin:
    """Prepare the bootstrap ``kind`` of ``WILD_BOOTSTRAPS`` (``result()``, ``pvalue(value)``).

    ``t`` is the tested regressor (the endogenous one with instruments ``z``); ``common`` are
    the keywords ``fixed_effects``, ``boot_clusters`` and ``on_block`` of :class:`WildOLS`.
    """
    if kind in ("WCR", "WCU"):
        return WildOLS(y, t, x, clusters, v, restricted=kind == "WCR", null=null, **common)
    if kind == "WRE":
        return WildIV(y, t, z, x, clusters, v, null=null, **common)
    return WildAndersonRubin(y, t, z[:, 0], x, clusters, v, null=null, **common)


class WildAndersonRubin:
    """WCR bootstrap of the instrument's coefficient in the regression of ``y − β₀ d``.

    The hypothesized ``β₀`` moves the outcome, not the tested coefficient (always 0), so each
    value is one pass of :class:`~kaizen_eval._core.wild.WildOLS` on the same weights. The
    reported estimate and standard error are the 2SLS ones (:class:`WildIV` without draws).
    """

    def __init__(self, y, d, z, x, clusters, v, *, null: float, **common: Any) -> None:
        """Arrays as :class:`WildIV`'s (``z`` one column); ``common`` as :class:`WildOLS`'s."""
        self.args = (y, d, z, x, clusters, v, common)
        iv = WildIV(y, d, z[:, None], x, clusters, v[:0], **{**common, "on_block": None})
        self.estimate, self.std_error = iv.estimate, iv.std_error
        self.null = null

    def _ols(self, value: float) -> WildOLS:
        y, d, z, x, clusters, v, common = self.args
        return WildOLS(y - value * d, z, x, clusters, v, restricted=True, null=0.0, **common)

    def pvalue(self, value: float) -> float:
        """Bootstrap p-value of ``H0: β = value``."""
        return self._ols(value).result().pvalue

    def result(self) -> WildDraws:
        """Return the test of ``H0: β = null``, with the 2SLS estimate and standard error."""
        drawn = self._ols(self.null).result()
        return replace(drawn, estimate=self.estimate, std_error=self.std_error)
