"""Exposure mappings: neighbours, exact probabilities by enumeration, HT and Hájek by hand."""

import itertools

import numpy as np
import pandas as pd
import pytest

import kaizen_eval as ke
from kaizen_eval._validation import KaizenError

R_EARTH = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(h))


def firms(n=12, seed=0, spread=0.02):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "firm_id": [f"F{i:02d}" for i in range(n)],
            "lat": -6.8 + rng.uniform(0, spread, n),
            "lon": 39.25 + rng.uniform(0, spread, n),
        }
    )


def neighbours_by_loop(df, radius_km):
    n = len(df)
    nb = [[] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            d = haversine_km(df.lat[i], df.lon[i], df.lat[j], df.lon[j])
            if i != j and d <= radius_km:
                nb[i].append(j)
    return nb


def test_counts_match_a_double_loop():
    df = firms(n=80, seed=1, spread=0.05)
    df["invited"] = (np.arange(80) % 3 == 0).astype(int)
    e = ke.exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited", radius_km=1.5)
    nb = neighbours_by_loop(df, 1.5)
    assert e["firm_id"].tolist() == df["firm_id"].tolist()
    assert e["n_neighbours"].tolist() == [len(x) for x in nb]
    assert e["n_treated"].tolist() == [int(df.invited[x].sum()) for x in nb]
    share = [df.invited[x].mean() if x else np.nan for x in nb]
    assert np.allclose(e["share_treated"], share, equal_nan=True)
    assert e["n_neighbours"].min() >= 1 and e["n_neighbours"].max() < 79  # a real test


def test_network_edges():
    df = pd.DataFrame({"firm_id": ["a", "b", "c", "d"], "invited": [1, 0, 0, 1]})
    edges = pd.DataFrame({"from": ["a", "a", "b", "a"], "to": ["b", "c", "c", "b"]})
    e = ke.exposure(df, id_col="firm_id", treatment="invited", edges=edges)
    assert e["n_neighbours"].tolist() == [2, 2, 2, 0]
    assert e["n_treated"].tolist() == [0, 1, 1, 0]
    assert e["condition"].tolist() == ["direct", "indirect", "indirect", "direct"]
    d = ke.exposure(df, id_col="firm_id", treatment="invited", edges=edges, directed=True)
    assert d["n_neighbours"].tolist() == [2, 1, 0, 0]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.assign(lat=np.where(d.index == 3, np.nan, d.lat)), "`lat` is missing for 1"),
        (lambda d: d.assign(lat=np.where(d.index == 2, 95.0, d.lat)), r"\[-90, 90\].*F02'?: 95"),
        (lambda d: d.assign(lon=np.where(d.index == 0, -200.0, d.lon)), r"\[-180, 180\]"),
        (lambda d: d.assign(lat="x"), "must be numeric"),
        (lambda d: d.assign(firm_id="F00"), "duplicate ids"),
    ],
)
def test_bad_coordinates(edit, match):
    df = edit(firms().assign(invited=[1, 0] * 6))
    with pytest.raises(KaizenError, match=match):
        ke.exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited")


def test_other_bad_input():
    df = firms().assign(invited=[1, 0] * 6)
    with pytest.raises(KaizenError, match="radius_km"):
        ke.exposure(df, id_col="firm_id", lat="lat", lon="lon", treatment="invited", radius_km=0)
    with pytest.raises(KaizenError, match="not both"):
        ke.exposure(
            df, id_col="firm_id", lat="lat", lon="lon", treatment="invited", edges=df.iloc[:, :2]
        )
    with pytest.raises(KaizenError, match="not in `firm_id`"):
        ke.exposure(
            df,
            id_col="firm_id",
            treatment="invited",
            edges=pd.DataFrame({"a": ["F00"], "b": ["ZZ"]}),
        )
    with pytest.raises(KaizenError, match="0/1"):
        ke.exposure(
            df.assign(invited=2), id_col="firm_id", lat="lat", lon="lon", treatment="invited"
        )


# --- exact enumeration: 12 firms, 4 invited, all 495 assignments -----------------------------
RADIUS = 0.9


@pytest.fixture(scope="module")
def small():
    # a chain of 11 firms 0.55 km apart (each neighbours the next ones within 0.9 km) and one
    # firm 110 km away, which can never be indirectly exposed
    lon = 39.25 + np.r_[np.arange(11) * 0.005, 1.0]
    df = pd.DataFrame({"firm_id": [f"F{i:02d}" for i in range(12)], "lat": -6.8, "lon": lon})
    asg = ke.assign(df, arms={"invited": 4 / 12}, seed=9)
    df = df.merge(asg.frame, on="firm_id")
    nb = neighbours_by_loop(df, RADIUS)
    support = []
    for chosen in itertools.combinations(range(12), 4):
        z = np.zeros(12, dtype=int)
        z[list(chosen)] = 1
        support.append(z)
    support = np.array(support)
    # each firm's condition in each assignment, by hand: 2*z_i + (a treated neighbour)
    cond = np.array([[2 * z[i] + int(z[nb[i]].sum() > 0) for i in range(12)] for z in support])
    return df, asg, nb, support, cond


def test_small_design_has_zero_and_positive_probabilities(small):
    _, _, nb, _, cond = small
    assert len(cond) == 495
    assert any(len(x) == 0 for x in nb) and any(len(x) >= 2 for x in nb)


def test_probabilities_equal_exact_enumeration(small):
    df, asg, _, support, cond = small
    p = ke.exposure_probabilities(
        df, support, id_col="firm_id", lat="lat", lon="lon", treatment="invited", radius_km=RADIUS
    )
    exact = np.column_stack([(cond == k).mean(axis=0) for k in range(4)])
    assert p.draws == 495 and p.exact
    np.testing.assert_allclose(p.probabilities, exact, rtol=0, atol=1e-12)
    # joint probabilities, by hand
    for k, m in ((1, 1), (0, 3), (2, 1)):
        hand = np.array(
            [[np.mean((cond[:, i] == k) & (cond[:, j] == m)) for j in range(12)] for i in range(12)]
        )
        np.testing.assert_allclose(p.joint(k, m), hand, rtol=0, atol=1e-12)
    # a firm without neighbours can never be indirectly exposed: reported, not dropped
    un = p.unreachable("firm_id")
    assert len(p.table("firm_id")) == 12
    assert set(un["condition"]) == {"indirect", "direct+indirect"}
    # re-drawing the Assignment 10,000 times: within Monte Carlo error of the exact values
    q = ke.exposure_probabilities(
        df, asg, id_col="firm_id", lat="lat", lon="lon", treatment="invited", radius_km=RADIUS
    )
    assert q.draws == 10_000 and not q.exact
    se = np.sqrt(exact * (1 - exact) / 10_000)
    assert (np.abs(q.probabilities - exact) <= 4 * se + 1e-12).all()


def direct_ht(y, cond, pi, joint, k, m):
    """Aronow & Samii (2017) eqs. 7-9, written out with loops over pairs of firms."""
    n = len(y)

    def var(k):
        total = 0.0
        for i in range(n):
            ii = cond[i] == k
            total += ii * (1 - pi[i, k]) * (y[i] / pi[i, k]) ** 2
            for j in range(n):
                if j == i:
                    continue
                jj = cond[j] == k
                pij = joint[(k, k)][i, j]
                if pij > 0:
                    total += (
                        ii
                        * jj
                        * (pij - pi[i, k] * pi[j, k])
                        / pij
                        * y[i]
                        * y[j]
                        / (pi[i, k] * pi[j, k])
                    )
                else:
                    total += ii * y[i] ** 2 / (2 * pi[i, k]) + jj * y[j] ** 2 / (2 * pi[j, k])
        return total / n**2

    def cov(k, m):
        total = 0.0
        pkm = joint[(min(k, m), max(k, m))]
        pkm = pkm if k <= m else pkm.T
        for i in range(n):
            for j in range(n):
                ii, jj = cond[i] == k, cond[j] == m
                pij = pkm[i, j]
                if pij > 0 and i != j:
                    total += (
                        ii
                        * jj
                        * (pij - pi[i, k] * pi[j, m])
                        / pij
                        * y[i]
                        * y[j]
                        / (pi[i, k] * pi[j, m])
                    )
                elif pij == 0:
                    total -= ii * y[i] ** 2 / (2 * pi[i, k]) + jj * y[j] ** 2 / (2 * pi[j, m])
        return total / n**2

    yk = np.sum((cond == k) * y / pi[:, k]) / n
    ym = np.sum((cond == m) * y / pi[:, m]) / n
    return yk - ym, var(k) + var(m) - 2 * cov(k, m)


def test_ht_equals_a_direct_implementation_on_a_network():
    # a network where every firm can reach every condition: a ring of 12 firms, 4 invited
    n = 12
    df = pd.DataFrame({"firm_id": range(n)})
    edges = pd.DataFrame({"a": range(n), "b": [(i + 1) % n for i in range(n)]})
    support = []
    for chosen in itertools.combinations(range(n), 4):
        z = np.zeros(n, dtype=int)
        z[list(chosen)] = 1
        support.append(z)
    support = np.array(support)
    # an observed assignment where all four conditions occur
    ring = [[(i - 1) % n, (i + 1) % n] for i in range(n)]
    seen = [{2 * z[i] + int(z[ring[i]].sum() > 0) for i in range(n)} for z in support]
    obs = support[next(r for r, s in enumerate(seen) if len(s) == 4)]
    df["invited"] = obs
    rng = np.random.default_rng(2)
    df["y"] = rng.normal(10, 2, n) + 1.5 * obs
    est = ke.exposure_effects(
        df, outcome="y", id_col="firm_id", treatment="invited", assignment=support, edges=edges
    )
    p = est.extra["probabilities"]
    assert (p.probabilities > 0).all() and len(est.extra["excluded"]) == 0
    cond = ke.exposure(df, id_col="firm_id", treatment="invited", edges=edges)["condition"]
    codes = cond.map(
        {c: k for k, c in enumerate(("none", "indirect", "direct", "direct+indirect"))}
    )
    joint = {(k, m): p.joint(k, m) for k in range(4) for m in range(k, 4)}
    y = df["y"].to_numpy()
    for t, k in enumerate((1, 2, 3)):
        tau, v = direct_ht(y, codes.to_numpy(), p.probabilities, joint, k, 0)
        assert est.coef[t] == pytest.approx(tau, rel=1e-12)
        assert est.vcov[t, t] == pytest.approx(v, rel=1e-10)
    assert est.method == "HT" and est.se_type == "Aronow-Samii" and est.extra["draws"] == 495


@pytest.mark.slow
def test_ht_is_unbiased_and_variance_conservative_over_all_assignments():
    # potential outcomes depend on the exposure condition only; averaging the HT contrast over
    # all 495 equally likely assignments gives the true contrast exactly, and the average of
    # the conservative variance estimate is at least the true variance.
    n = 12
    df = pd.DataFrame({"firm_id": range(n)})
    edges = pd.DataFrame({"a": range(n), "b": [(i + 1) % n for i in range(n)]})
    support = np.array(
        [np.isin(np.arange(n), c).astype(int) for c in itertools.combinations(range(n), 4)]
    )
    rng = np.random.default_rng(4)
    base = rng.normal(5, 1, n)
    effect = np.array([0.0, 0.7, 2.0, 2.5])  # none, indirect, direct, direct+indirect
    taus, variances = [], []
    probs = None
    for z in support:
        d = df.assign(invited=z)
        cond = ke.exposure(d, id_col="firm_id", treatment="invited", edges=edges)["condition"]
        k = cond.map({"none": 0, "indirect": 1, "direct": 2, "direct+indirect": 3}).to_numpy()
        d["y"] = base + effect[k]
        if probs is None:
            probs = ke.exposure_probabilities(
                d, support, id_col="firm_id", treatment="invited", edges=edges
            )
        e = ke.exposure_effects(
            d,
            outcome="y",
            id_col="firm_id",
            treatment="invited",
            assignment=support,
            edges=edges,
            probabilities=probs,
        )
        taus.append(e.coef)
        variances.append(np.diag(e.vcov))
    taus = np.array(taus)
    np.testing.assert_allclose(taus.mean(axis=0), effect[1:], rtol=0, atol=1e-10)
    assert (np.array(variances).mean(axis=0) >= taus.var(axis=0) - 1e-12).all()


def test_hajek_point_estimate():
    n = 12
    df = pd.DataFrame({"firm_id": range(n)})
    edges = pd.DataFrame({"a": range(n), "b": [(i + 2) % n for i in range(n)]})
    support = np.array(
        [np.isin(np.arange(n), c).astype(int) for c in itertools.combinations(range(n), 4)]
    )
    df["invited"] = support[100]
    df["y"] = np.random.default_rng(1).normal(size=n) + df["invited"]
    e = ke.exposure_effects(
        df,
        outcome="y",
        id_col="firm_id",
        treatment="invited",
        assignment=support,
        edges=edges,
        estimator="Hajek",
    )
    p = e.extra["probabilities"].probabilities
    cond = ke.exposure(df, id_col="firm_id", treatment="invited", edges=edges)["condition"]
    k = cond.map({"none": 0, "indirect": 1, "direct": 2, "direct+indirect": 3}).to_numpy()
    y = df["y"].to_numpy()

    def hajek(c):
        w = (k == c) / p[:, c]
        return np.sum(w * y) / np.sum(w)

    for t, c in enumerate((1, 2, 3)):
        assert e.coef[t] == pytest.approx(hajek(c) - hajek(0), rel=1e-12)
    assert (np.diag(e.vcov) > 0).all() and e.method == "Hajek"


def test_unreachable_conditions_are_errors_and_zero_probabilities_reported(small):
    df, _, _, support, _ = small
    with pytest.raises(KaizenError, match=r"\['indirect', 'direct\+indirect'\] are reached by no"):
        ke.exposure_probabilities(
            df,
            support,
            id_col="firm_id",
            lat="lat",
            lon="lon",
            treatment="invited",
            radius_km=1e-6,
        )
    y = df.assign(y=np.arange(12.0))
    e = ke.exposure_effects(
        y,
        outcome="y",
        id_col="firm_id",
        treatment="invited",
        assignment=support,
        lat="lat",
        lon="lon",
        radius_km=RADIUS,
    )
    excluded = e.extra["excluded"]
    assert len(excluded) > 0 and e.nobs == 12 - excluded["firm_id"].nunique()
    assert any("outside the estimand's population" in n for n in e.notes)


def test_assignment_must_match_the_data(small):
    df, asg, _, _, _ = small
    flipped = df.assign(invited=1 - df["invited"])
    with pytest.raises(KaizenError, match="differs from the assignment"):
        ke.exposure_probabilities(
            flipped, asg, id_col="firm_id", lat="lat", lon="lon", treatment="invited"
        )
    with pytest.raises(KaizenError, match="shape"):
        ke.exposure_probabilities(
            df, np.zeros((3, 5)), id_col="firm_id", lat="lat", lon="lon", treatment="invited"
        )
