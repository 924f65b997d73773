"""Indicators per municipality from the processed tables, each with its source, year and unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class IndicatorInfo:
    """What an indicator measures and where it comes from, for the report's method appendix."""

    id: str
    navn: str
    beskrivelse: str
    kilde: str
    aar: str
    enhet: str
    datatype: str  # "ekte" (published statistics) or "eksempel" (example data)
    manglende: str  # the documented rule for municipalities without a value


@dataclass(frozen=True)
class Inputs:
    """The processed tables the indicators are computed from (tidy, on the analysed year's structure)."""

    municipalities: pd.DataFrame
    population: pd.DataFrame
    settlement: pd.DataFrame
    year: int


def _values(tidy: pd.DataFrame, variable: str) -> pd.DataFrame:
    return tidy.loc[tidy["variabel"] == variable]


def population(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Population on 1 January of the year before the recommendation (the latest figure known in spring)."""
    reference_year = inputs.year - 1
    rows = _values(inputs.population, "folketall")
    rows = rows.loc[rows["aar"] == reference_year]
    series = rows.set_index("kommunenummer")["verdi"].reindex(inputs.municipalities["kommunenummer"])
    info = IndicatorInfo(
        "folketall", "Folketall", f"Folkemengde 1. januar {reference_year}", "SSB, tabell 07459",
        str(reference_year), "personer", "ekte", "ingen kommune skal mangle folketall; mangler det, stopper kjøringen",
    )
    return series.rename("folketall"), info


def decisions_mean(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Mean number of refugees the municipality decided to settle, over the years IMDi's tables exist."""
    rows = _values(inputs.settlement, "vedtatt").copy()
    # "-" means no decision because the request was 0: the municipality decided to settle nobody that year.
    no_request = rows["status"].eq("-").fillna(False)
    rows.loc[no_request, "verdi"] = 0.0
    years = sorted(rows["aar"].unique().tolist())
    series = rows.groupby("kommunenummer")["verdi"].mean().reindex(inputs.municipalities["kommunenummer"])
    info = IndicatorInfo(
        "vedtatt_snitt", "Vedtak om bosetting (gjennomsnitt)",
        "Gjennomsnittlig antall personer kommunen vedtok å bosette i årene " + ", ".join(str(y) for y in years),
        "IMDi, Nøkkeltall bosetting", ", ".join(str(y) for y in years), "personer per år", "ekte",
        "år uten tall (prikket eller «avventer vedtak») regnes ikke med i snittet; «-» (ikke anmodet) teller som 0",
    )
    return series.rename("vedtatt_snitt"), info


INDICATORS: dict[str, Callable[[Inputs], tuple[pd.Series, IndicatorInfo]]] = {
    "folketall": population,
    "vedtatt_snitt": decisions_mean,
}


def build_indicators(inputs: Inputs, wanted: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All (or the wanted) indicators: values indexed by kommunenummer, and one row of metadata per indicator."""
    names = wanted if wanted is not None else list(INDICATORS)
    unknown = [name for name in names if name not in INDICATORS]
    if unknown:
        raise KeyError(f"ukjent indikator: {', '.join(unknown)}; kjente er {', '.join(INDICATORS)}")
    columns, infos = {}, []
    for name in names:
        series, info = INDICATORS[name](inputs)
        columns[name] = series.astype("Float64")
        infos.append(asdict(info))
    values = pd.DataFrame(columns)
    values.index.name = "kommunenummer"
    return values, pd.DataFrame(infos)
