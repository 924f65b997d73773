"""Reference keys from comparable systems, to show side by side with the county's own recommendation.

Each ``*_shares`` function returns a share Series over the municipalities (summing to 1);
:func:`reference_key_table` apportions every available key with the same rounding rule as the recommendation.

Missing inputs: a key whose input is missing (``None``, or a municipality without a value) is not guessed. The
share function raises :class:`KeyUnavailableError`, whose ``reason`` says in Norwegian what is missing; the table
functions catch it and list the key under "left out" with that reason.  Malformed inputs (negative values, codes
that are not four-digit strings, duplicate codes) raise ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from bosetting_lib.model.allocation import check_index, apportion
from bosetting_lib.errors import AllocationError, BosettingError
from bosetting_lib.formatting import format_decimal
from bosetting_lib.model.indicators import IndicatorUnavailable, Inputs, immigrant_share_rate, unemployment_rate

__all__ = [
    "KEY_LABELS_NB",
    "KeyUnavailableError",
    "continuity_shares",
    "danish_shares",
    "nrw_shares",
    "population_shares",
    "reference_key_table",
    "reference_shares",
    "swedish_shares",
]

KEY_LABELS_NB = {
    "population": "Bare folketall",
    "continuity": "Kontinuitet (fjorårets anmodning skalert til årets totaltall)",
    "sweden": "Svensk modell (arbeidsmarked 43 %, folketall 37 %, mottak 20 %)",
    "nrw": "Nordrhein-Westfalen (folketall 90 %, areal 10 %, arealtillegget høyst 25 %)",
    "denmark": "Dansk modell (folketall korrigert for innvandrere som allerede bor der)",
}

SWEDISH_WEIGHTS = (0.43, 0.37, 0.20)


class KeyUnavailableError(BosettingError):
    """A reference key cannot be computed because an input is missing; ``reason`` is the Norwegian explanation."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"{KEY_LABELS_NB.get(key, key)}: {reason}")


def _values(series: pd.Series | None, index: pd.Index, key: str, what_nb: str) -> np.ndarray:
    """Return series aligned to index as floats; KeyUnavailableError if missing, ValueError if malformed."""
    if series is None:
        raise KeyUnavailableError(key, f"{what_nb} mangler i inndataene, så nøkkelen er utelatt.")
    if not isinstance(series, pd.Series):
        raise ValueError(f"{what_nb}: expected a pandas Series indexed by municipality code.")
    check_index(series.index, what_nb)
    extra = series.index.difference(index)
    if len(extra):
        raise ValueError(f"{what_nb}: codes that are not among the municipalities: {extra.tolist()[:10]}.")
    v = series.reindex(index)
    try:
        arr = v.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what_nb} must be numeric: {exc}") from exc
    missing = index[np.isnan(arr)].tolist()
    if missing:
        shown = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
        raise KeyUnavailableError(
            key, f"{what_nb} mangler for {len(missing)} kommune(r) ({shown}), så nøkkelen er utelatt."
        )
    if (arr < 0).any() or not np.isfinite(arr).all():
        raise ValueError(f"{what_nb} must be finite and non-negative; bad for {index[~(arr >= 0)].tolist()[:10]}.")
    return arr


def _normalise(values: np.ndarray, key: str, what_nb: str) -> np.ndarray:
    """Divide by the sum; KeyUnavailableError when the sum is 0."""
    total = values.sum()
    if total <= 0:
        raise KeyUnavailableError(key, f"{what_nb} er 0 for alle kommuner, så nøkkelen er utelatt.")
    return values / total


def _series(shares: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """Wrap shares as a Series named after the key."""
    return pd.Series(shares, index=index.copy(), name=name)


def _index_of(population: pd.Series) -> pd.Index:
    """The municipalities of the comparison: those in `population` (validated)."""
    if not isinstance(population, pd.Series):
        raise ValueError("population must be a pandas Series indexed by municipality code.")
    check_index(population.index, "population")
    return population.index


def population_shares(population: pd.Series) -> pd.Series:
    """Population only (the Dutch and Swiss baseline): each municipality's share of the population."""
    index = _index_of(population)
    return _series(_normalise(_values(population, index, "population", "Folketall"), "population", "Folketallet"),
                   index, "population")


def continuity_shares(last_year: pd.Series | None, index: pd.Index | None = None) -> pd.Series:
    """Continuity: last year's request (or decision) as shares, i.e. scaled to this year's total when apportioned.

    A municipality missing from `last_year` (or NaN) makes the key unavailable: write 0 explicitly if it was
    asked for none.  `index` (default: last_year's) fixes the municipalities.
    """
    if index is None:
        if last_year is None:
            reason = "Fjorårets anmodning mangler i inndataene, så nøkkelen er utelatt."
            raise KeyUnavailableError("continuity", reason)
        index = last_year.index
    v = _values(last_year, index, "continuity", "Fjorårets anmodning")
    return _series(_normalise(v, "continuity", "Fjorårets anmodning"), index, "continuity")


def swedish_shares(
    labour_market: pd.Series | None,
    population: pd.Series,
    reception: pd.Series | None,
    *,
    weights: tuple[float, float, float] = SWEDISH_WEIGHTS,
    reception_compensates: bool = True,
) -> pd.Series:
    """Sweden's county model: labour market 43 %, population 37 %, earlier reception 20 % (2019 weights).

    `labour_market` is any non-negative size indicator of the local labour market (e.g. employed persons by
    workplace), turned into shares.  `reception` is the number of refugees/newly arrived received recently.  The
    reception component compensates by default: municipalities that have received more than their population share
    get less, with the stock correction ``max(0, 2·population share − reception share)`` renormalised (the Danish
    form; Sweden's exact formula is not published).  With ``reception_compensates=False`` the component is the
    plain reception share.  Raises KeyUnavailableError when the labour-market indicator or reception is missing.
    """
    index = _index_of(population)
    w = np.asarray(weights, dtype=float)
    if w.shape != (3,) or (w < 0).any() or not np.isclose(w.sum(), 1.0):
        raise ValueError("weights must be three non-negative numbers summing to 1 (labour, population, reception).")
    lab = _normalise(
        _values(labour_market, index, "sweden",
                "Kommunetall for sysselsetting eller ledighet (sentralitet er ikke et mål på arbeidsmarkedet i den "
                "svenske modellen)"), "sweden", "Arbeidsmarkedsindikatoren"
    )
    pop = _normalise(_values(population, index, "sweden", "Folketall"), "sweden", "Folketallet")
    rec_raw = _values(reception, index, "sweden", "Mottaket (bosatte flyktninger de siste årene)")
    if rec_raw.sum() <= 0:
        rec = pop  # nobody has received anyone: the component is neutral
    elif reception_compensates:
        rec = np.maximum(2 * pop - rec_raw / rec_raw.sum(), 0.0)
        rec = rec / rec.sum()
    else:
        rec = rec_raw / rec_raw.sum()
    shares = w[0] * lab + w[1] * pop + w[2] * rec
    return _series(shares / shares.sum(), index, "sweden")


def nrw_shares(
    population: pd.Series,
    area: pd.Series | None,
    *,
    population_weight: float = 0.9,
    area_weight: float = 0.1,
    max_uplift: float = 0.25,
) -> pd.Series:
    """North Rhine-Westphalia: 90 % population + 10 % area, the area uplift capped at +25 % of the population quota.

    A municipality's share may not exceed (1 + max_uplift) × its population share; the excess of those above the
    cap is given to the others in proportion to their shares, repeated until nobody is above (water-filling).
    """
    index = _index_of(population)
    if min(population_weight, area_weight, max_uplift) < 0 or not np.isclose(population_weight + area_weight, 1.0):
        raise ValueError("population_weight and area_weight must be non-negative and sum to 1; max_uplift >= 0.")
    pop = _normalise(_values(population, index, "nrw", "Folketall"), "nrw", "Folketallet")
    ar = _normalise(_values(area, index, "nrw", "Areal"), "nrw", "Arealet")
    shares = population_weight * pop + area_weight * ar
    cap = (1 + max_uplift) * pop
    fixed = np.zeros(len(shares), dtype=bool)
    for _ in range(len(shares)):
        over = ~fixed & (shares > cap * (1 + 1e-12))
        if not over.any():
            break
        fixed |= over
        shares = np.where(fixed, cap, shares)
        free = ~fixed
        # Scale the uncapped ones so the shares again sum to 1 (proportional redistribution of the excess).
        shares = np.where(free, shares * (1 - cap[fixed].sum()) / shares[free].sum(), shares)
    return _series(shares, index, "nrw")


def danish_shares(population: pd.Series, immigrant_stock: pd.Series | None) -> pd.Series:
    """Denmark: 2 × population share − share of the immigrants and refugees already living there; negatives -> 0.

    The result is renormalised to sum 1, so what the negative municipalities would have "given back" goes to the
    others in proportion.  (Denmark also adds and subtracts family reunifications; that part is left out here.)
    Raises KeyUnavailableError when the immigrant stock is missing.
    """
    index = _index_of(population)
    pop = _normalise(_values(population, index, "denmark", "Folketall"), "denmark", "Folketallet")
    stock = _normalise(
        _values(immigrant_stock, index, "denmark", "Antall innvandrere og flyktninger som bor i kommunen"),
        "denmark",
        "Antall innvandrere og flyktninger",
    )
    raw = np.maximum(2 * pop - stock, 0.0)
    return _series(raw / raw.sum(), index, "denmark")


def reference_shares(
    population: pd.Series,
    *,
    last_year: pd.Series | None = None,
    labour_market: pd.Series | None = None,
    reception: pd.Series | None = None,
    area: pd.Series | None = None,
    immigrant_stock: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every reference key that the inputs allow, as share columns; and {key: Norwegian reason} for those left out."""
    index = _index_of(population)
    builders = {
        "population": lambda: population_shares(population),
        "continuity": lambda: continuity_shares(last_year, index),
        "sweden": lambda: swedish_shares(labour_market, population, reception),
        "nrw": lambda: nrw_shares(population, area),
        "denmark": lambda: danish_shares(population, immigrant_stock),
    }
    columns: dict[str, pd.Series] = {}
    left_out: dict[str, str] = {}
    for key, build in builders.items():
        try:
            columns[key] = build()
        except KeyUnavailableError as exc:
            left_out[key] = exc.reason
    return pd.DataFrame(columns, index=index.copy()), left_out


def reference_key_table(
    total: int,
    population: pd.Series,
    *,
    last_year: pd.Series | None = None,
    labour_market: pd.Series | None = None,
    reception: pd.Series | None = None,
    area: pd.Series | None = None,
    immigrant_stock: pd.Series | None = None,
    minimum: int = 10,
    maximum: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every available reference key apportioned to whole numbers with the recommendation's own rule.

    Returns (table with one int64 column per key, {key: Norwegian reason} for keys left out).  A key whose
    numbers cannot meet the bounds (an AllocationError) is also left out, with that error's message.
    """
    shares, left_out = reference_shares(
        population,
        last_year=last_year,
        labour_market=labour_market,
        reception=reception,
        area=area,
        immigrant_stock=immigrant_stock,
    )
    columns: dict[str, pd.Series] = {}
    for key in shares.columns:
        try:
            columns[key] = apportion(
                shares[key], total, minimum=minimum, maximum=maximum, method=method, exceptions=exceptions
            )
        except AllocationError as exc:
            left_out[key] = f"Kan ikke rundes til hele personer med minstetall og kapasiteter: {exc}"
    table = pd.DataFrame(columns, index=shares.index.copy())
    return table.astype("int64") if len(columns) else table, left_out


def labour_market_and_immigrant_stock(inputs: Inputs, population: pd.Series) -> tuple[
        pd.Series | None, pd.Series | None, dict[str, str]]:
    """The Swedish key's labour-market vector and the Danish key's immigrant stock, when the inputs exist.

    * Labour market (Sweden): population × (1 − registered unemployment / 100), i.e. the residents who are not
      registered as fully unemployed, using the same annual mean as the unemployment indicator. Employed persons by
      workplace would measure the labour market's size better, but no municipal figure for it is in the data; with
      unemployment between 1 and 4 % this vector stays close to population, so the Swedish key differs from
      population mainly through its reception part. Documented in the report next to the key.
    * Immigrant stock (Denmark): population × immigrant share / 100 (SSB 09817, 1 January of the same year as the
      population), the number of immigrants already living there.

    Either is None when its table is missing or has no values for the county; a municipality without a value makes
    the key left out (reference_keys never guesses). Returns (labour market, stock, {key: what was used}).
    """
    used: dict[str, str] = {}
    labour = stock = None
    try:
        rate, year = unemployment_rate(inputs)
        labour = population * (1 - rate.reindex(population.index).astype("float64") / 100)
        used["sweden"] = (f"Arbeidsmarkedsdelen er folketallet × (1 − registrert ledighet {year}, NAV), altså bosatte som "
                          f"ikke er registrert helt ledige; den ligger nær folketallet fordi ledigheten bare er "
                          f"{format_decimal(float(rate.min()), 1)}–{format_decimal(float(rate.max()), 1)} %. Mottaket er "
                          "bosatte flyktninger de siste årene.")
    except IndicatorUnavailable:
        pass
    try:
        share, year = immigrant_share_rate(inputs)
        stock = population * share.reindex(population.index).astype("float64") / 100
        used["denmark"] = (f"Innvandrerne som allerede bor der er regnet som folketallet × innvandrerandelen 1. januar "
                           f"{year} (SSB 09817).")
    except IndicatorUnavailable:
        pass
    return labour, stock, used
