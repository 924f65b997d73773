"""Rounding a key to whole numbers: bounded Sainte-Laguë, D'Hondt and largest remainder.

The public entry points are :func:`apportion` (one allocation), :func:`apportion_detailed` (the allocation with a
per-municipality status table for the report), :func:`apportion_minors` (the unaccompanied-minors share inside
each municipality's allocation) and :func:`apportion_matrix` (many weight vectors at once, used by the
sensitivity analysis; row for row identical to :func:`apportion`).

The bounded rule
----------------
All three methods are run as a *priority list*: every municipality has a sequence of "items" (one person each),
each with a priority value, and items are handed out in decreasing priority until the total is reached.

* Sainte-Laguë (Webster): the s-th person of municipality i has priority ``w_i / (2s - 1)`` (divisors 1, 3, 5, …).
* D'Hondt (Jefferson): ``w_i / s`` (divisors 1, 2, 3, …).
* Largest remainder (Hamilton): ``q_i - (s - 1)`` where ``q_i = w_i * T / sum(w)`` is the quota; handing these
  out in order gives every municipality ``floor(q_i)`` and the leftover to the largest remainders.

Without bounds this *is* the textbook method (the divisor methods are usually described with a common divisor;
handing out by priority gives the same result and is house-monotone).  The bounds change the list as follows:

* **Minimum** ``m`` (every figure is 0 or at least ``m``): the first ``m`` persons of a municipality that is not
  excepted come as one *block* of ``m``, and the block's priority is that of an "average" person of the block:
  ``w_i / m`` for Sainte-Laguë (m is the mean of the divisors 1, 3, …, 2m-1), ``w_i / m`` for D'Hondt (the m-th
  divisor, so the municipality must earn all of its first m persons) and ``q_i - (m - 1)/2`` for largest
  remainder.  For Sainte-Laguë this means: a municipality whose proportional figure is at least m/2 is rounded up
  to m, one below m/2 is rounded down to 0 (rounding to the nearest allowed number, Sainte-Laguë's own principle).
  When a block comes up but fewer than ``m`` persons are left, the block is skipped and that municipality gets 0;
  the remaining persons go to the next single items in priority order.
* **Caps**: a municipality's items stop at its cap (a cap of 0, or a cap below ``m`` without an exception, means
  it gets 0 and is listed as such).  For the divisor methods this is exactly "fix at the cap and re-run the method
  on the others"; for largest remainder the quotas are recomputed on the others (see below).
* **Fallback**: if, after a skipped block, persons are left over but everyone who has persons is at their cap,
  the first skipped municipality gets its block after all and the surplus is taken back from the single items
  handed out last (lowest priority first).  If that is not possible an :class:`AllocationError` is raised.
* **Largest remainder** has no fixed priorities (the quota depends on who takes part), so it is run in rounds:
  the list is run on the quotas without caps; if anyone ends above its cap, those are fixed at their cap,
  otherwise the municipalities that ended at 0 below the minimum are taken out; the quotas are recomputed on the
  rest and the list is run again until nothing changes.  A municipality that has been taken out stays out.
* **Ties** (equal priority values) go to the municipality with the larger weight, then to the one that comes
  first in the input order.

Properties: the sum is always exact; every figure is 0 or within [m, cap] (or [0, cap] for exceptions); when the
unbounded result already satisfies the bounds the bounded result equals it (checked first, so bounds act only where
they bind); for the divisor methods a larger
total never lowers anyone except when a municipality jumps from 0 to its block (then at most m - 1 persons move).

Before the list is run the total is checked against what the bounds allow, and an :class:`AllocationError`
(Norwegian message with the shortfall) is raised when it is impossible: the caps sum to less than the total, or
the minimum leaves too few municipalities to place it (e.g. total 5 with minimum 10 and no exceptions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bosetting_lib.errors import AllocationError
from bosetting_lib.formatting import format_count, format_int

__all__ = [
    "METHODS",
    "Apportionment",
    "apportion",
    "apportion_detailed",
    "apportion_matrix",
    "apportion_minors",
    "feasibility_message",
    "normalise_method",
]

METHODS: tuple[str, ...] = ("sainte-lague", "dhondt", "largest-remainder")

_ALIASES = {
    "sainte-lague": "sainte-lague",
    "sainte-laguë": "sainte-lague",
    "saintelague": "sainte-lague",
    "webster": "sainte-lague",
    "dhondt": "dhondt",
    "d'hondt": "dhondt",
    "d-hondt": "dhondt",
    "jefferson": "dhondt",
    "largest-remainder": "largest-remainder",
    "largest_remainder": "largest-remainder",
    "hamilton": "largest-remainder",
}

# Sentinel for "no cap": large enough never to bind, small enough that n + m cannot overflow int64.
_NO_CAP = np.int64(2**60)
_CODE = re.compile(r"^\d{4}$")


def normalise_method(method: str) -> str:
    """Return the canonical method name ("sainte-lague", "dhondt", "largest-remainder") or raise ValueError."""
    key = str(method).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"Unknown apportionment method {method!r}; use one of {', '.join(METHODS)}.")
    return _ALIASES[key]


def _places(n: float | int) -> str:
    """'1 plass' / '383 plasser' / '1 200 plasser'."""
    return format_count(n, "plass", "plasser")


def _fmt(n: float | int) -> str:
    """A whole number the Norwegian way; no cap reads 'ubegrenset'."""
    return "ubegrenset" if n == float("inf") else format_int(n)


# ---------------------------------------------------------------------------------------------------------------
# The priority-list engine, vectorised over rows (one row = one weight vector)
# ---------------------------------------------------------------------------------------------------------------


class _Lists:
    """Priority values of every municipality's items for one method; arrays are (rows, municipalities)."""

    def __init__(self, method: str, base: np.ndarray, cap: np.ndarray, blk: np.ndarray, m: int):
        self.method = method
        self.base = base  # weights (divisor methods) or quotas (largest remainder)
        self.cap = cap  # float64 whole numbers; 0 = takes nobody
        self.blk = blk  # first m persons come as one block
        self.m = m

    def subset(self, rows: np.ndarray) -> _Lists:
        """Return the lists of some rows."""
        if rows.size == self.base.shape[0] and (rows == np.arange(rows.size)).all():
            return self
        return _Lists(self.method, self.base[rows], self.cap[rows], self.blk[rows], self.m)

    def single(self, s: np.ndarray) -> np.ndarray:
        """Priority of the s-th person (s >= 1) as a single item."""
        if self.method == "sainte-lague":
            # Same float operation as the textbook/reference implementation: weight / odd divisor.
            return self.base / (2 * s - 1)
        if self.method == "dhondt":
            return self.base / s
        return self.base - (s - 1)

    def block(self) -> np.ndarray:
        """Priority of the block of the first m persons."""
        if self.m == 0:
            return np.full(self.base.shape, -np.inf)  # no blocks without a minimum
        if self.method == "largest-remainder":
            return self.base - (self.m - 1) / 2
        return self.base / self.m

    def next_item(self, n: np.ndarray, blocks: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Value and size of each municipality's next item given counts n (-inf when it has none)."""
        is_blk = self.blk & (n == 0)
        val = np.where(is_blk, self.block(), self.single(n + 1))
        size = np.where(is_blk, self.m, 1)
        avail = n + size <= self.cap
        if not blocks:
            avail &= ~is_blk
        return np.where(avail, val, -np.inf), size

    def second_item(self, n: np.ndarray, blocks: bool = True) -> np.ndarray:
        """Value of the item after the next one (-inf when there is none)."""
        is_blk = self.blk & (n == 0)
        s2 = np.where(is_blk, self.m + 1, n + 2)
        avail = s2 <= self.cap
        if not blocks:
            avail &= ~is_blk
        return np.where(avail, self.single(s2), -np.inf)

    def last_item(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value and size of the item that brought each municipality to n (+inf when n == 0)."""
        is_blk = self.blk & (n == self.m)
        val = np.where(is_blk, self.block(), self.single(np.maximum(n, 1)))
        size = np.where(is_blk, self.m, 1)
        return np.where(n == 0, np.inf, val), size

    def count_at(self, c: np.ndarray) -> np.ndarray:
        """Number of persons whose item value is >= c (c has shape (rows, 1)): the prefix above a cut-off."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.method == "sainte-lague":
                x = (self.base / c + 1) / 2
            elif self.method == "dhondt":
                x = self.base / c
            else:
                x = self.base + 1 - c
        x = np.nan_to_num(x, nan=0.0, posinf=float(_NO_CAP), neginf=0.0)
        plain_f = np.floor(x)
        # The closed form can be off by one item when x is within rounding error of a whole number.
        suspect = (x - plain_f < 1e-7) | (plain_f + 1 - x < 1e-7)
        plain = np.clip(plain_f, 0.0, self.cap)
        n = np.where(self.blk, np.where(self.block() >= c, np.maximum(plain, self.m), 0.0), plain)
        n = np.minimum(n, self.cap)
        rows = np.flatnonzero(suspect.any(axis=1))
        if rows.size:
            n[rows] = self.subset(rows)._settle(n[rows], c[rows])
        return n

    def _settle(self, n: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Adjust counts one item at a time until every item >= c is in and every item < c is out."""
        for _ in range(64):
            nv, size = self.next_item(n)
            add = nv >= c
            n = np.where(add, n + size, n)
            lv, lsize = self.last_item(n)
            rem = lv < c
            n = np.where(rem, n - lsize, n)
            if not (add.any() or rem.any()):
                break
        return n

    def start_guess(self, totals: np.ndarray) -> np.ndarray:
        """A first cut-off: the one that would give the unbounded method the right total."""
        w_sum = np.where(self.cap > 0, self.base, 0).sum(axis=1)
        t = np.maximum(totals, 1).astype(float)
        if self.method == "sainte-lague":
            return (w_sum / (2 * t))[:, None]
        if self.method == "dhondt":
            return (w_sum / t)[:, None]
        return np.ones((len(totals), 1))


def _start(lists: _Lists, totals: np.ndarray, max_iter: int = 30) -> np.ndarray:
    """Counts of a prefix of the priority list with sum <= total and only a few persons short.

    A root search for the cut-off value (in log scale for the divisor methods): a secant step on the part of the
    count that moves with the cut-off until both sides are bracketed, then regula falsi (Illinois variant) on the
    measured counts, which copes with the jumps the blocks cause.
    """
    rows = len(totals)
    additive = lists.method == "largest-remainder"
    x_lo = np.full(rows, -np.inf)  # cut-off (transformed) where the count is above the total
    x_hi = np.full(rows, np.inf)  # cut-off where the count is at or below it
    f_lo = np.zeros(rows)
    f_hi = np.zeros(rows)
    side = np.zeros(rows, dtype=np.int8)  # which side moved last (Illinois)
    best = np.zeros(lists.base.shape)
    found = np.zeros(rows, dtype=bool)
    c0 = lists.start_guess(totals)[:, 0]
    x = c0.copy() if additive else np.log(c0)
    n_elig = np.maximum((lists.cap > 0).sum(axis=1), 1)
    tol = np.maximum(n_elig // 8, 1)
    aim = totals - tol / 2  # aim a little below the total: landing under it is what counts
    todo = np.arange(rows)
    for _ in range(max_iter):
        if todo.size == 0:
            break
        sub = lists.subset(todo)
        xc = x[todo]
        n = sub.count_at((xc if additive else np.exp(xc))[:, None])
        s = n.sum(axis=1)
        t = totals[todo]
        f = s - aim[todo]
        under = s <= t
        best[todo[under]] = n[under]
        found[todo[under]] = True
        # Illinois: when the same side moves twice in a row, halve the other side's value.
        lo_i, hi_i = todo[~under], todo[under]
        f_hi[lo_i] = np.where(side[lo_i] == -1, f_hi[lo_i] / 2, f_hi[lo_i])
        f_lo[hi_i] = np.where(side[hi_i] == 1, f_lo[hi_i] / 2, f_lo[hi_i])
        x_lo[lo_i], f_lo[lo_i], side[lo_i] = xc[~under], f[~under], -1
        x_hi[hi_i], f_hi[hi_i], side[hi_i] = xc[under], f[under], 1
        done = under & (t - s <= tol[todo])
        # A bracket that has shrunk to nothing means a jump (ties or a block) straddles the total: stop searching.
        gap = x_hi[todo] - x_lo[todo]
        done |= np.isfinite(gap) & (gap <= 1e-9 * np.maximum(1.0, np.abs(x_hi[todo])))
        keep = ~done
        todo, n, s, xc = todo[keep], n[keep], s[keep], xc[keep]
        if todo.size == 0:
            break
        lo, hi = x_lo[todo], x_hi[todo]
        both = np.isfinite(lo) & np.isfinite(hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rf = lo + f_lo[todo] / (f_lo[todo] - f_hi[todo]) * (hi - lo)
            # Before bracketing: the part of the count that moves with the cut-off is about proportional to
            # 1/cut-off (divisor methods) or falls by one per free municipality and unit (largest remainder).
            free = (n > 0) & (n < lists.cap[todo])
            s_free = np.where(free, n, 0).sum(axis=1)
            if additive:
                step = xc + (s - aim[todo]) / np.maximum(free.sum(axis=1), 1)
            else:
                target = aim[todo] - (s - s_free)
                fallback = xc + np.where(s > 0, 0.7, -0.7)
                step = np.where((s_free > 0) & (target > 0), xc + np.log(s_free / target), fallback)
        new = np.where(both, rf, step)
        inside = (new > lo) & (new < hi) & np.isfinite(new)
        mid = np.where(both, (lo + hi) / 2, np.where(np.isfinite(hi), hi - 1.0, lo + 1.0))
        x[todo] = np.where(inside, new, mid)
    # Rows still without a prefix under the total (rare): raise the cut-off until they have one.
    left = np.flatnonzero(~found)
    xx = np.where(np.isfinite(x_lo[left]), x_lo[left] + 1.0, x[left] + 1.0)
    for _ in range(400):
        if left.size == 0:
            break
        n = lists.subset(left).count_at((xx if additive else np.exp(xx))[:, None])
        ok = n.sum(axis=1) <= totals[left]
        best[left[ok]] = n[ok]
        left, xx = left[~ok], xx[~ok] + 1.0
    return best


def _take_ordered(values: np.ndarray, sizes: np.ndarray, cand: np.ndarray, room: np.ndarray) -> tuple:
    """Take candidates in priority order while they fit: returns (taken mask, first not-fitting column or -1)."""
    key = np.where(cand, -values, np.inf)
    # Stable sort: columns are already in tie-break order (larger weight first, then input order).
    order = np.argsort(key, axis=1, kind="stable")
    s_sorted = np.take_along_axis(np.where(cand, sizes, 0), order, axis=1)
    c_sorted = np.take_along_axis(cand, order, axis=1)
    cum = np.cumsum(s_sorted, axis=1)
    take_sorted = c_sorted & (cum <= room[:, None])
    taken = np.zeros_like(cand)
    np.put_along_axis(taken, order, take_sorted, axis=1)
    n_taken = take_sorted.sum(axis=1)
    n_cand = c_sorted.sum(axis=1)
    first_out = np.where(n_taken < n_cand, order[np.arange(len(order)), np.minimum(n_taken, order.shape[1] - 1)], -1)
    return taken, first_out


def _extend(lists: _Lists, n: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continue the priority list from a prefix n until the totals are reached.

    Returns (counts, persons left over, first skipped block per row or -1).  Persons are left over only when
    everyone who could take more is at their cap after a block was skipped.
    """
    rows = n.shape[0]
    left = totals - n.sum(axis=1)
    crossing = np.full(rows, -1)
    phase2 = np.zeros(rows, dtype=bool)
    stuck = np.zeros(rows, dtype=bool)
    # Every round hands out at least one item per active row (or marks it stuck), so this bound is never reached.
    for _ in range(int(left.max(initial=0)) + 2):
        act = np.flatnonzero((left > 0) & ~stuck)
        if act.size == 0:
            break
        for in_phase2 in (False, True):
            idx = act[phase2[act] == in_phase2]
            if idx.size == 0:
                continue
            sub = lists.subset(idx)
            nn = n[idx]
            room = left[idx]
            # After a skipped block fewer than m persons are left, so no later block can fit either.
            nv, size = sub.next_item(nn, blocks=not in_phase2)
            bound = sub.second_item(nn, blocks=not in_phase2).max(axis=1)
            # Every next item above the best second item comes before all second items: a safe segment.
            cand = (nv > bound[:, None]) & np.isfinite(nv)
            none = ~cand.any(axis=1)
            stuck[idx[none]] = True
            csize = np.where(cand, size, 0)
            tot = csize.sum(axis=1)
            fits = tot <= room
            taken = cand & fits[:, None]
            first_out = np.full(idx.size, -1)
            part = np.flatnonzero(~fits & ~none)
            if part.size:
                t_part, f_part = _take_ordered(nv[part], size[part], cand[part], room[part])
                taken[part] = t_part
                first_out[part] = f_part
            add = np.where(taken, size, 0)
            n[idx] = nn + add
            left[idx] = room - add.sum(axis=1)
            if not in_phase2:
                crossed = (first_out >= 0) & (left[idx] > 0)
                crossing[idx[crossed]] = first_out[crossed]
                phase2[idx[crossed]] = True
    return n, left, crossing


def _retract(lists: _Lists, r: int, n: np.ndarray, left: int, crossing: int) -> np.ndarray | None:
    """Fallback for row r: give the first skipped block after all and take back the lowest single items."""
    if crossing < 0:
        return None
    one = _Lists(lists.method, lists.base[r], lists.cap[r], lists.blk[r], lists.m)
    m = one.m
    n = n.copy()
    n[crossing] += m
    for _ in range(m - left):
        removable = np.where(one.blk, n - m, n) >= 1
        removable[crossing] = False
        if not removable.any():
            return None
        lv, _ = one.last_item(n)
        lv = np.where(removable, lv, np.inf)
        n[np.flatnonzero(lv == lv.min())[-1]] -= 1  # the last one in tie order is taken back first
    return n


def _run_divisor(lists: _Lists, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounded divisor method (the priority list handles caps and blocks directly)."""
    n = _start(lists, totals)
    n, left, crossing = _extend(lists, n, totals)
    for r in np.flatnonzero(left > 0):
        fixed = _retract(lists, int(r), n[r], int(left[r]), int(crossing[r]))
        if fixed is not None:
            n[r] = fixed
            left[r] = 0
    return n, left


def _run_largest_remainder(
    w: np.ndarray, w_sum0: np.ndarray, cap: np.ndarray, blk: np.ndarray, m: int, totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounded largest remainder in rounds: run the list on quotas, fix cap violators or take out those below the
    minimum, recompute the quotas on the rest, repeat until nothing changes."""
    rows = w.shape[0]
    active = cap > 0
    fixed = np.zeros(w.shape)
    rest = totals.astype(float)
    out = np.zeros(w.shape)
    left_out = np.zeros(rows)
    todo = np.arange(rows)
    first = True
    for _ in range(w.shape[1] + 2):
        if todo.size == 0:
            break
        act = active[todo]
        wa = np.where(act, w[todo], 0.0)
        # First round: the plain sum, so the quotas equal the textbook ones bit for bit.
        w_sum = w_sum0[todo] if first else wa.sum(axis=1)
        first = False
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(act, (wa * rest[todo][:, None]) / w_sum[:, None], 0.0)
        # Caps are not in the list: whoever ends above its cap is fixed there and the quotas are recomputed.
        lists = _Lists("largest-remainder", q, np.where(act, float(_NO_CAP), 0.0), blk[todo] & act, m)
        n, left = _run_divisor(lists, rest[todo])
        over = act & (n > cap[todo])
        over_rows = over.any(axis=1)
        dropped = act & blk[todo] & (n == 0) & ~over_rows[:, None]
        drop_rows = dropped.any(axis=1)
        r = todo[over_rows]
        fixed[r] = np.where(over[over_rows], cap[r], fixed[r])
        rest[r] -= np.where(over[over_rows], cap[r], 0.0).sum(axis=1)
        active[r] &= ~over[over_rows]
        active[todo[drop_rows]] &= ~dropped[drop_rows]
        fin = ~over_rows & ~drop_rows
        out[todo[fin]] = fixed[todo[fin]] + n[fin]
        left_out[todo[fin]] = left[fin]
        todo = todo[~fin]
    return out, left_out


# ---------------------------------------------------------------------------------------------------------------
# Validation and feasibility
# ---------------------------------------------------------------------------------------------------------------


def _check_int(value: object, name: str) -> int:
    """Return value as a non-negative int or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
    return int(value)


def check_index(index: pd.Index, name: str) -> None:
    """Raise ValueError unless the index holds unique four-digit municipality codes as strings."""
    if not index.is_unique:
        dup = index[index.duplicated()].unique().tolist()
        raise ValueError(f"{name} has duplicate municipality codes: {dup[:10]}.")
    bad = [c for c in index if not (isinstance(c, str) and _CODE.match(c))]
    if bad:
        raise ValueError(f"{name} must be indexed by four-digit municipality codes as strings; got {bad[:5]!r}.")


def _check_weights(weights: pd.Series) -> np.ndarray:
    """Validate the weights and return them as float64."""
    if not isinstance(weights, pd.Series):
        raise ValueError("weights must be a pandas Series indexed by municipality code.")
    check_index(weights.index, "weights")
    try:
        w = weights.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be numeric: {exc}") from exc
    if np.isnan(w).any():
        raise ValueError(f"weights contain NaN for {weights.index[np.isnan(w)].tolist()[:10]}.")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite.")
    if (w < 0).any():
        raise ValueError(f"weights must be non-negative; negative for {weights.index[w < 0].tolist()[:10]}.")
    return w


def _check_caps(maximum: pd.Series | None, index: pd.Index) -> np.ndarray:
    """Validate the caps and return them aligned to index (no cap -> a huge number)."""
    if maximum is None:
        return np.full(len(index), _NO_CAP, dtype=np.int64)
    if not isinstance(maximum, pd.Series):
        raise ValueError("maximum must be a pandas Series indexed by municipality code (NaN = no cap).")
    if not maximum.index.is_unique:
        raise ValueError("maximum has duplicate municipality codes.")
    unknown = maximum.index.difference(index)
    if len(unknown):
        raise ValueError(f"maximum has codes that are not in weights: {unknown.tolist()[:10]}.")
    try:
        u = maximum.reindex(index).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"maximum must be numeric: {exc}") from exc
    given = ~np.isnan(u)
    if (u[given] < 0).any() or not np.all(np.mod(u[given], 1) == 0) or not np.isfinite(u[given]).all():
        raise ValueError("maximum must hold non-negative whole numbers (or NaN for no cap).")
    return np.where(given, np.minimum(np.nan_to_num(u, nan=0.0), float(_NO_CAP)), float(_NO_CAP)).astype(np.int64)


def _check_exceptions(exceptions: Iterable[str] | None, index: pd.Index) -> np.ndarray:
    """Validate the exception codes and return a boolean mask over index."""
    if exceptions is None:
        return np.zeros(len(index), dtype=bool)
    if isinstance(exceptions, str):
        raise ValueError("exceptions must be an iterable of municipality codes, not a single string.")
    codes = list(exceptions)
    unknown = [c for c in codes if c not in index]
    if unknown:
        raise ValueError(f"exceptions has codes that are not in weights: {unknown[:10]}.")
    return index.isin(codes)


def feasibility_message(
    index: pd.Index, total: int, *, minimum: int = 10, maximum: pd.Series | None = None,
    exceptions: Iterable[str] | None = None,
) -> str | None:
    """Why no key at all could place ``total`` under these bounds (Norwegian, with the shortfall), or None if one can.

    Every municipality is counted as able to take someone, so this is the check that can run before the key exists.
    """
    excepted = _check_exceptions(exceptions, index)
    blocks = ~excepted & (minimum > 1)
    return _feasibility(np.ones(len(index)), _check_caps(maximum, index), blocks, minimum, total)


def _feasibility(w: np.ndarray, cap: np.ndarray, blk: np.ndarray, m: int, total: int) -> str | None:
    """Return a Norwegian message when the bounds make the total impossible for one weight vector, else None."""
    if total == 0:
        return None
    if not (w > 0).any():
        return f"Alle kommuner har vekt 0, så fylkets totaltall ({_fmt(total)}) kan ikke fordeles."
    elig = (w > 0) & (cap > 0) & ~(blk & (cap < m))
    if not elig.any():
        return (
            f"Ingen kommune kan ta imot noen (alle har takket nei, har vekt 0 eller har kapasitet under "
            f"minstetallet {m}), så fylkets totaltall ({_fmt(total)}) kan ikke fordeles: mangler {_places(total)}."
        )
    capped = cap[elig]
    unlimited = (capped >= _NO_CAP).any()
    cap_sum = float("inf") if unlimited else int(capped.sum())
    below_min = int(((w > 0) & (cap > 0) & blk & (cap < m)).sum())
    note = (
        f" Kommuner med kapasitet under minstetallet ({m}) og uten unntak er ikke regnet med ({below_min} stk.)."
        if below_min
        else ""
    )
    if cap_sum < total:
        return (
            f"Summen av kapasitetene ({_fmt(cap_sum)}) er lavere enn fylkets totaltall ({_fmt(total)}): "
            f"mangler {_places(total - cap_sum)}.{note}"
        )
    b = elig & blk
    nb = elig & ~blk
    k = min(int(b.sum()), total // m) if m > 0 else int(b.sum())
    top = np.sort(cap[b])[::-1][:k]
    if (top >= _NO_CAP).any() or (cap[nb] >= _NO_CAP).any():
        return None
    cap2 = int(top.sum()) + int(cap[nb].sum())
    if cap2 >= total:
        return None
    if not nb.any() and total < m:
        return (
            f"Fylkets totaltall ({_fmt(total)}) er lavere enn minstetallet ({m}), og ingen kommuner er unntatt "
            f"fra minstetallet, så ingen kommune kan få plasser: {_places(total)} kan ikke fordeles."
        )
    return (
        f"Minstetallet ({m}) gjør fordelingen umulig: med totaltallet {_fmt(total)} kan høyst {k} kommuner få "
        f"minst {m} hver, og de kan sammen med kommunene som er unntatt fra minstetallet, ta {_fmt(cap2)}: "
        f"mangler {_places(total - cap2)}.{note}"
    )


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------


def apportion_matrix(
    weights: np.ndarray,
    total: int,
    *,
    minimum: int = 10,
    caps: np.ndarray | None = None,
    excepted: np.ndarray | None = None,
    method: str = "sainte-lague",
) -> np.ndarray:
    """Apportion `total` for every row of a (rows, municipalities) weight matrix; row r equals apportion(row r).

    `caps` is an int array over the municipalities (negative = no cap, 0 = declines) and `excepted` a boolean array
    (allowed below the minimum).  The rows share caps and exceptions; see the module docstring for the rule.
    """
    method = normalise_method(method)
    total = _check_int(total, "total")
    minimum = _check_int(minimum, "minimum")
    w = np.ascontiguousarray(np.asarray(weights, dtype=float))
    if w.ndim != 2:
        raise ValueError("weights must be a 2-D array (rows, municipalities).")
    rows, k = w.shape
    if np.isnan(w).any() or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative.")
    cap1 = np.full(k, _NO_CAP, dtype=np.int64) if caps is None else np.asarray(caps, dtype=np.int64).copy()
    cap1 = np.where(cap1 < 0, _NO_CAP, cap1)
    exc1 = np.zeros(k, dtype=bool) if excepted is None else np.asarray(excepted, dtype=bool)
    if cap1.shape != (k,) or exc1.shape != (k,):
        raise ValueError("caps and excepted must have one entry per column of weights.")
    return _apportion_rows(w, total, minimum, cap1, exc1, method)


def _apportion_rows(w: np.ndarray, total: int, m: int, cap1: np.ndarray, exc1: np.ndarray, method: str) -> np.ndarray:
    """Validated core of apportion/apportion_matrix."""
    rows, k = w.shape
    out = np.zeros((rows, k), dtype=np.int64)
    if total == 0 or rows == 0 or k == 0:
        if total > 0 and k == 0:
            raise AllocationError(f"Det er ingen kommuner å fordele fylkets totaltall ({_fmt(total)}) på.")
        return out
    blk1 = ~exc1 & (m > 1)
    # Feasibility depends on a row only through which weights are zero: check each distinct pattern once.
    pos = w > 0
    if (pos == pos[0]).all():
        first_row = np.zeros(1, dtype=np.int64)
    else:
        first_row = np.unique(pos, axis=0, return_index=True)[1]
    for r in first_row:
        msg = _feasibility(w[r], cap1, blk1, m, total)
        if msg is not None:
            raise AllocationError(msg)
    # For the divisor methods a block's priority (w/m) is never below the priority its m-th person has in the
    # textbook order, so a textbook result that keeps every bound comes out unchanged anyway. Largest remainder
    # ranks a block by quota - (m-1)/2, which can reorder the last places: check it explicitly.
    bounded = method == "largest-remainder" and (m > 1 or (cap1 < _NO_CAP).any())
    if bounded:
        # Bounds act only where they bind: a row whose textbook result already keeps every bound keeps that result.
        with np.errstate(divide="ignore", invalid="ignore"):  # zero weights are handled by the eligibility mask
            free = _apportion_rows(w, total, 0, np.full(k, _NO_CAP, dtype=np.int64), np.ones(k, dtype=bool), method)
        keeps = (((free == 0) | (free >= m) | exc1[None, :]) & (free <= cap1[None, :])).all(axis=1)
        if keeps.all():
            return free
        if keeps.any():
            out = free.copy()
            out[~keeps] = _apportion_rows(w[~keeps], total, m, cap1, exc1, method)
            return out
    # Columns in tie-break order per row: larger weight first, then input order.
    perm = np.argsort(-w, axis=1, kind="stable")
    wp = np.take_along_axis(w, perm, axis=1)
    capp = cap1[perm]
    blkp = blk1[perm]
    elig = (wp > 0) & (capp > 0) & ~(blkp & (capp < m))
    # Counts and caps are kept as float64 (exact for whole numbers) to avoid int/float conversions in the loops.
    capp = np.where(elig, capp, 0).astype(float)
    blkp = blkp & elig
    totals = np.full(rows, total, dtype=np.int64)
    if method == "largest-remainder":
        # Sum in input order so the first-round quotas are the textbook ones to the last bit.
        w_sum0 = np.where(elig[np.arange(rows)[:, None], np.argsort(perm, axis=1)], w, 0.0).sum(axis=1)
        n, left = _run_largest_remainder(wp, w_sum0, capp, blkp, m, totals)
    else:
        n, left = _run_divisor(_Lists(method, wp, capp, blkp, m), totals)
    if (left > 0).any():
        r = int(np.flatnonzero(left > 0)[0])
        raise AllocationError(
            f"Minstetallet ({m}) og kapasitetene lar seg ikke forene etter fordelingsregelen: kommunene som har "
            f"fått plasser, er fulle, og ingen annen kommune kan få minstetallet uten at noen havner under det. "
            f"Mangler {_places(int(left[r]))}. Vurder unntak fra minstetallet eller høyere kapasitet."
        )
    np.put_along_axis(out, perm, n.astype(np.int64), axis=1)
    return out


def apportion(
    weights: pd.Series,
    total: int,
    *,
    minimum: int = 10,
    maximum: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> pd.Series:
    """Round `total` over municipalities in proportion to `weights`, every figure 0 or >= minimum and <= its cap.

    The rule (see the module docstring and :func:`bosetting_lib.outputs.method_text.method_text_nb`): persons are handed out in the method's
    priority order; a municipality that is not excepted gets its first `minimum` persons as one block whose
    priority is weight / minimum (Sainte-Laguë and D'Hondt) or quota - (minimum - 1)/2 (largest remainder), and
    the block is skipped when fewer than `minimum` persons are left; a municipality's items stop at its cap (0 =
    declines).  Ties go to the larger weight, then to the earlier position in `weights`.  Zero weight gives 0.

    Returns an int64 Series on the same index and in the same order, summing exactly to `total`.
    Raises ValueError for malformed input and AllocationError (Norwegian, with the shortfall) when the bounds
    make the total impossible.
    """
    method = normalise_method(method)
    total = _check_int(total, "total")
    minimum = _check_int(minimum, "minimum")
    w = _check_weights(weights)
    cap = _check_caps(maximum, weights.index)
    exc = _check_exceptions(exceptions, weights.index)
    n = _apportion_rows(w[None, :], total, minimum, cap, exc, method)[0]
    return pd.Series(n, index=weights.index.copy(), dtype="int64", name="allocation")


@dataclass(frozen=True)
class Apportionment:
    """An allocation and, per municipality, the inputs and a Norwegian status text explaining its number."""

    allocation: pd.Series
    table: pd.DataFrame
    method: str
    minimum: int
    total: int


STATUS_NB = {
    "declined": "takket nei (kapasitet 0)",
    "zero_weight": "vekt 0",
    "cap_below_min": "kapasitet under minstetallet",
    "below_min": "for liten andel til å nå minstetallet, derfor 0",
    "at_cap": "begrenset av kapasiteten",
    "raised": "rundet opp til minstetallet",
    "exception": "unntak fra minstetallet",
    "allocated": "fordelt etter nøkkelen",
}


def _capped_quota(w: np.ndarray, cap: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Proportional shares with fractions allowed and caps respected (water-filling); returns (quota, capped)."""
    quota = np.zeros(len(w))
    capped = np.zeros(len(w), dtype=bool)
    free = w > 0
    rest = float(total)
    for _ in range(len(w) + 1):
        if not free.any() or rest <= 0:
            break
        q = np.where(free, w / w[free].sum() * rest, 0.0)
        over = free & (q >= cap)
        if not over.any():
            quota = np.where(free, q, quota)
            break
        quota = np.where(over, cap.astype(float), quota)
        capped |= over
        rest -= float(cap[over].sum())
        free &= ~over
    return quota, capped


def apportion_detailed(
    weights: pd.Series,
    total: int,
    *,
    minimum: int = 10,
    maximum: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> Apportionment:
    """Like :func:`apportion`, plus a table (weight, quota, cap, exception, allocation, status) for the report.

    The quota is the municipality's proportional share of the total with fractions allowed, among those who can
    take anyone and with caps respected (a capped municipality's share is its cap, the rest is shared out in
    proportion); the status says in Norwegian why the figure is what it is, so nobody is dropped silently.
    """
    alloc = apportion(weights, total, minimum=minimum, maximum=maximum, method=method, exceptions=exceptions)
    method = normalise_method(method)
    w = weights.to_numpy(dtype=float)
    cap = _check_caps(maximum, weights.index)
    exc = _check_exceptions(exceptions, weights.index)
    blk = ~exc & (minimum > 1)
    elig = (w > 0) & (cap > 0) & ~(blk & (cap < minimum))
    quota, capped = _capped_quota(np.where(elig, w, 0.0), np.where(elig, cap, 0), total)
    n = alloc.to_numpy()
    # Later rules win: the most specific reason is written last.
    status = np.full(len(w), STATUS_NB["allocated"], dtype=object)
    status[(n == 0) & elig & blk] = STATUS_NB["below_min"]
    status[(n == minimum) & blk & (quota < minimum) & (minimum > 1)] = STATUS_NB["raised"]
    status[(n > 0) & exc & (n < minimum)] = STATUS_NB["exception"]
    status[(n > 0) & capped & (n == cap)] = STATUS_NB["at_cap"]
    status[(w > 0) & (cap > 0) & blk & (cap < minimum)] = STATUS_NB["cap_below_min"]
    status[w == 0] = STATUS_NB["zero_weight"]
    status[cap == 0] = STATUS_NB["declined"]
    idx = weights.index
    table = pd.DataFrame(
        {
            "weight": pd.Series(w, index=idx),
            "quota": pd.Series(quota, index=idx),
            "cap": pd.Series(np.where(cap >= _NO_CAP, np.nan, cap.astype(float)), index=idx),
            "excepted": pd.Series(exc, index=idx),
            "allocation": alloc,
            "status": pd.Series(status, index=idx, dtype="str"),
        }
    )
    return Apportionment(allocation=alloc, table=table, method=method, minimum=minimum, total=total)


def apportion_minors(
    minors_total: int,
    allocation: pd.Series,
    able: pd.Series,
    *,
    minimum: int = 0,
    capacity: pd.Series | None = None,
    weights: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> pd.Series:
    """Split the unaccompanied-minors total over the municipalities able to take them, inside their allocation.

    Each able municipality is capped at min(its stated minor capacity, its total allocation); `capacity` NaN or
    missing means no stated cap; municipalities missing from `able` count as not able.  The split is proportional
    to `weights` (default: the allocation itself) with the same rule as :func:`apportion`.  Raises AllocationError
    (Norwegian, with the shortfall) when the able municipalities cannot take the total.
    """
    minors_total = _check_int(minors_total, "minors_total")
    if not isinstance(allocation, pd.Series):
        raise ValueError("allocation must be a pandas Series indexed by municipality code.")
    check_index(allocation.index, "allocation")
    alloc = allocation.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(alloc).any() or (alloc < 0).any() or not np.all(np.mod(alloc, 1) == 0):
        raise ValueError("allocation must hold non-negative whole numbers.")
    if not isinstance(able, pd.Series):
        raise ValueError("able must be a boolean pandas Series indexed by municipality code.")
    unknown = able.index.difference(allocation.index)
    if len(unknown):
        raise ValueError(f"able has codes that are not in allocation: {unknown.tolist()[:10]}.")
    if able.isna().any():
        raise ValueError(f"able has missing values for {able.index[able.isna()].tolist()[:10]}.")
    able_b = able.reindex(allocation.index, fill_value=False).astype(bool)
    if capacity is not None:
        unknown = capacity.index.difference(allocation.index)
        if len(unknown):
            raise ValueError(f"capacity has codes that are not in allocation: {unknown.tolist()[:10]}.")
        cap_minor = capacity.reindex(allocation.index).astype(float)
        if (cap_minor < 0).any():
            raise ValueError("capacity must be non-negative (NaN = no stated cap).")
    else:
        cap_minor = pd.Series(np.nan, index=allocation.index)
    alloc_s = pd.Series(alloc, index=allocation.index)
    cap = alloc_s.where(cap_minor.isna() | (cap_minor >= alloc_s), np.floor(cap_minor))
    cap = cap.where(able_b, 0.0)
    w = alloc_s if weights is None else weights.reindex(allocation.index)
    if w.isna().any():
        raise ValueError(f"weights are missing for {w.index[w.isna()].tolist()[:10]}.")
    w = w.astype(float).where(able_b, 0.0)
    room = cap.where(w > 0, 0.0)
    if minors_total > room.sum():
        raise AllocationError(
            f"Kommunene som kan ta imot enslige mindreårige, har til sammen plass til {_fmt(room.sum())} "
            f"(begrenset av oppgitt kapasitet og kommunens eget totaltall), men totaltallet for enslige "
            f"mindreårige er {_fmt(minors_total)}: mangler {_places(minors_total - room.sum())}."
        )
    result = apportion(w, minors_total, minimum=minimum, maximum=cap, method=method, exceptions=exceptions)
    return result.rename("minors")
