"""Tests for bosetting_lib.model.reference_keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bosetting_lib.model.allocation import apportion
from bosetting_lib.errors import BosettingError
from bosetting_lib.model.reference_keys import (
    KEY_LABELS_NB,
    KeyUnavailableError,
    continuity_shares,
    danish_shares,
    nrw_shares,
    population_shares,
    reference_key_table,
    reference_shares,
    swedish_shares,
)

IDX = ["5001", "5006", "5007", "5014", "5020"]
POP = pd.Series([200_000.0, 24_000.0, 15_000.0, 5_000.0, 900.0], index=IDX)
AREA = pd.Series([500.0, 2_100.0, 2_100.0, 240.0, 390.0], index=IDX)


def test_population_shares():
    s = population_shares(POP)
    assert s.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(s.to_numpy(), (POP / POP.sum()).to_numpy())


def test_continuity_reproduces_last_year_when_the_total_is_unchanged():
    last = pd.Series([120, 40, 25, 10, 0], index=IDX)
    s = continuity_shares(last)
    assert s.sum() == pytest.approx(1.0)
    assert apportion(s, int(last.sum()), minimum=10).tolist() == last.tolist()
    # Scaled to a larger total the proportions are kept.
    assert apportion(s, 390, minimum=0).tolist() == [240, 80, 50, 20, 0]


def test_continuity_missing_municipality_is_a_reason_not_a_zero():
    last = pd.Series([120.0, 40.0, np.nan, 10.0, 0.0], index=IDX)
    with pytest.raises(KeyUnavailableError) as err:
        continuity_shares(last)
    assert "5007" in err.value.reason and "mangler" in err.value.reason


def test_swedish_key_weights_and_missing_labour_market():
    labour = POP * 0.5
    reception = POP * 0.01
    # Labour market and reception proportional to population: every component equals the population share.
    s = swedish_shares(labour, POP, reception)
    np.testing.assert_allclose(s.to_numpy(), population_shares(POP).to_numpy())
    with pytest.raises(KeyUnavailableError, match="Kommunetall for sysselsetting eller ledighet"):
        swedish_shares(None, POP, reception)
    with pytest.raises(KeyUnavailableError, match="Mottaket"):
        swedish_shares(labour, POP, None)


def test_swedish_reception_compensates():
    labour = POP * 0.5
    reception = POP * 0.01
    more = reception.copy()
    more["5006"] *= 3  # 5006 has received three times its share
    base = swedish_shares(labour, POP, reception)
    s = swedish_shares(labour, POP, more)
    assert s["5006"] < base["5006"]
    assert s.drop("5006").gt(base.drop("5006")).all()
    plain = swedish_shares(labour, POP, more, reception_compensates=False)
    assert plain["5006"] > base["5006"]
    assert s.sum() == pytest.approx(1.0) and plain.sum() == pytest.approx(1.0)


def test_swedish_formula_by_hand():
    labour = pd.Series([1.0, 1.0, 2.0, 0.0, 0.0], index=IDX)
    pop = pd.Series([1.0, 1.0, 1.0, 1.0, 0.0], index=IDX)
    rec = pd.Series([0.0, 0.0, 1.0, 1.0, 0.0], index=IDX)
    s = swedish_shares(labour, pop, rec).to_numpy()
    # lab (.25 .25 .5 0 0); pop (.25 .25 .25 .25 0);
    # rec: max(0, 2·pop − (0 0 .5 .5 0)) = (.5 .5 0 0 0), already summing to 1.
    expected = 0.43 * np.array([0.25, 0.25, 0.5, 0, 0]) + 0.37 * np.full(5, 0.25) * [1, 1, 1, 1, 0] + 0.2 * np.array(
        [0.5, 0.5, 0, 0, 0]
    )
    np.testing.assert_allclose(s, expected)


def test_nrw_area_uplift_is_capped_and_excess_redistributed():
    pop = pd.Series([1_000.0, 1_000.0, 98_000.0], index=["5001", "5006", "5007"])
    area = pd.Series([5_000.0, 10.0, 100.0], index=pop.index)
    s = nrw_shares(pop, area)
    p = pop / pop.sum()
    assert s.sum() == pytest.approx(1.0)
    assert (s <= 1.25 * p + 1e-15).all()
    # 5001 (large area, small population) would get 0.9·0.01 + 0.1·0.98 = 0.107 uncapped; capped at 0.0125.
    assert s["5001"] == pytest.approx(1.25 * p["5001"])
    # The other two keep the ratio of their uncapped key (proportional redistribution).
    raw = 0.9 * p + 0.1 * area / area.sum()
    assert s["5006"] / s["5007"] == pytest.approx(raw["5006"] / raw["5007"])


def test_nrw_without_binding_cap_is_the_plain_mix():
    s = nrw_shares(POP, POP / 10)  # area proportional to population: key equals population share
    np.testing.assert_allclose(s.to_numpy(), population_shares(POP).to_numpy())


def test_danish_negative_becomes_zero_and_renormalises():
    pop = pd.Series([50.0, 30.0, 20.0], index=["5001", "5006", "5007"])
    stock = pd.Series([10.0, 10.0, 80.0], index=pop.index)
    s = danish_shares(pop, stock)
    # 2·(.5 .3 .2) − (.1 .1 .8) = (.9 .5 −.4) -> (.9 .5 0) / 1.4
    np.testing.assert_allclose(s.to_numpy(), [0.9 / 1.4, 0.5 / 1.4, 0.0])
    with pytest.raises(KeyUnavailableError, match="innvandrere"):
        danish_shares(pop, None)


def test_reference_table_lists_available_keys_and_reasons():
    table, left_out = reference_key_table(300, POP, area=AREA)
    assert table.columns.tolist() == ["population", "nrw"]
    assert (table.sum() == 300).all()
    assert (table.dtypes == "int64").all()
    assert set(left_out) == {"continuity", "sweden", "denmark"}
    assert all(isinstance(r, str) and "mangler" in r for r in left_out.values())


def test_reference_table_with_all_inputs():
    last = pd.Series([150, 30, 20, 0, 0], index=IDX)
    table, left_out = reference_key_table(
        260,
        POP,
        last_year=last,
        labour_market=POP * 0.6,
        reception=pd.Series([300.0, 80.0, 10.0, 5.0, 0.0], index=IDX),
        area=AREA,
        immigrant_stock=POP * pd.Series([0.2, 0.05, 0.1, 0.02, 0.0], index=IDX),
        minimum=10,
    )
    assert left_out == {}
    assert table.columns.tolist() == list(KEY_LABELS_NB)
    assert (table.sum() == 260).all()
    assert ((table == 0) | (table >= 10)).all().all()


def test_reference_shares_sum_to_one():
    stock = pd.Series([9_000.0, 800.0, 700.0, 100.0, 10.0], index=IDX)
    shares, left_out = reference_shares(POP, area=AREA, immigrant_stock=stock)
    assert shares.columns.tolist() == ["population", "nrw", "denmark"]
    np.testing.assert_allclose(shares.sum().to_numpy(), 1.0)
    assert (shares >= 0).all().all()


def test_unavailable_error_is_a_bosetting_error_and_bad_values_are_value_errors():
    assert issubclass(KeyUnavailableError, BosettingError)
    with pytest.raises(ValueError):
        population_shares(pd.Series([1.0, -2.0], index=["5001", "5006"]))
    with pytest.raises(ValueError, match="not among"):
        nrw_shares(POP, pd.Series({"9999": 1.0}))
