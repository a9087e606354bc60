"""The resampling engine equals refitting draw by draw and does not depend on the block size."""

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._core.engine import ResamplingEngine
from kaizen_eval._core.linear import fit_2sls, fit_ols
from kaizen_eval._validation import KaizenError
from kaizen_eval.estimate import ri_draws as ri_module
from kaizen_eval.estimate.ri_draws import permute as _permute

N = 120


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    stratum = np.arange(N) % 6
    wave = (np.arange(N) // 6) % 3
    cluster = np.arange(N) // 4
    x = rng.normal(size=(N, 2))
    t = (rng.random(N) < 0.5).astype(float)
    d = t * (rng.random(N) < 0.7) + (1 - t) * (rng.random(N) < 0.1)
    y = np.column_stack([d + x @ [0.5, -0.3] + rng.normal(size=N) * (1 + t) for _ in range(2)])
    draws = np.array([rng.permutation(t) for _ in range(4)])
    return {
        "stratum": stratum,
        "wave": wave,
        "cluster": cluster,
        "x": x,
        "d": d,
        "y": y,
        "draws": draws,
    }


def _refit(data, row, k, se, fe, iv):
    clusters = data["cluster"] if se.startswith("CR") else None
    x = data["x"] if fe is not None else np.column_stack([np.ones(N), data["x"]])
    if iv:
        fit = fit_2sls(
            data["y"][:, k],
            x,
            data["d"][:, None],
            row[:, None],
            se=se,
            clusters=clusters,
            fixed_effects=fe,
        )
        j = x.shape[1]
    else:
        fit = fit_ols(
            data["y"][:, k], np.column_stack([row, x]), se=se, clusters=clusters, fixed_effects=fe
        )
        j = 0
    return fit.coef[j], fit.std_error[j]


@pytest.mark.parametrize("iv", [False, True], ids=["ols", "2sls"])
@pytest.mark.parametrize("fe_kind", ["none", "strata", "strata+wave"])
@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3", "CR0", "CR1"])
def test_engine_equals_refitting_each_draw(data, se, fe_kind, iv):
    fe = {
        "none": None,
        "strata": data["stratum"],
        "strata+wave": np.column_stack([data["stratum"], data["wave"]]),
    }[fe_kind]
    x = data["x"] if fe is not None else np.column_stack([np.ones(N), data["x"]])
    eng = ResamplingEngine(
        data["y"],
        covariates=x,
        fixed_effects=fe,
        se_type=se,
        clusters=data["cluster"] if se.startswith("CR") else None,
        endogenous=data["d"] if iv else None,
    )
    got = eng.statistics(data["draws"])
    # OLS agrees to ~5e-14; 2SLS with a re-drawn (hence weak) instrument is ill-conditioned and
    # the two computations agree to ~3e-11, inside the 1e-10 the engine promises
    for b, row in enumerate(data["draws"]):
        for k in range(2):
            coef, se_ref = _refit(data, row, k, se, fe, iv)
            np.testing.assert_allclose(got.coef[b, k], coef, rtol=1e-10, atol=0)
            np.testing.assert_allclose(got.std_error[b, k], se_ref, rtol=1e-10, atol=0)


@pytest.mark.parametrize("se", ["HC2", "CR1"])
@pytest.mark.parametrize("iv", [False, True], ids=["ols", "2sls"])
@pytest.mark.parametrize("fe_kind", ["strata", "strata+wave"])
def test_results_are_bit_identical_whatever_the_block_size(data, se, iv, fe_kind):
    rng = np.random.default_rng(5)
    t = data["draws"][0]
    draws = np.array([rng.permutation(t) for _ in range(50)])
    fe = (
        data["stratum"] if fe_kind == "strata" else np.column_stack([data["stratum"], data["wave"]])
    )
    eng = ResamplingEngine(
        data["y"],
        covariates=data["x"],
        fixed_effects=fe,
        se_type=se,
        clusters=data["cluster"] if se == "CR1" else None,
        endogenous=data["d"] if iv else None,
    )
    whole = eng.statistics(draws)
    for size in (1, 2, 3, 17):
        parts = eng.run(draws[i : i + size] for i in range(0, len(draws), size))
        assert np.array_equal(parts.coef, whole.coef)
        assert np.array_equal(parts.std_error, whole.std_error)


@pytest.mark.parametrize("se", ["HC1", "HC3", "CR1"])
def test_chunks_of_fixed_shape_make_results_independent_of_position(data, se):
    # more draws than one chunk, cut into blocks that straddle the chunk boundaries: a draw's
    # statistics are bit-identical wherever it falls in a block or chunk
    rng = np.random.default_rng(8)
    t = data["draws"][0]
    eng = ResamplingEngine(
        data["y"],
        covariates=data["x"],
        fixed_effects=data["stratum"],
        se_type=se,
        clusters=data["cluster"] if se == "CR1" else None,
    )
    draws = np.array([rng.permutation(t) for _ in range(2 * eng.chunk + 37)])
    whole = eng.statistics(draws)
    for size in (eng.chunk - 1, eng.chunk + 5, 100):
        parts = eng.run(draws[i : i + size] for i in range(0, len(draws), size))
        assert np.array_equal(parts.coef, whole.coef)
        assert np.array_equal(parts.std_error, whole.std_error)
    shifted = eng.statistics(draws[13:])
    assert np.array_equal(shifted.std_error, whole.std_error[13:])
    assert np.array_equal(eng.coefficients(draws[5:9]), eng.coefficients(draws)[5:9])
    # and they are the refits' numbers
    fit = fit_ols(
        data["y"][:, 1],
        np.column_stack([draws[300], data["x"]]),
        se=se,
        clusters=data["cluster"] if se == "CR1" else None,
        fixed_effects=data["stratum"],
    )
    np.testing.assert_allclose(whole.coef[300, 1], fit.coef[0], rtol=1e-10)
    np.testing.assert_allclose(whole.std_error[300, 1], fit.std_error[0], rtol=1e-10)


def test_engine_refuses_what_it_cannot_do(data):
    with pytest.raises(KaizenError, match="se_type"):
        ResamplingEngine(data["y"], se_type="CR2", clusters=data["cluster"])
    with pytest.raises(KaizenError, match="needs cluster labels"):
        ResamplingEngine(data["y"], se_type="CR1")
    with pytest.raises(KaizenError, match="not a clustered covariance type"):
        ResamplingEngine(data["y"], se_type="HC1", clusters=data["cluster"])
    eng = ResamplingEngine(data["y"], covariates=np.ones((N, 1)))
    with pytest.raises(KaizenError, match=r"draws must have shape \(B, 120\)"):
        eng.statistics(np.ones((3, N - 1)))


@pytest.fixture(scope="module")
def trial():
    rng = np.random.default_rng(3)
    n = 90
    df = pd.DataFrame({"stratum": np.arange(n) % 3, "x": rng.normal(size=n)})
    df["t"] = 0.0
    for s in range(3):
        members = np.flatnonzero(df["stratum"] == s)
        df.loc[rng.permutation(members)[:15], "t"] = 1.0
    df["y"] = 0.3 * df["t"] + df["x"] + rng.normal(size=n)
    df["y2"] = rng.normal(size=n)
    return df


@pytest.mark.parametrize("fe", [None, "stratum"])
def test_ri_draws_equal_refitting_itt_on_each_redrawn_assignment(trial, fe):
    kw = {"outcome": "y", "treatment": "t", "covariates": "x", "fixed_effects": fe}
    ri = ke.randomization_inference(trial, **kw, strata="stratum", draws=6, seed=2, statistic="t")
    redrawn = next(
        _permute(trial["t"].to_numpy(), trial["stratum"].to_numpy(), 6, np.random.default_rng(2))
    )
    for b in range(6):
        e = ke.itt(trial.assign(t=redrawn[b]), **kw)  # HC1, as the studentized RI statistic
        assert ri.draws[b] == pytest.approx(e.statistic, rel=1e-10)


def test_ri_and_romano_wolf_do_not_depend_on_the_block_size(trial, monkeypatch):
    kw = {"treatment": "t", "covariates": "x", "strata": "stratum", "draws": 50, "seed": 1}
    ri = ke.randomization_inference(trial, outcome="y", statistic="t", **kw)
    rw = ke.romano_wolf(trial, outcomes=["y", "y2"], **kw)
    for size in (1, 7):
        # one draw source (ri_draws.redraws) serves the single test and the Romano-Wolf family
        monkeypatch.setattr(ri_module, "block_rows", lambda n, size=size: size)
        again = ke.randomization_inference(trial, outcome="y", statistic="t", **kw)
        assert np.array_equal(again.draws, ri.draws)
        pd.testing.assert_frame_equal(ke.romano_wolf(trial, outcomes=["y", "y2"], **kw), rw)


@pytest.mark.parametrize("iv", [False, True], ids=["ols", "2sls"])
def test_an_outcome_gives_the_same_bits_alone_or_in_a_family(data, iv):
    # more outcomes than one column block of the products: each one's statistics do not depend
    # on which other outcomes are computed with it
    rng = np.random.default_rng(12)
    ys = data["y"][:, :1] + rng.normal(size=(N, 21))
    kw = {
        "covariates": data["x"],
        "fixed_effects": data["stratum"],
        "endogenous": data["d"] if iv else None,
    }
    family = ResamplingEngine(ys, **kw).statistics(data["draws"])
    for k in (0, 7, 16, 20):
        alone = ResamplingEngine(ys[:, k], **kw).statistics(data["draws"])
        assert np.array_equal(alone.coef[:, 0], family.coef[:, k])
        assert np.array_equal(alone.std_error[:, 0], family.std_error[:, k])
