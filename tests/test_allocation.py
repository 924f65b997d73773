"""Tests for bosetting_lib.model.allocation: textbook agreement, hand examples, bounds, properties, minors."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import apportionment.methods as app
from bosetting_lib.outputs.method_text import method_text_nb
from bosetting_lib.model.allocation import (
    METHODS,
    apportion,
    apportion_detailed,
    apportion_matrix,
    apportion_minors,
)
from bosetting_lib.errors import AllocationError

NBSP = "\u00a0"
REFERENCE_NAME = {"sainte-lague": "saintelague", "dhondt": "dhondt", "largest-remainder": "largest_remainder"}
# More examples for a deeper local run: BOSETTING_EXAMPLES=2000 pytest tests/test_allocation.py
EXAMPLES = int(os.environ.get("BOSETTING_EXAMPLES", "120"))
PROPS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def codes(n: int) -> list[str]:
    """n distinct four-digit municipality codes."""
    return [f"{5001 + i:04d}" for i in range(n)]


def series(values, index=None) -> pd.Series:
    """Float weights on municipality codes."""
    values = list(values)
    return pd.Series(values, index=index or codes(len(values)), dtype=float)


# ---------------------------------------------------------------------------------------------------------------
# Independent reference implementations of the documented bounded rule (slow, straightforward)
# ---------------------------------------------------------------------------------------------------------------


def naive_priority_list(base, total, m, cap, exc, single, block, weight):
    """Hand out items one by one in priority order (ties: larger weight, then earlier), with blocks and caps."""
    k = len(base)
    n = [0] * k
    blk = [(not exc[i]) and m > 1 for i in range(k)]
    elig = [weight[i] > 0 and cap[i] > 0 and not (blk[i] and cap[i] < m) for i in range(k)]
    rest, skipped = total, []

    def next_item(i):
        if not elig[i] or i in skipped:
            return None
        if blk[i] and n[i] == 0:
            return block(base[i]), m
        if n[i] + 1 > cap[i]:
            return None
        return single(base[i], n[i] + 1), 1

    while rest > 0:
        best = None
        for i in range(k):
            item = next_item(i)
            if item is not None and (best is None or (item[0], weight[i], -i) > best[0]):
                best = ((item[0], weight[i], -i), i, item)
        if best is None:
            break
        _, i, (_, size) = best
        if size > rest:
            skipped.append(i)
            continue
        n[i] += size
        rest -= size
    if rest > 0 and skipped:
        # Fallback: the first skipped block after all; take back the single items handed out last.
        b = skipped[0]
        n[b] = m
        for _ in range(m - rest):
            removable = [i for i in range(k) if i != b and (n[i] - (m if blk[i] else 0)) >= 1]
            if not removable:
                return None
            low = min(removable, key=lambda i: (single(base[i], n[i]), weight[i], -i))
            n[low] -= 1
        rest = 0
    return n if rest == 0 else None


def naive_divisor(w, total, m, cap, exc, method):
    """The bounded divisor method, one item at a time."""
    if method == "sainte-lague":
        single = lambda b, s: b / (2 * s - 1)  # noqa: E731
    else:
        single = lambda b, s: b / s  # noqa: E731
    return naive_priority_list(list(w), total, m, cap, exc, single, lambda b: b / m, list(w))


def naive_largest_remainder(w, total, m, cap, exc):
    """Bounded largest remainder in rounds, with the same float operations as the library."""
    w = np.asarray(w, dtype=float)
    k = len(w)
    blk = np.array([(not exc[i]) and m > 1 for i in range(k)])
    cap = np.asarray(cap)
    active = (w > 0) & (cap > 0) & ~(blk & (cap < m))
    fixed = np.zeros(k, dtype=int)
    rest = total
    order = np.argsort(-w, kind="stable")
    first = True
    while True:
        wa = np.where(active, w, 0.0)
        w_sum = wa[None, :].sum(axis=1)[0] if first else wa[order][None, :].sum(axis=1)[0]
        first = False
        q = [float(wa[i] * float(rest) / w_sum) if active[i] else 0.0 for i in range(k)]
        free_caps = [BIG if active[i] else 0 for i in range(k)]
        n = naive_priority_list(
            q, rest, m, free_caps, list(exc), lambda b, s: b - (s - 1), lambda b: b - (m - 1) / 2, list(wa)
        )
        if n is None:
            return None
        over = [i for i in range(k) if active[i] and n[i] > cap[i]]
        if over:
            for i in over:
                fixed[i] = cap[i]
                rest -= cap[i]
                active[i] = False
            continue
        dropped = [i for i in range(k) if active[i] and blk[i] and n[i] == 0]
        if dropped:
            for i in dropped:
                active[i] = False
            continue
        return list(fixed + np.array(n))


def feasible(w, total, m, cap, exc) -> bool:
    """Exact check: some choice of municipalities at 0 or in [m, cap] (or [0, cap] if excepted) sums to total."""
    if total == 0:
        return True
    blk = [(not exc[i]) and m > 1 for i in range(len(w))]
    elig = [w[i] > 0 and cap[i] > 0 and not (blk[i] and cap[i] < m) for i in range(len(w))]
    big = sorted((cap[i] for i in range(len(w)) if elig[i] and blk[i]), reverse=True)
    small = sum(cap[i] for i in range(len(w)) if elig[i] and not blk[i])
    k = min(len(big), total // m) if m > 1 else len(big)
    return sum(big[:k]) + small >= total


# ---------------------------------------------------------------------------------------------------------------
# Agreement with the published implementation (unbounded)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_unbounded_equals_apportionment_package(method):
    rng = np.random.default_rng(2026)
    for _ in range(250):
        k = int(rng.integers(1, 90))
        total = int(rng.integers(1, 3000))
        # Continuous weights are distinct with probability 1, so the package's list-order tie rule never matters.
        w = rng.lognormal(0.0, 1.5, k) * 1000
        idx = codes(k)
        ours = apportion(series(w, idx), total, minimum=0, method=method).to_numpy()
        ref = app.compute(REFERENCE_NAME[method], list(w), total, parties=idx, verbose=False)
        assert ours.tolist() == list(ref), (method, k, total)


@pytest.mark.parametrize("method", METHODS)
def test_unbounded_equals_package_on_integer_votes(method):
    rng = np.random.default_rng(7)
    for _ in range(100):
        k = int(rng.integers(2, 40))
        total = int(rng.integers(1, 800))
        w = rng.choice(np.arange(100, 200_000), size=k, replace=False).astype(float)  # distinct counts
        idx = codes(k)
        ours = apportion(series(w, idx), total, minimum=0, method=method).to_numpy()
        ref = app.compute(REFERENCE_NAME[method], list(w), total, parties=idx, verbose=False)
        assert ours.tolist() == list(ref)


# ---------------------------------------------------------------------------------------------------------------
# Hand-computed examples
# ---------------------------------------------------------------------------------------------------------------


def test_classic_sainte_lague_vs_dhondt_vs_largest_remainder():
    # Votes 10 000 / 8 000 / 3 000 / 2 100, 8 seats.
    # D'Hondt quotients (÷1,2,3,4): 10000 8000 5000 4000 3333 3000 2667 2500 | next 2100 -> 4, 3, 1, 0.
    # Sainte-Laguë (÷1,3,5,7): 10000 8000 3333 3000 2667 2100 2000 1600 | next 1429 -> 3, 3, 1, 1.
    # Largest remainder: quotas 3.46 2.77 1.04 0.73; floors 3 2 1 0; remainders to B and D -> 3, 3, 1, 1.
    w = series([10_000, 8_000, 3_000, 2_100])
    assert apportion(w, 8, minimum=0, method="dhondt").tolist() == [4, 3, 1, 0]
    assert apportion(w, 8, minimum=0, method="sainte-lague").tolist() == [3, 3, 1, 1]
    assert apportion(w, 8, minimum=0, method="largest-remainder").tolist() == [3, 3, 1, 1]


def test_minimum_rounds_to_nearest_allowed_number_with_sainte_lague():
    # Weights 60/30/10, total 20, minimum 10: quotas 12, 6, 2.  Blocks have priority w/10 = 6, 3, 1; A's 11th
    # person has 60/21 = 2.86 < 3, so B's block (quota 6 >= 5) comes before it: 10, 10, 0.
    w = series([60, 30, 10])
    assert apportion(w, 20, minimum=10).tolist() == [10, 10, 0]


def test_minimum_with_dhondt_needs_the_whole_minimum():
    # Same input with D'Hondt: A's 11th person has 60/11 = 5.45 > B's block 3, so A takes it; then 9 are
    # left, B's block does not fit and is skipped, and A takes the rest: 20, 0, 0.
    w = series([60, 30, 10])
    assert apportion(w, 20, minimum=10, method="dhondt").tolist() == [20, 0, 0]


def test_cap_is_fixed_and_the_rest_reapportioned():
    # Quotas 24, 12, 4 with A capped at 15: the other 25 by Sainte-Laguë on 30:10 -> 18.75, 6.25 -> 19, 6.
    w = series([60, 30, 10])
    cap = pd.Series({"5001": 15})
    assert apportion(w, 40, minimum=0, maximum=cap).tolist() == [15, 19, 6]


def test_exception_may_get_fewer_than_minimum():
    # C is excepted: its first person has priority 10/1 = 10 (before A's block at 6), then A's block (R = 9),
    # B's block does not fit (skipped), and the singles go A 2.86, C 3.33 ... by priority: A 17, B 0, C 3.
    w = series([60, 30, 10])
    got = apportion(w, 20, minimum=10, exceptions=["5003"])
    assert got.tolist() == [17, 0, 3]


def test_declined_and_zero_weight_get_zero_and_are_listed():
    w = series([50, 30, 0, 20])
    cap = pd.Series({"5002": 0})
    result = apportion_detailed(w, 40, minimum=10, maximum=cap)
    assert result.allocation.tolist() == [29, 0, 0, 11]
    status = result.table["status"]
    assert status["5002"].startswith("takket nei")
    assert status["5003"] == "vekt 0"
    assert result.table["quota"].sum() == pytest.approx(40)


def test_fallback_gives_skipped_block_and_takes_back_last_singles():
    # Caps 12, 12, 12; weights 10, 10, 1; total 30; minimum 10.  A and B take their blocks and fill to 12 each,
    # C's block (10) does not fit the last 6 and nobody else can take more: the fallback gives C its block and
    # takes 4 back from A and B's last single persons -> 10, 10, 10.
    w = series([10, 10, 1])
    cap = pd.Series({"5001": 12, "5002": 12, "5003": 12})
    assert apportion(w, 30, minimum=10, maximum=cap).tolist() == [10, 10, 10]


def test_order_of_index_is_kept_and_dtype_is_int64():
    idx = ["5035", "5001", "0301", "5006"]
    w = pd.Series([3.0, 10.0, 7.0, 1.0], index=idx)
    got = apportion(w, 100, minimum=10)
    assert got.index.tolist() == idx
    assert got.dtype == np.int64
    assert got.sum() == 100


def test_total_zero_gives_all_zero():
    assert apportion(series([1, 2, 3]), 0).tolist() == [0, 0, 0]


def test_ties_go_to_larger_weight_then_first_in_order():
    # Equal weights: the single remaining person goes to the first in the input order.
    assert apportion(series([5, 5, 5]), 4, minimum=0).tolist() == [2, 1, 1]
    assert apportion(series([5, 5, 5], ["5003", "5002", "5001"]), 4, minimum=0).tolist() == [2, 1, 1]
    # 3/(2·1+1) == 1/1 under Sainte-Laguë: the second person goes to the larger weight.
    assert apportion(series([1, 3]), 2, minimum=0).tolist() == [0, 2]


# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------


def test_caps_below_total_states_the_shortfall():
    w = series([5, 4, 3])
    cap = pd.Series({"5001": 600, "5002": 400, "5003": 200})
    with pytest.raises(AllocationError) as err:
        apportion(w, 1583, minimum=10, maximum=cap)
    msg = str(err.value)
    assert f"1{NBSP}200" in msg and f"1{NBSP}583" in msg and "mangler 383 plasser" in msg


def test_total_below_minimum_without_exceptions():
    with pytest.raises(AllocationError, match="lavere enn minstetallet"):
        apportion(series([1, 2]), 5, minimum=10)
    # With an exception the same total is possible.
    assert apportion(series([1, 2]), 5, minimum=10, exceptions=["5001"]).tolist() == [5, 0]


def test_minimum_leaves_too_few_municipalities():
    # Total 25, minimum 10: at most 2 municipalities can get anyone, caps 12 each -> 24 < 25, short by 1.
    w = series([1, 1, 1])
    cap = pd.Series({c: 12 for c in codes(3)})
    with pytest.raises(AllocationError, match="mangler 1 plass[.]"):
        apportion(w, 25, minimum=10, maximum=cap)


def test_cap_below_minimum_without_exception_counts_as_none():
    w = series([1, 1])
    cap = pd.Series({"5001": 5, "5002": 20})
    with pytest.raises(AllocationError, match="kapasitet under minstetallet"):
        apportion(w, 22, minimum=10, maximum=cap)
    assert apportion(w, 22, minimum=10, maximum=cap, exceptions=["5001"]).tolist() == [5, 17]


def test_all_zero_weights_with_positive_total():
    with pytest.raises(AllocationError, match="vekt 0"):
        apportion(series([0, 0]), 3)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"weights": series([1, -1]), "total": 3}, "non-negative"),
        ({"weights": series([1, np.nan]), "total": 3}, "NaN"),
        ({"weights": series([1, 2]), "total": -1}, "total"),
        ({"weights": series([1, 2]), "total": 2.5}, "total"),
        ({"weights": series([1, 2]), "total": 3, "method": "modified"}, "Unknown apportionment method"),
        ({"weights": series([1, 2]), "total": 3, "maximum": pd.Series({"9999": 3})}, "not in weights"),
        ({"weights": series([1, 2]), "total": 3, "maximum": pd.Series({"5001": -2})}, "non-negative"),
        ({"weights": series([1, 2]), "total": 3, "exceptions": ["9999"]}, "not in weights"),
        ({"weights": series([1, 2]), "total": 3, "exceptions": "5001"}, "single string"),
        ({"weights": pd.Series([1.0, 2.0], index=[301, 5001]), "total": 3}, "four-digit"),
        ({"weights": pd.Series([1.0, 2.0], index=["5001", "5001"]), "total": 3}, "duplicate"),
    ],
)
def test_programming_errors_raise_value_error(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        apportion(**kwargs)


def test_method_aliases():
    w = series([10_000, 8_000, 3_000, 2_100])
    assert apportion(w, 8, minimum=0, method="Webster").tolist() == apportion(w, 8, minimum=0).tolist()
    assert apportion(w, 8, minimum=0, method="jefferson").tolist() == [4, 3, 1, 0]


# ---------------------------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------------------------


@st.composite
def problems(draw, max_k: int = 14, max_total: int = 220):
    """A random bounded problem: weights (some zero, some equal), total, minimum, caps, exceptions."""
    k = draw(st.integers(1, max_k))
    pool = draw(st.lists(st.floats(0.001, 1000, allow_nan=False), min_size=1, max_size=4))
    w = [draw(st.one_of(st.sampled_from(pool), st.floats(0.001, 1000), st.just(0.0))) for _ in range(k)]
    total = draw(st.integers(0, max_total))
    m = draw(st.sampled_from([0, 1, 3, 5, 10]))
    cap = [draw(st.one_of(st.none(), st.integers(0, 60))) for _ in range(k)]
    exc = [draw(st.booleans()) and draw(st.booleans()) for _ in range(k)]
    return w, total, m, cap, exc


BIG = 10**9


def run(w, total, m, cap, exc, method):
    idx = codes(len(w))
    maximum = pd.Series([np.nan if c is None else c for c in cap], index=idx, dtype=float)
    exceptions = [c for c, e in zip(idx, exc) if e]
    return apportion(series(w, idx), total, minimum=m, maximum=maximum, method=method, exceptions=exceptions)


@PROPS
@given(problems(), st.sampled_from(METHODS))
def test_sum_is_exact_and_bounds_hold(problem, method):
    w, total, m, cap, exc = problem
    capn = [BIG if c is None else c for c in cap]
    try:
        got = run(w, total, m, cap, exc, method).to_numpy()
    except AllocationError as err:
        # Either truly impossible, or (rarely) the rule's fallback could not place everyone: it must say which.
        assert not feasible(w, total, m, capn, exc) or "lar seg ikke forene" in str(err)
        return
    assert feasible(w, total, m, capn, exc)
    assert got.sum() == total
    for i in range(len(w)):
        assert 0 <= got[i] <= capn[i]
        assert got[i] == 0 or got[i] >= m or exc[i]
        if w[i] == 0 or capn[i] == 0:
            assert got[i] == 0


@PROPS
@given(problems(), st.sampled_from(["sainte-lague", "dhondt"]))
def test_divisor_methods_match_one_at_a_time_reference(problem, method):
    w, total, m, cap, exc = problem
    capn = [BIG if c is None else c for c in cap]
    expected = naive_divisor(w, total, m, capn, exc, method)
    try:
        got = run(w, total, m, cap, exc, method).tolist()
    except AllocationError:
        assert expected is None or not feasible(w, total, m, capn, exc)
        return
    assert got == expected


@PROPS
@given(problems())
def test_largest_remainder_matches_round_based_reference(problem):
    w, total, m, cap, exc = problem
    capn = [BIG if c is None else c for c in cap]
    try:
        got = run(w, total, m, cap, exc, "largest-remainder").tolist()
    except AllocationError:
        assume(False)
    assert got == naive_largest_remainder(w, total, m, capn, exc)


@PROPS
@given(problems(), st.sampled_from(METHODS))
def test_bounded_equals_unbounded_when_no_bound_binds(problem, method):
    w, total, m, cap, exc = problem
    capn = np.array([BIG if c is None else c for c in cap])
    assume(sum(w) > 0)
    free = apportion(series(w), total, minimum=0, method=method).to_numpy()
    assume(((free == 0) | (free >= m) | np.array(exc)).all() and (free <= capn).all())
    assume(not ((capn == 0) & (np.array(w) > 0)).any())
    # Caps that do not bind and a minimum already met leave the textbook result untouched.
    assert run(w, total, m, cap, exc, method).tolist() == free.tolist()


@PROPS
@given(st.integers(1, 12), st.floats(0.01, 100), st.lists(st.floats(0.01, 100), max_size=8), st.integers(0, 300),
       st.sampled_from([0, 10]), st.sampled_from(METHODS))
def test_equal_weights_get_equal_or_adjacent_numbers(copies, value, others, total, m, method):
    w = [value] * copies + others
    total += m  # a total below the minimum is impossible without exceptions
    got = apportion(series(w), total, minimum=m, method=method).to_numpy()[:copies]
    if m == 0:
        assert got.max() - got.min() <= 1
    else:
        # With a minimum, a tie at the last block can leave one of them at 0 while the other has its block.
        positive = got[got > 0]
        assert positive.size == 0 or positive.max() - positive.min() <= 1
    assert (np.diff(got) <= 0).all()  # the earlier one in the list wins ties


@PROPS
@given(st.lists(st.floats(0.01, 1000), min_size=1, max_size=20), st.integers(0, 400),
       st.sampled_from(["sainte-lague", "dhondt"]), st.lists(st.integers(0, 80), max_size=20))
def test_house_monotone_for_divisor_methods(w, total, method, caps):
    # Without a minimum (caps allowed) a larger total never lowers anyone.
    idx = codes(len(w))
    cap = pd.Series(caps[: len(w)], index=idx[: len(caps[: len(w)])], dtype=float) if caps else None
    s = series(w, idx)
    try:
        a = apportion(s, total, minimum=0, maximum=cap, method=method)
        b = apportion(s, total + 1, minimum=0, maximum=cap, method=method)
    except AllocationError:
        assume(False)
    assert (b >= a).all()
    assert b.sum() == a.sum() + 1


@PROPS
@given(st.lists(st.floats(0.01, 1000), min_size=1, max_size=20), st.integers(10, 400),
       st.sampled_from(["sainte-lague", "dhondt"]), st.sampled_from([3, 10]))
def test_with_a_minimum_only_a_block_jump_lowers_others(w, total, method, m):
    # Documented: total + 1 lowers nobody, except when one municipality jumps from 0 to its block of m; then the
    # others give up exactly m - 1 between them.
    s = series(w)
    a = apportion(s, total, minimum=m, method=method).to_numpy()
    b = apportion(s, total + 1, minimum=m, method=method).to_numpy()
    if (b >= a).all():
        assert b.sum() - a.sum() == 1
        return
    jumped = np.flatnonzero((a == 0) & (b > 0))
    assert jumped.size == 1 and b[jumped[0]] == m
    others = np.delete(np.arange(len(w)), jumped)
    assert (a[others] - b[others]).clip(min=0).sum() == m - 1


@PROPS
@given(st.lists(st.floats(0.01, 1000), min_size=2, max_size=12), st.integers(1, 500))
def test_impossible_caps_state_the_shortfall(w, total):
    idx = codes(len(w))
    caps = pd.Series([max(total // len(w) - 1, 0)] * len(w), index=idx)
    assume(caps.sum() < total)
    with pytest.raises(AllocationError) as err:
        apportion(series(w, idx), total, minimum=0, maximum=caps)
    short = total - int(caps.sum())
    expected = "1 plass." if short == 1 else f"{short:,} plasser".replace(",", NBSP)
    assert f"mangler {expected}" in str(err.value)


@settings(max_examples=40, deadline=None)
@given(problems(max_k=10), st.integers(2, 6), st.sampled_from(METHODS), st.data())
def test_matrix_rows_equal_apportion(problem, rows, method, data):
    w, total, m, cap, exc = problem
    k = len(w)
    matrix = np.array([[data.draw(st.floats(0.0, 100)) for _ in range(k)] for _ in range(rows)])
    caps = np.array([-1 if c is None else c for c in cap])
    try:
        got = apportion_matrix(matrix, total, minimum=m, caps=caps, excepted=np.array(exc), method=method)
    except AllocationError:
        assume(False)
    for r in range(rows):
        assert got[r].tolist() == run(list(matrix[r]), total, m, cap, exc, method).tolist()


# ---------------------------------------------------------------------------------------------------------------
# Unaccompanied minors
# ---------------------------------------------------------------------------------------------------------------


@PROPS
@given(st.data())
def test_minors_within_capacity_and_allocation_and_only_able(data):
    k = data.draw(st.integers(1, 12))
    idx = codes(k)
    alloc = pd.Series(data.draw(st.lists(st.integers(0, 60), min_size=k, max_size=k)), index=idx)
    able = pd.Series(data.draw(st.lists(st.booleans(), min_size=k, max_size=k)), index=idx)
    stated = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=k, max_size=k))
    cap = pd.Series([np.nan if c is None else c for c in stated], index=idx, dtype=float)
    total = data.draw(st.integers(0, 80))
    room = np.minimum(alloc, cap.fillna(np.inf)).where(able, 0).sum()
    if total > room:
        with pytest.raises(AllocationError, match="enslige mindreårige"):
            apportion_minors(total, alloc, able, capacity=cap)
        return
    got = apportion_minors(total, alloc, able, capacity=cap)
    assert got.sum() == total
    assert (got <= alloc).all()
    assert (got[cap.notna()] <= cap[cap.notna()]).all()
    assert (got[~able] == 0).all()
    assert got.index.tolist() == idx


def test_minors_proportional_to_allocation_by_default():
    alloc = pd.Series({"5001": 100, "5006": 50, "5007": 30, "5014": 20})
    able = pd.Series({"5001": True, "5006": True, "5007": False, "5014": True})
    got = apportion_minors(17, alloc, able)
    # Sainte-Laguë on 100:50:20 for 17 -> quotas 10, 5, 2 exactly.
    assert got.tolist() == [10, 5, 0, 2]


def test_minors_shortfall_is_stated():
    alloc = pd.Series({"5001": 100, "5006": 50})
    able = pd.Series({"5001": True, "5006": False})
    cap = pd.Series({"5001": 12.0})
    with pytest.raises(AllocationError, match="mangler 8 plasser"):
        apportion_minors(20, alloc, able, capacity=cap)


def test_minors_missing_from_able_count_as_not_able():
    alloc = pd.Series({"5001": 100, "5006": 50})
    got = apportion_minors(6, alloc, pd.Series({"5006": True}))
    assert got.tolist() == [0, 6]


# ---------------------------------------------------------------------------------------------------------------
# The method text
# ---------------------------------------------------------------------------------------------------------------


def test_method_text_is_norwegian_and_follows_parameters():
    assert "Sainte-Laguë" in method_text_nb() and "10" in method_text_nb() and "kapasitet" in method_text_nb()
    assert "\n" not in method_text_nb()  # one paragraph
    assert "minst 7,5" in method_text_nb("sainte-lague", 15) and "7.5" not in method_text_nb("sainte-lague", 15)
    assert "d'Hondt" in method_text_nb("dhondt", 10)
    assert "minstetallet" not in method_text_nb("sainte-lague", 0)
