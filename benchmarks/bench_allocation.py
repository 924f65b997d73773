"""Benchmark of the rounding: one bounded apportionment, 10 000 sensitivity draws, and the textbook comparison.

Run ``python benchmarks/bench_allocation.py``; :func:`run` returns the rows (name, value, unit, note) for
BENCHMARKS.md.  Synthetic data only (seeded): 357 municipalities with lognormal weights (a five-part key), and
requests and decisions for three years for the anchor model's sensitivity, Norway-sized; nothing here is a real
figure.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from bosetting_lib.model.allocation import apportion
from bosetting_lib.model.anchor import DEFAULT_SETTINGS, anchor_recommendation
from bosetting_lib.model.sensitivity import anchor_sensitivity

N_MUNICIPALITIES = 357
TOTAL = 13_000  # the national request for 2026
MINIMUM = 10
N_DRAWS = 10_000
SEED = 2026
CRITERIA = pd.Series(
    {"befolkning": 0.30, "arbeid": 0.25, "resultater": 0.20, "kapasitet": 0.15, "tidligere_bosetting": 0.10}
)


def synthetic_shares(n: int = N_MUNICIPALITIES, seed: int = SEED) -> pd.DataFrame:
    """Seeded synthetic criterion shares: lognormal populations, other criteria population times lognormal noise."""
    rng = np.random.default_rng(seed)
    pop = rng.lognormal(mean=8.6, sigma=1.15, size=n)  # median about 5 400 inhabitants, long right tail
    cols = {"befolkning": pop}
    for name, sigma in zip(CRITERIA.index[1:], (0.35, 0.5, 0.8, 0.6)):
        cols[name] = pop * rng.lognormal(0.0, sigma, n)
    df = pd.DataFrame(cols, index=[f"{i + 1:04d}" for i in range(n)])
    return df / df.sum()


def synthetic_history(n: int = N_MUNICIPALITIES, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded synthetic requests and decisions for three years and one criterion, as the anchor model reads them."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"{i + 1:04d}" for i in range(n)], name="kommunenummer")
    size = rng.lognormal(mean=3.0, sigma=1.0, size=n)
    history = pd.DataFrame({f"{kind}_{year}": np.round(size * rng.uniform(0.7, 1.3, n))
                            for year in (2022, 2024, 2025) for kind in ("anmodet", "vedtatt")}, index=index)
    criteria = pd.DataFrame({"bosatte_per_1000_sist": rng.uniform(0, 20, n)}, index=index)
    return history, criteria


def _best_of(fn: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n_draws: int = N_DRAWS, comparisons: int = 5) -> list[dict]:
    """Run the benchmark and return rows with name, value, unit and note."""
    import apportionment.methods as app  # test dependency, only needed here

    shares = synthetic_shares()
    key = pd.Series(shares.to_numpy() @ CRITERIA.to_numpy(), index=shares.index)
    rows: list[dict] = []

    t_one = _best_of(lambda: apportion(key, TOTAL, minimum=MINIMUM), repeat=20)
    result = apportion(key, TOTAL, minimum=MINIMUM)
    rows.append(
        {
            "name": "apportion, Sainte-Laguë with minimum 10",
            "value": round(t_one * 1000, 2),
            "unit": "ms",
            "note": f"{N_MUNICIPALITIES} municipalities, total {TOTAL}; {int((result == 0).sum())} get 0 (best of 20)",
        }
    )

    history, criteria = synthetic_history()
    table = anchor_recommendation(history, TOTAL, DEFAULT_SETTINGS, criteria=criteria)
    t_sens = _best_of(lambda: anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, TOTAL, n_draws=n_draws),
                      repeat=2)
    sens = anchor_sensitivity(history, table, criteria, DEFAULT_SETTINGS, TOTAL, n_draws=n_draws, seed=SEED)
    rows.append(
        {
            "name": f"anchor_sensitivity, {n_draws} draws of the model's settings",
            "value": round(t_sens, 2),
            "unit": "s",
            "note": f"bounded Sainte-Laguë per draw, vectorised, best of 2; widest p10-p90 range "
            f"{int((sens['p90'] - sens['p10']).max())} persons",
        }
    )

    rng = np.random.default_rng(SEED)
    pairs = (("sainte-lague", "saintelague"), ("dhondt", "dhondt"), ("largest-remainder", "largest_remainder"))
    for method, ref_name in pairs:
        ours_t = theirs_t = 0.0
        equal = 0
        for _ in range(comparisons):
            w = rng.lognormal(8.6, 1.15, N_MUNICIPALITIES)
            s = pd.Series(w, index=shares.index)
            parties = list(shares.index)
            t0 = time.perf_counter()
            ours = apportion(s, TOTAL, minimum=0, method=method)
            ours_t += time.perf_counter() - t0
            t0 = time.perf_counter()
            theirs = app.compute(ref_name, list(w), TOTAL, parties=parties, verbose=False)
            theirs_t += time.perf_counter() - t0
            equal += int(ours.tolist() == list(theirs))
        rows.append(
            {
                "name": f"apportion vs apportionment package, {method}, unbounded",
                "value": round(theirs_t / ours_t, 1),
                "unit": "x faster",
                "note": f"{comparisons} problems of {N_MUNICIPALITIES} x {TOTAL}: ours "
                f"{ours_t / comparisons * 1000:.1f} ms, package {theirs_t / comparisons * 1000:.1f} ms per problem; "
                f"identical in {equal}/{comparisons}",
            }
        )
    rows.append(
        {
            "name": "machine",
            "value": platform.python_version(),
            "unit": "python",
            "note": f"{platform.machine()}, numpy {np.__version__}, pandas {pd.__version__}",
        }
    )
    return rows


def main() -> None:
    """Print the benchmark table."""
    rows = run()
    w_name = max(len(r["name"]) for r in rows)
    print(f"{'benchmark':<{w_name}}  {'value':>8}  {'unit':<9}  note")
    for r in rows:
        print(f"{r['name']:<{w_name}}  {r['value']!s:>8}  {r['unit']:<9}  {r['note']}")


if __name__ == "__main__":
    main()
