"""How close a recommendation came to what IMDi actually asked: the measures shared by a county run and the
national overview."""

from __future__ import annotations

import numpy as np
import pandas as pd


def rank_correlation(model: pd.Series, actual: pd.Series) -> float | None:
    """Spearman's rank correlation over the municipalities where both are known (None with fewer than two)."""
    both = actual.notna() & model.notna()
    if both.sum() < 2:
        return None
    return float(np.corrcoef(model[both].rank(), actual[both].rank())[0, 1])


def scale_to(model: pd.Series, actual: pd.Series) -> float:
    """The factor that brings IMDi's actual numbers to the model's total (the totals differ when the request moved)."""
    both = actual.notna()
    return float(model[both].sum() / actual[both].sum()) if actual[both].sum() else 1.0


def mean_absolute_deviation(numbers: pd.Series, actual: pd.Series, scale: float) -> float:
    """Mean absolute difference in persons from the scaled actual numbers, where the actual number is known."""
    both = actual.notna()
    return round(float((numbers.reindex(actual.index).astype("float64") - actual * scale)[both].abs().mean()), 2)


def backtest_summary(model: pd.Series, actual: pd.Series, baselines: dict[str, pd.Series]) -> tuple[pd.Series, dict]:
    """(deviation per municipality, summary) of the model and each baseline against IMDi's actual request."""
    model = model.astype("float64")
    actual = actual.astype("float64")
    scale = scale_to(model, actual)
    rank = rank_correlation(model, actual)
    comparison = {"modell": mean_absolute_deviation(model, actual, scale)}
    for name, numbers in baselines.items():
        comparison[str(name)] = mean_absolute_deviation(numbers, actual, scale)
    summary = {"rangkorrelasjon": None if rank is None else round(rank, 4),
               "gjennomsnittlig_absolutt_avvik": comparison["modell"], "skalert_med": round(scale, 6),
               "sammenligning": comparison,
               "modell_0_imdi_over_0": sorted(model.index[(model == 0) & (actual > 0)]),
               "modell_over_0_imdi_0": sorted(model.index[(model > 0) & (actual == 0)])}
    return model - actual * scale, summary
