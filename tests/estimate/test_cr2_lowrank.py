"""The low-rank CR2 (``_core/cr2.py``) against the direct n_g × n_g formulas, to 1e-12.

The reference below is the textbook computation (and the implementation kaizen_eval used before
the low-rank form): ``(I − H_gg)^{-1/2}`` by an eigen-decomposition of the full ``n_g × n_g``
block, eigenvalues at or below 1e-12 treated as zero, and the Gram matrices of the
Satterthwaite/HTZ approximations built as ``n × G`` matrices. The edge cases are those where a
low-rank shortcut could go wrong: clusters of size 1 (fewer rows than columns of the factor),
strata nested in clusters (``I − H_gg`` singular), several fixed effects (a dense basis),
weights (an indefinite middle matrix), and a 2SLS design.
"""

import numpy as np
import pytest

from kaizen_eval._core import cr2
from kaizen_eval._core.absorb import Absorber
from kaizen_eval._core.linear import fit_2sls, fit_ols
from kaizen_eval._core.wald import wald_test

TOL = 1e-12


# --- the direct reference ------------------------------------------------------------------
def _sym(m):
    return (m + m.T) / 2


def _inv_sqrt_psd(m):
    vals, vecs = np.linalg.eigh(_sym(m))
    inv = np.zeros_like(vals)
    keep = vals > 1e-12
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


def _blocks(codes, g_count):
    return [np.flatnonzero(codes == g) for g in range(g_count)]


def naive_cr2(x, e, b, codes, g_count, absorber):
    n, k = x.shape
    full_c = absorber.orthonormal_basis() if absorber is not None else np.zeros((n, 0))
    scores = np.zeros((g_count, k))
    p_rows = np.zeros((n, k))
    for g, idx in enumerate(_blocks(codes, g_count)):
        xg = x[idx]
        hgg = xg @ b @ xg.T + full_c[idx] @ full_c[idx].T
        a_g = _inv_sqrt_psd(np.eye(len(idx)) - hgg)
        scores[g] = (a_g @ xg).T @ e[idx]
        p_rows[idx] = a_g @ xg @ b
    hat = x @ b @ x.T + full_c @ full_c.T

    def gram(u, w):
        pu = np.zeros((n, g_count))
        pw = np.zeros((n, g_count))
        pu[np.arange(n), codes] = p_rows @ u
        pw[np.arange(n), codes] = p_rows @ w
        return pu.T @ (np.eye(n) - hat) @ pw

    return b @ scores.T @ scores @ b, scores, gram


def naive_cr2_weighted(x, e, b, codes, g_count, s):
    n, k = x.shape
    hstar = x @ b @ x.T
    resid_maker = np.diag(1 / s) @ (np.eye(n) - hstar) @ np.diag(s)  # I − H_X, original scale
    scores = np.zeros((g_count, k))
    p_rows = np.zeros((n, k))
    for g, idx in enumerate(_blocks(codes, g_count)):
        rg = resid_maker[idx]
        a_g = _inv_sqrt_psd(rg @ rg.T)
        xg, sg = x[idx], s[idx]
        scores[g] = (xg.T * sg) @ a_g @ (e[idx] / sg)
        p_rows[idx] = a_g @ (xg * sg[:, None]) @ b

    def gram(u, w):
        pu = np.zeros((n, g_count))
        pw = np.zeros((n, g_count))
        pu[np.arange(n), codes] = p_rows @ u
        pw[np.arange(n), codes] = p_rows @ w
        return pu.T @ resid_maker @ resid_maker.T @ pw

    return b @ scores.T @ scores @ b, scores, gram


def naive_df(gram, k):
    out = []
    for c in np.eye(k):
        g = gram(c, c)
        out.append(np.trace(g) ** 2 / np.sum(g**2))
    return np.array(out)


def naive_htz_eta(gram, rmat):
    q = rmat.shape[0]
    grams = [[gram(rmat[s], rmat[t]) for t in range(q)] for s in range(q)]
    omega = np.array([[np.trace(grams[s][t]) for t in range(q)] for s in range(q)])
    vals, vecs = np.linalg.eigh(_sym(omega))
    root = (vecs / np.sqrt(vals)) @ vecs.T
    std = [
        [
            sum(root[s, a] * root[t, c] * grams[a][c] for a in range(q) for c in range(q))
            for t in range(q)
        ]
        for s in range(q)
    ]
    total = sum(
        np.sum(std[s][s] * std[t][t] + std[s][t] * std[t][s]) for s in range(q) for t in range(q)
    )
    return q * (q + 1) / total


# --- designs ---------------------------------------------------------------------------------
def _codes(rng, sizes):
    codes = np.repeat(np.arange(len(sizes)), sizes)
    return rng.permutation(codes)  # rows not sorted by cluster


def _design(rng, codes, fe=None, k=3):
    n = len(codes)
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=(n, k - 2))])
    absorber = None
    if fe is None:
        x = np.column_stack([np.ones(n), x[:, : k - 1]])
    else:
        absorber = Absorber(fe)
        x = absorber.residualize(x)
    e = rng.normal(size=n) * (1 + np.abs(x[:, 1]))
    e = e - x @ np.linalg.lstsq(x, e, rcond=None)[0]
    if absorber is not None:
        e = absorber.residualize(e)
    return x, e, np.linalg.inv(x.T @ x), absorber


def _cases():
    rng = np.random.default_rng(20261202)
    sizes = np.array([1, 1, 1, 2, 3, 5, 8, 13, 21, 1, 4, 9, 30, 2, 1])
    codes = _codes(rng, sizes)
    n, g = len(codes), len(sizes)
    yield "unequal sizes with singletons, no FE", codes, g, None
    yield "strata crossing clusters", codes, g, rng.integers(0, 4, n)
    # whole strata inside clusters: clusters 7, 8 and 12 each hold two strata of their own;
    # the other clusters share three strata
    own = np.isin(codes, [7, 8, 12])
    nested = np.where(own, 100 + 2 * codes + np.arange(n) % 2, codes % 3)
    yield "strata nested in clusters (I - H_gg singular)", codes, g, nested
    two = np.column_stack([rng.integers(0, 3, n), rng.integers(0, 4, n)])
    yield "two fixed effects (dense basis)", codes, g, two
    ones = np.arange(40)
    yield "every cluster of size 1", rng.permutation(ones), 40, None
    yield "every cluster of size 1 with strata", rng.permutation(ones), 40, ones % 5


CASES = list(_cases())


@pytest.mark.parametrize(("label", "codes", "g", "fe"), CASES, ids=[c[0] for c in CASES])
def test_unweighted_equals_direct_formula(label, codes, g, fe):
    rng = np.random.default_rng(len(label))
    x, e, b, absorber = _design(rng, codes, fe)
    got = cr2.cr2(x, e, b, codes, g, absorber)
    v, scores, gram = naive_cr2(x, e, b, codes, g, absorber)
    scale = np.abs(v).max()
    np.testing.assert_allclose(got.vcov, v, rtol=0, atol=TOL * scale)
    np.testing.assert_allclose(got.scores, scores.T, rtol=0, atol=TOL * np.abs(scores).max())
    np.testing.assert_allclose(got.df, naive_df(gram, x.shape[1]), rtol=1e-11)
    u, w = rng.normal(size=(2, x.shape[1]))
    dense = gram(u, w)
    np.testing.assert_allclose(got.gram(u, w), dense, rtol=0, atol=TOL * np.abs(dense).max())
    assert got.gram.trace(u, w) == pytest.approx(np.trace(dense), rel=1e-11, abs=1e-14)
    u2, w2 = rng.normal(size=(2, x.shape[1]))
    inner = np.sum(dense * gram(u2, w2))
    assert got.gram.inner(u, w, u2, w2) == pytest.approx(inner, rel=1e-10)
    rmat = np.eye(x.shape[1])[1:]
    assert got.gram.htz_eta(rmat) == pytest.approx(naive_htz_eta(gram, rmat), rel=1e-10)


def test_nested_strata_really_make_the_block_singular():
    """The nested case exercises the pseudo-inverse (an eigenvalue of I - H_gg at zero)."""
    _, codes, _, fe = CASES[2]
    x, _, b, absorber = _design(np.random.default_rng(0), codes, fe)
    basis = absorber.orthonormal_basis()
    idx = np.flatnonzero(codes == 7)
    hgg = x[idx] @ b @ x[idx].T + basis[idx] @ basis[idx].T
    assert np.linalg.eigvalsh(np.eye(len(idx)) - hgg).min() < 1e-12


@pytest.mark.parametrize("constant_within", [False, True])
def test_weighted_equals_direct_formula(constant_within):
    rng = np.random.default_rng(7)
    sizes = np.array([1, 2, 3, 5, 8, 13, 1, 4, 9, 20])
    codes = _codes(rng, sizes)
    g = len(sizes)
    w = rng.uniform(0.3, 3, g)[codes] if constant_within else rng.uniform(0.3, 3, len(codes))
    s = np.sqrt(w / w.mean())
    x, e, _, _ = _design(rng, codes)
    xs, es = x * s[:, None], e * s
    es = es - xs @ np.linalg.lstsq(xs, es, rcond=None)[0]
    b = np.linalg.inv(xs.T @ xs)
    got = cr2.cr2_weighted(xs, es, b, codes, g, s)
    v, scores, gram = naive_cr2_weighted(xs, es, b, codes, g, s)
    np.testing.assert_allclose(got.vcov, v, rtol=0, atol=TOL * np.abs(v).max())
    np.testing.assert_allclose(got.scores, scores.T, rtol=0, atol=TOL * np.abs(scores).max())
    np.testing.assert_allclose(got.df, naive_df(gram, x.shape[1]), rtol=1e-11)
    u, w2 = rng.normal(size=(2, x.shape[1]))
    dense = gram(u, w2)
    np.testing.assert_allclose(got.gram(u, w2), dense, rtol=0, atol=TOL * np.abs(dense).max())
    rmat = np.eye(x.shape[1])[1:]
    assert got.gram.htz_eta(rmat) == pytest.approx(naive_htz_eta(gram, rmat), rel=1e-10)


def test_2sls_uses_the_projected_design():
    """fit_2sls's CR2 is the direct formula on X̂ with the structural residuals."""
    rng = np.random.default_rng(3)
    codes = _codes(rng, np.array([1, 3, 6, 10, 2, 7, 1, 12, 5]))
    n, g = len(codes), 9
    z = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    d = (z[:, 1] * (rng.uniform(size=n) < 0.7)).astype(float)
    exog = np.column_stack([np.ones(n), z[:, 2]])
    xmat = np.column_stack([exog, d])  # X = [exog, endog]
    y = 1 + 2 * d + z[:, 2] + rng.normal(size=n)
    fit = fit_2sls(y, exog, d[:, None], z[:, 1:2], se="CR2", clusters=codes)
    xhat = z @ np.linalg.lstsq(z, xmat, rcond=None)[0]
    b = np.linalg.inv(xhat.T @ xhat)
    v, _, gram = naive_cr2(xhat, y - xmat @ fit.coef, b, codes, g, None)
    np.testing.assert_allclose(fit.vcov, v, rtol=0, atol=1e-10 * np.abs(v).max())
    np.testing.assert_allclose(fit.df, naive_df(gram, 3), rtol=1e-10)


def test_fit_ols_htz_equals_direct_formula_with_fixed_effects():
    rng = np.random.default_rng(11)
    codes = _codes(rng, np.array([4, 6, 3, 9, 1, 7, 5, 2, 8, 6]))
    n = len(codes)
    fe = rng.integers(0, 3, n)
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(size=(n, 2))])
    y = x @ [1.0, 0.5, -0.2] + rng.normal(size=n)
    fit = fit_ols(y, x, se="CR2", clusters=codes, fixed_effects=fe)
    absorber = Absorber(fe)
    xt = absorber.residualize(x)
    b = np.linalg.inv(xt.T @ xt)
    _, _, gram = naive_cr2(xt, absorber.residualize(y) - xt @ fit.coef, b, codes, 10, absorber)
    rmat = np.eye(3)[:2]
    eta = naive_htz_eta(gram, rmat)
    assert wald_test(fit, [0, 1], test="HTZ").df2 == pytest.approx(eta - 1, rel=1e-10)


def test_no_cluster_by_cluster_matrix_is_formed():
    """Memory stays O(N·k): 20,000 singletons would need a 3.2 GB G × G (or n × G) array."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 20_000
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = x @ [1.0, 0.5, 0.2] + rng.normal(size=n)
    tracemalloc.start()
    fit = fit_ols(y, x, se="CR2", clusters=np.arange(n))
    wt = wald_test(fit, [1, 2], test="HTZ")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 60e6
    assert np.all(fit.df > 0) and wt.df2 > 0
    # with singletons CR2 is HC2
    hc2 = fit_ols(y, x, se="HC2")
    np.testing.assert_allclose(fit.vcov, hc2.vcov, rtol=1e-10)
