"""Tests for bosetting_lib.model.sensitivity: Dirichlet draws, vectorised apportionment, summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bosetting_lib.model.allocation import METHODS, apportion
from bosetting_lib.model.sensitivity import (
    _ranks,
    criterion_contributions,
    draw_allocations,
    draw_weights,
    municipal_weights,
    run_sensitivity,
)

CRITERIA = ["befolkning", "arbeid", "resultater", "kapasitet"]
BASE = pd.Series([0.4, 0.3, 0.2, 0.1], index=CRITERIA)


def make_shares(k: int = 40, seed: int = 1) -> pd.DataFrame:
    """A synthetic share table: lognormal populations and criteria correlated with them, columns summing to 1."""
    rng = np.random.default_rng(seed)
    pop = rng.lognormal(8.5, 1.1, k)
    cols = {"befolkning": pop}
    for c in CRITERIA[1:]:
        cols[c] = pop * rng.lognormal(0, 0.6, k)
    df = pd.DataFrame(cols, index=[f"{5001 + i:04d}" for i in range(k)])
    return df / df.sum()


def test_draw_weights_shape_sum_and_reproducibility():
    a = draw_weights(BASE, 500, concentration=50, seed=11)
    b = draw_weights(BASE, 500, concentration=50, seed=11)
    c = draw_weights(BASE, 500, concentration=50, seed=12)
    assert a.shape == (500, 4)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_draw_weights_centred_on_base_and_concentration_controls_spread():
    wide = draw_weights(BASE, 20_000, concentration=20, seed=3)
    narrow = draw_weights(BASE, 20_000, concentration=500, seed=3)
    np.testing.assert_allclose(wide.mean(axis=0), BASE.to_numpy(), atol=0.005)
    np.testing.assert_allclose(narrow.mean(axis=0), BASE.to_numpy(), atol=0.002)
    assert (narrow.std(axis=0) < wide.std(axis=0) / 3).all()
    # Dirichlet variance: p(1-p)/(k+1).
    expected = np.sqrt(BASE * (1 - BASE) / 21).to_numpy()
    np.testing.assert_allclose(wide.std(axis=0), expected, rtol=0.05)


def test_zero_weight_criterion_stays_zero_and_weights_are_normalised():
    base = pd.Series([2.0, 0.0, 2.0], index=["a", "b", "c"])
    d = draw_weights(base, 100, seed=1)
    assert (d[:, 1] == 0).all()
    np.testing.assert_allclose(d.mean(axis=0), [0.5, 0.0, 0.5], atol=0.03)
    single = draw_weights(pd.Series([0.0, 3.0], index=["a", "b"]), 5, seed=1)
    assert (single == [0.0, 1.0]).all()


@pytest.mark.parametrize(
    "base, n, conc",
    [
        (pd.Series([0.5, -0.1], index=["a", "b"]), 10, 10.0),
        (pd.Series([0.0, 0.0], index=["a", "b"]), 10, 10.0),
        (pd.Series([0.5, np.nan], index=["a", "b"]), 10, 10.0),
        (BASE, 0, 10.0),
        (BASE, 10, 0.0),
    ],
)
def test_draw_weights_rejects_bad_input(base, n, conc):
    with pytest.raises(ValueError):
        draw_weights(base, n, concentration=conc)


@pytest.mark.parametrize("method", METHODS)
def test_vectorised_rows_equal_apportion(method):
    shares = make_shares(45, seed=5)
    draws = draw_weights(BASE, 300, concentration=30, seed=9)
    caps = pd.Series({"5001": 40, "5002": 0, "5003": 12, "5010": 7})
    kwargs = dict(minimum=10, maximum=caps, method=method, exceptions=["5010", "5020"])
    alloc = draw_allocations(shares, draws, CRITERIA, 700, **kwargs)
    weights = municipal_weights(shares, draws, CRITERIA)
    assert alloc.shape == (300, 45)
    assert (alloc.sum(axis=1) == 700).all()
    for r in np.random.default_rng(0).choice(300, size=40, replace=False):
        expected = apportion(pd.Series(weights[r], index=shares.index), 700, **kwargs)
        assert alloc[r].tolist() == expected.tolist(), r


def test_run_sensitivity_shape_order_and_reproducibility():
    shares = make_shares()
    a = run_sensitivity(shares, BASE, 600, n_draws=2000, concentration=40, seed=123)
    b = run_sensitivity(shares, BASE, 600, n_draws=2000, concentration=40, seed=123)
    c = run_sensitivity(shares, BASE, 600, n_draws=2000, concentration=40, seed=124)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a.index.tolist() == shares.index.tolist()
    assert a.columns.tolist() == [
        "base", "p10", "p50", "p90", "min", "max", "zero_share", "base_rank", "rank_p10", "rank_p90", "same_rank_share"
    ]
    assert a["base"].sum() == 600


def test_run_sensitivity_percentiles_ordered_and_base_is_the_recommendation():
    shares = make_shares(50, seed=2)
    res = run_sensitivity(shares, BASE, 900, n_draws=3000, concentration=30, seed=1, minimum=10)
    assert (res["min"] <= res["p10"]).all() and (res["p10"] <= res["p50"]).all()
    assert (res["p50"] <= res["p90"]).all() and (res["p90"] <= res["max"]).all()
    assert (res["rank_p10"] <= res["rank_p90"]).all()
    assert res["zero_share"].between(0, 1).all() and res["same_rank_share"].between(0, 1).all()
    key = pd.Series(shares.to_numpy() @ BASE.to_numpy(), index=shares.index)
    assert res["base"].tolist() == apportion(key, 900, minimum=10).tolist()
    # Some spread must be visible for the largest municipality, and none below the minimum.
    assert (res["max"] - res["min"]).max() > 0
    assert ((res["min"] == 0) | (res["min"] >= 10)).all()


def test_tight_concentration_reproduces_the_base():
    shares = make_shares(30, seed=4)
    res = run_sensitivity(shares, BASE, 500, n_draws=200, concentration=1e9, seed=2)
    assert (res["p10"] == res["base"]).all() and (res["p90"] == res["base"]).all()
    assert (res["same_rank_share"] == 1.0).all()


def test_share_table_is_validated():
    shares = make_shares(10)
    bad = shares.assign(arbeid=shares["arbeid"] * 1.1)
    with pytest.raises(ValueError, match="sum to 1"):
        run_sensitivity(bad, BASE, 100, n_draws=10)
    with pytest.raises(ValueError, match="differ"):
        run_sensitivity(shares.drop(columns="kapasitet"), BASE, 100, n_draws=10)


def test_ranks_competition_style():
    assert _ranks(np.array([[5, 3, 5, 0, 7]])).tolist() == [[2, 4, 2, 5, 1]]
    assert _ranks(np.array([[1, 1], [0, 2]])).tolist() == [[1, 1], [2, 1]]


def test_criterion_contributions_sum_to_allocation():
    shares = make_shares(20)
    key = pd.Series(shares.to_numpy() @ BASE.to_numpy(), index=shares.index)
    alloc = apportion(key, 300, minimum=10)
    parts = criterion_contributions(shares, BASE, alloc)
    np.testing.assert_allclose(parts.sum(axis=1), alloc.to_numpy())
    assert parts.columns.tolist() == CRITERIA
    # A municipality's population part is its allocation times 0.4·share / key.
    i = shares.index[0]
    assert parts.loc[i, "befolkning"] == pytest.approx(alloc[i] * 0.4 * shares.loc[i, "befolkning"] / key[i])
