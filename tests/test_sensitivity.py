"""Tests for bosetting_lib.model.sensitivity: the anchor model's settings drawn around the chosen ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bosetting_lib.model.allocation import apportion
from bosetting_lib.model.anchor import DEFAULT_SETTINGS, anchor_recommendation
from bosetting_lib.model.sensitivity import _ranks, anchor_sensitivity, anchor_weight_matrix, draw_anchor_settings

COLUMNS = ["base", "p10", "p50", "p90", "min", "max", "zero_share", "base_rank", "rank_p10", "rank_p90",
           "same_rank_share"]


def make_county(k: int = 30, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic county (not real figures): requests and decisions for three years, one criterion column."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"{5001 + i:04d}" for i in range(k)], name="kommunenummer")
    size = rng.lognormal(3.0, 0.8, k)
    history = pd.DataFrame({f"{kind}_{year}": np.round(size * rng.uniform(0.7, 1.3, k))
                            for year in (2022, 2024, 2025) for kind in ("anmodet", "vedtatt")}, index=index)
    criteria = pd.DataFrame({"bosatte_per_1000_sist": rng.uniform(0, 20, k)}, index=index)
    return history, criteria


@pytest.fixture(scope="module")
def county():
    history, criteria = make_county()
    table = anchor_recommendation(history, 600, DEFAULT_SETTINGS, criteria=criteria)
    return history, criteria, table


def test_same_seed_same_result_and_the_columns_in_order(county):
    history, criteria, table = county
    a = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=500, seed=123)
    b = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=500, seed=123)
    c = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=500, seed=124)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a.columns.tolist() == COLUMNS
    assert a.index.tolist() == history.index.tolist()


def test_the_base_is_the_recommendation_and_the_percentiles_are_ordered(county):
    history, criteria, table = county
    res = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=2000, seed=1)
    assert res["base"].tolist() == table["anbefaling"].tolist()
    assert (res["min"] <= res["p10"]).all() and (res["p10"] <= res["p50"]).all()
    assert (res["p50"] <= res["p90"]).all() and (res["p90"] <= res["max"]).all()
    assert (res["rank_p10"] <= res["rank_p90"]).all()
    assert res["zero_share"].between(0, 1).all() and res["same_rank_share"].between(0, 1).all()
    assert (res["max"] - res["min"]).max() > 0  # the settings move some number
    minimum = DEFAULT_SETTINGS.minimum
    assert ((res["min"] == 0) | (res["min"] >= minimum)).all()


def test_no_spread_reproduces_the_base(county):
    history, criteria, table = county
    res = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=50, spread=0.0, seed=2)
    assert (res["p10"] == res["base"]).all() and (res["p90"] == res["base"]).all()
    assert (res["same_rank_share"] == 1.0).all()


def test_every_draw_is_apportioned_by_the_recommendations_rule(county):
    """Row r of the draws equals apportion() of row r of the model's weights, caps and exceptions included."""
    history, criteria, table = county
    codes = history.index
    caps = pd.Series({codes[0]: 40, codes[1]: 0, codes[2]: 12})
    fixed = {codes[3]: 7}
    draws = draw_anchor_settings(DEFAULT_SETTINGS, 30, 0.5, seed=9)
    weights = anchor_weight_matrix(history, table, criteria, DEFAULT_SETTINGS, draws)
    res = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, 600, n_draws=30, seed=9, caps=caps,
                             fixed=fixed)
    rest = codes.drop(list(fixed))
    per_draw = [apportion(pd.Series(w, index=codes).reindex(rest), 600 - 7, minimum=DEFAULT_SETTINGS.minimum,
                          maximum=caps.reindex(rest), method=DEFAULT_SETTINGS.method) for w in weights]
    stacked = pd.DataFrame(per_draw)
    assert res.loc[rest, "min"].tolist() == stacked.min().tolist()
    assert res.loc[rest, "max"].tolist() == stacked.max().tolist()
    assert res.loc[codes[3], "min"] == res.loc[codes[3], "max"] == 7  # an exception keeps its number
    assert res.loc[codes[1], "max"] == 0 and res.loc[codes[0], "max"] <= 40  # caps bind in every draw


@pytest.mark.parametrize("n_draws, spread", [(0, 0.5), (True, 0.5), (10, -0.1), (10, 1.5)])
def test_bad_draw_settings_are_refused(n_draws, spread):
    with pytest.raises(ValueError):
        draw_anchor_settings(DEFAULT_SETTINGS, n_draws, spread)


def test_ranks_competition_style():
    assert _ranks(np.array([[5, 3, 5, 0, 7]])).tolist() == [[2, 4, 2, 5, 1]]
    assert _ranks(np.array([[1, 1], [0, 2]])).tolist() == [[1, 1], [2, 1]]
