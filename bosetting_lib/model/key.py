"""The distribution key: one share vector per criterion, weighted into one key, with each criterion's contribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bosetting_lib.errors import BosettingError
from bosetting_lib.formatting import format_percent
from bosetting_lib.model.indicators import COUNT
from bosetting_lib.config.params import Criterion


@dataclass(frozen=True)
class Key:
    """The key and everything needed to explain it."""

    shares: pd.DataFrame  # index kommunenummer, one column per criterion used, each summing to 1
    weights: dict[str, float]  # the weights actually used (after redistributing unavailable criteria)
    key: pd.Series  # the weighted sum, sums to 1
    flags: pd.DataFrame  # kommunenummer, kriterium, flagg: municipalities given a neutral share
    notes: list[str]  # Norwegian notes on criteria left out and weights redistributed


def effective_weights(criteria: tuple[Criterion, ...] | list[Criterion], unavailable: dict[str, str]) -> tuple[dict[str, float], list[str]]:
    """Weights of the criteria whose indicator exists; a left-out criterion's weight goes to the others in proportion."""
    used = [c for c in criteria if c.indikator not in unavailable and c.vekt > 0]
    left_out = [c for c in criteria if c.indikator in unavailable and c.vekt > 0]
    if not used:
        raise BosettingError("Ingen av kriteriene har data; nøkkelen kan ikke regnes ut.")
    total = sum(c.vekt for c in used)
    weights = {c.id: c.vekt / total for c in used}
    notes = [
        f"Kriteriet «{c.navn}» (vekt {format_percent(c.vekt, 0)}) er utelatt fordi {unavailable[c.indikator]}; vekten er fordelt "
        "forholdsmessig på de andre kriteriene." for c in left_out
    ]
    return weights, notes


def _share(values: pd.Series, kind: str, population: pd.Series, scale: pd.Series) -> tuple[pd.Series, pd.Index]:
    """Shares for one indicator; a municipality without a value gets its population share (neutral).

    A count gives shares directly; a rate scales ``scale`` (population, or the settlement history) up or down.
    """
    pop_share = population / population.sum()
    present = values.notna() & (scale.notna() if kind != COUNT else True)
    base = values.astype("float64") if kind == COUNT else values.astype("float64") * scale.astype("float64")
    if (base[present] < 0).any():
        raise BosettingError("En indikator har negative verdier og kan ikke gi andeler.")
    room = 1.0 - pop_share[~present].sum()
    base_sum = base[present].sum()
    share = pd.Series(0.0, index=values.index)
    if base_sum > 0:
        share[present] = base[present] / base_sum * room
    else:
        share = pop_share.copy()
    share[~present] = pop_share[~present]
    return share, values.index[~present]


def build_key(
    indicators: pd.DataFrame,
    info: pd.DataFrame,
    criteria: tuple[Criterion, ...] | list[Criterion],
    unavailable: dict[str, str],
    population: pd.Series,
) -> Key:
    """Shares per criterion, the weighted key, and flags for every neutral share given."""
    if population.isna().any() or (population <= 0).any():
        raise BosettingError("Alle kommuner må ha et folketall over 0 for å regne ut nøkkelen.")
    weights, notes = effective_weights(criteria, unavailable)
    kinds = info.set_index("id")["type"].to_dict() if not info.empty else {}
    shares, flags = {}, []
    for criterion in criteria:
        if criterion.id not in weights:
            continue
        if criterion.grunnlag not in indicators.columns:
            raise BosettingError(f"Kriteriet «{criterion.navn}» har grunnlag «{criterion.grunnlag}», som ikke er en "
                                 f"beregnet indikator ({', '.join(indicators.columns)}).")
        share, missing = _share(indicators[criterion.indikator], kinds.get(criterion.indikator, COUNT), population,
                                indicators[criterion.grunnlag])
        shares[criterion.id] = share
        flags += [{"kommunenummer": code, "kriterium": criterion.id,
                   "flagg": f"mangler verdi for «{criterion.navn}»; fikk nøytral andel (befolkningsandel)"} for code in missing]
    frame = pd.DataFrame(shares, index=indicators.index)
    key = weighted_key(frame, weights)
    return Key(frame, weights, key, pd.DataFrame(flags, columns=["kommunenummer", "kriterium", "flagg"]), notes)


def weighted_key(shares: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """The key: the weighted sum of the criteria's share vectors (sums to 1 when the weights do)."""
    weight_vector = pd.Series(weights).reindex(shares.columns).fillna(0.0)
    return (shares * weight_vector).sum(axis=1).rename("nokkel")


def contributions(shares: pd.DataFrame, weights: dict[str, float], total: int) -> pd.DataFrame:
    """Persons each criterion contributes to each municipality's (unrounded) number: share × weight × total."""
    weight_vector = pd.Series(weights).reindex(shares.columns).fillna(0.0)
    return shares * weight_vector * total


def placed_differently(key: pd.Series, base: pd.Series) -> float:
    """The share of persons a key places in another municipality than ``base`` (shares) would: half the L1 distance."""
    base_share = base.fillna(0) / base.fillna(0).sum()
    return float((key - base_share).abs().sum() / 2)


def population_influence(key: pd.Series, population: pd.Series) -> dict[str, float | None]:
    """How much the key simply follows population: correlation, and the share of persons placed differently."""
    pop_share = population / population.sum()
    if len(key) < 2 or np.isclose(key.std(), 0) or np.isclose(pop_share.std(), 0):
        # One municipality (Oslo) or equal shares: a correlation is not defined.
        return {"korrelasjon": None, "flyttet_andel": float((key - pop_share).abs().sum() / 2)}
    correlation = float(np.corrcoef(key.to_numpy(float), pop_share.to_numpy(float))[0, 1])
    moved = float((key - pop_share).abs().sum() / 2)  # share of the total that the key places away from population
    return {"korrelasjon": correlation, "flyttet_andel": moved}
