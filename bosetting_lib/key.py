"""The distribution key: one share vector per criterion, weighted into one key, with each criterion's contribution."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.errors import BosettingError
from bosetting_lib.params import Criterion


def criterion_shares(indicators: pd.DataFrame, criteria: tuple[Criterion, ...] | list[Criterion]) -> pd.DataFrame:
    """Each criterion's indicator turned into shares over the municipalities (each column sums to 1)."""
    shares = {}
    for criterion in criteria:
        if criterion.indikator not in indicators.columns:
            raise BosettingError(f"Kriteriet «{criterion.navn}» bruker indikatoren «{criterion.indikator}», som ikke finnes.")
        values = indicators[criterion.indikator].astype("float64")
        if values.isna().any():
            missing = ", ".join(values.index[values.isna()])
            raise BosettingError(f"Indikatoren «{criterion.indikator}» mangler verdi for {missing}.")
        if (values < 0).any():
            raise BosettingError(f"Indikatoren «{criterion.indikator}» har negative verdier.")
        total = values.sum()
        if total <= 0:
            raise BosettingError(f"Indikatoren «{criterion.indikator}» er 0 for alle kommunene og kan ikke gi andeler.")
        shares[criterion.id] = values / total
    return pd.DataFrame(shares, index=indicators.index)


def weighted_key(shares: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """The key: the weighted sum of the criteria's share vectors (sums to 1 when the weights do)."""
    weight_vector = pd.Series(weights).reindex(shares.columns)
    return (shares * weight_vector).sum(axis=1).rename("nokkel")


def contributions(shares: pd.DataFrame, weights: dict[str, float], total: int) -> pd.DataFrame:
    """Persons each criterion contributes to each municipality's (unrounded) number: share × weight × total."""
    weight_vector = pd.Series(weights).reindex(shares.columns)
    return shares * weight_vector * total
