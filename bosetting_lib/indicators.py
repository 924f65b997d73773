"""Indicators per municipality from the processed tables, each with its source, year, unit and kind.

Two kinds turn into shares in different ways (see :mod:`bosetting_lib.key`):

* ``antall`` (a count, e.g. population or persons decided): the share is the municipality's part of the sum.
* ``rate`` (a rate or score, e.g. settled per decided): the share is a base count scaled up or down by the rate,
  ``grunnlag × rate`` as a part of its sum, where the criterion names its base (population or the municipality's
  settlement history); a rate alone would give a village the same share as a city.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pandas as pd

COUNT = "antall"
RATE = "rate"


@dataclass(frozen=True)
class IndicatorInfo:
    """What an indicator measures and where it comes from, for the report's method appendix."""

    id: str
    navn: str
    beskrivelse: str
    kilde: str
    aar: str
    enhet: str
    type: str  # COUNT or RATE
    datatype: str  # "ekte" (published statistics) or "eksempel" (example data)
    manglende: str = "en kommune uten verdi får en nøytral andel (lik befolkningsandelen) og flagges"


@dataclass(frozen=True)
class Inputs:
    """The processed tables the indicators are computed from (tidy, on the analysed year's structure)."""

    municipalities: pd.DataFrame
    population: pd.DataFrame
    settlement: pd.DataFrame
    year: int
    settled_refugees: pd.DataFrame | None = None
    centrality: pd.DataFrame | None = None
    gp_capacity: pd.DataFrame | None = None
    feedback: pd.DataFrame | None = None
    labour: pd.DataFrame | None = None
    example_inputs: frozenset[str] = field(default_factory=frozenset)

    @property
    def codes(self) -> pd.Index:
        return pd.Index(self.municipalities["kommunenummer"], name="kommunenummer")


class IndicatorUnavailable(Exception):
    """The input an indicator needs is not in the data; the message (Norwegian) says which."""


def _values(tidy: pd.DataFrame, variable: str) -> pd.DataFrame:
    return tidy.loc[tidy["variabel"] == variable]


def _wide(tidy: pd.DataFrame, variable: str) -> pd.DataFrame:
    """One column per year for a variable, NA where a symbol stands."""
    rows = _values(tidy, variable)
    return rows.pivot(index="kommunenummer", columns="aar", values="verdi")


def _years(frame: pd.DataFrame) -> str:
    return ", ".join(str(int(y)) for y in sorted(frame.columns))


def population(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Population on 1 January of the year before the recommendation (the latest figure known in spring)."""
    reference_year = inputs.year - 1
    rows = _values(inputs.population, "folketall")
    series = rows.loc[rows["aar"] == reference_year].set_index("kommunenummer")["verdi"].reindex(inputs.codes)
    return series, IndicatorInfo(
        "folketall", "Folketall", f"Folkemengde 1. januar {reference_year}", "SSB, tabell 07459",
        str(reference_year), "personer", COUNT, "ekte", "alle kommuner må ha folketall; ellers stopper kjøringen",
    )


def decisions_mean(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Mean number of refugees the municipality decided to settle, over the years IMDi's tables exist."""
    rows = _values(inputs.settlement, "vedtatt").copy()
    # "-" means IMDi did not ask, so the municipality could not decide: that year is left out of its mean rather
    # than counted as a "no" (counting it as 0 would let last year's cut lock itself in).
    wide = rows.pivot(index="kommunenummer", columns="aar", values="verdi")
    series = wide.mean(axis=1, skipna=True).reindex(inputs.codes)
    return series, IndicatorInfo(
        "vedtatt_snitt", "Vedtak om bosetting (snitt)",
        "Gjennomsnittlig antall personer kommunen vedtok å bosette per år", "IMDi, Nøkkeltall bosetting",
        _years(wide), "personer per år", COUNT, "ekte",
        "år uten tall regnes ikke med: «-» (ikke anmodet, så intet vedtak), «avventer vedtak» og prikkede tall; en "
        "kommune uten noe vedtak i årene får en nøytral andel",
    )


def _ratio(inputs: Inputs, numerator: str, denominator: str, cap: float) -> tuple[pd.Series, pd.DataFrame]:
    num, den = _wide(inputs.settlement, numerator), _wide(inputs.settlement, denominator)
    years = num.columns.intersection(den.columns)
    num, den = num[years], den[years]
    usable = num.notna() & den.notna() & (den > 0)
    ratio = num.where(usable).sum(axis=1) / den.where(usable).sum(axis=1)
    ratio = ratio.where(usable.any(axis=1)).clip(upper=cap)
    return ratio.reindex(inputs.codes).astype("Float64"), num


def willingness(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Decided per requested, summed over the years: the willingness to say yes to IMDi's request."""
    series, num = _ratio(inputs, "vedtatt", "anmodet", cap=1.2)
    return series, IndicatorInfo(
        "vilje", "Vilje (vedtatt per anmodet)",
        "Summen av vedtak delt på summen av anmodninger i årene med tall (høyst 1,2: i 2025 ble anmodningen kuttet "
        "etter at mange hadde vedtatt)", "IMDi, Nøkkeltall bosetting", _years(num), "andel", RATE, "ekte",
    )


def delivery(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Settled per decided, summed over the years: whether the municipality settles what it agreed to."""
    series, num = _ratio(inputs, "bosatte", "vedtatt", cap=1.2)
    return series, IndicatorInfo(
        "levering", "Rask bosetting (bosatt per vedtatt)",
        "Summen av bosatte delt på summen av vedtak i årene der begge tallene er publisert (høyst 1,2); år med "
        "prikkede tall regnes ikke med", "IMDi, Nøkkeltall bosetting", _years(num), "andel", RATE, "ekte",
    )


def settled_per_1000(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Refugees settled per 1 000 inhabitants per year, over the full calendar years available."""
    if inputs.settled_refugees is None:
        raise IndicatorUnavailable("bosatte flyktninger per år finnes ikke i inndataene")
    settled = _wide(inputs.settled_refugees, "bosatte_flyktninger")
    full_years = [y for y in settled.columns if y < inputs.year - 2]  # the latest year is partial
    settled = settled[full_years]
    pop = _wide(inputs.population, "folketall").reindex(columns=full_years)
    per_1000 = (settled / pop * 1000).mean(axis=1, skipna=True)
    return per_1000.reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "bosatte_per_1000", "Bosatte per 1 000 innbyggere",
        "Bosatte flyktninger per 1 000 innbyggere per år (gjennomsnitt); år med prikkede tall regnes ikke med",
        "IMDi (bosatte per kalenderår), SSB 07459", _years(settled), "per 1 000 innbyggere", RATE, "ekte",
    )


def gp_capacity(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Free capacity on the GP lists (100 = lists full): a measure of the municipality's services."""
    if inputs.gp_capacity is None:
        raise IndicatorUnavailable("fastlegestatistikken (SSB 12005) finnes ikke i inndataene")
    wide = _wide(inputs.gp_capacity, "lege_reservekapasitet")
    latest = max(wide.columns)
    return wide[latest].reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "fastlege_reservekapasitet", "Tjenester: ledig kapasitet hos fastlegene",
        "Reservekapasitet på fastlegelistene (100 = fulle lister, over 100 = ledige plasser)", "SSB, tabell 12005",
        str(latest), "indeks", RATE, "ekte",
    )


def labour_market_centrality(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Access to a regional labour market, from SSB's centrality class (1 most central, 6 least): score 7 − class."""
    if inputs.centrality is None:
        raise IndicatorUnavailable("sentralitetsklassene (SSB KLASS 128) finnes ikke i inndataene")
    wide = _wide(inputs.centrality, "sentralitetsklasse")
    latest = max(wide.columns)
    return (7 - wide[latest]).reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "arbeidsmarked_sentralitet", "Regionalt arbeidsmarked (sentralitet)",
        "Tilgang til arbeidsplasser og tjenester innen reiseavstand, målt ved SSBs sentralitetsklasse (poeng = 7 − "
        "klasse, så klasse 1 gir 6 poeng og klasse 6 gir 1). Brukes fordi kommunetall for ledighet og sysselsetting "
        "mangler for fylket", "SSB, KLASS 128 sentralitet", str(latest), "poeng 1–6", RATE, "ekte",
    )


def unemployment(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Registered unemployment (NAV) turned into a score: lower unemployment gives more weight."""
    if inputs.labour is None or _values(inputs.labour, "helt_ledige_prosent").empty:
        raise IndicatorUnavailable("kommunetall for registrert ledighet (NAV) finnes ikke i inndataene")
    wide = _wide(inputs.labour, "helt_ledige_prosent")
    latest = max(wide.columns)
    rate = wide[latest]
    score = rate.max() + rate.min() - rate  # reversed on the same scale: lowest unemployment gets the highest score
    return score.reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "ledighet", "Arbeidsmarked: lav ledighet", "Registrerte helt ledige i prosent av arbeidsstyrken, snudd slik "
        "at lav ledighet gir høy verdi", "NAV", str(latest), "prosent (snudd)", RATE,
        "eksempel" if "labour" in inputs.example_inputs else "ekte",
    )


def stated_capacity(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """The capacity the municipality states in the feedback round (upper end of the range)."""
    if inputs.feedback is None:
        raise IndicatorUnavailable("tilbakemeldinger fra kommunene finnes ikke i inndataene")
    fb = inputs.feedback.set_index("kommunenummer")
    series = fb["kapasitet_maks"].astype("Float64").reindex(inputs.codes)
    return series, IndicatorInfo(
        "oppgitt_kapasitet", "Oppgitt kapasitet (tilbakemelding)", "Antall kommunen selv sier den kan bosette "
        "(øvre grense når svaret er et spenn)", "Kommunenes tilbakemeldinger til fylkeskommunen", str(inputs.year),
        "personer", COUNT, "eksempel" if "feedback" in inputs.example_inputs else "ekte",
    )


INDICATORS: dict[str, Callable[[Inputs], tuple[pd.Series, IndicatorInfo]]] = {
    "folketall": population,
    "vedtatt_snitt": decisions_mean,
    "vilje": willingness,
    "levering": delivery,
    "bosatte_per_1000": settled_per_1000,
    "fastlege_reservekapasitet": gp_capacity,
    "arbeidsmarked_sentralitet": labour_market_centrality,
    "ledighet": unemployment,
    "oppgitt_kapasitet": stated_capacity,
}
KINDS = {"folketall": COUNT, "vedtatt_snitt": COUNT, "oppgitt_kapasitet": COUNT}


def build_indicators(inputs: Inputs, wanted: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Values (index kommunenummer, one column per indicator), metadata rows, and unavailable indicators with reasons."""
    names = wanted if wanted is not None else list(INDICATORS)
    unknown = [name for name in names if name not in INDICATORS]
    if unknown:
        raise KeyError(f"ukjent indikator: {', '.join(unknown)}; kjente er {', '.join(INDICATORS)}")
    columns, infos, unavailable = {}, [], {}
    for name in names:
        try:
            series, info = INDICATORS[name](inputs)
        except IndicatorUnavailable as reason:
            unavailable[name] = str(reason)
            continue
        columns[name] = series.astype("Float64")
        infos.append(asdict(info))
    values = pd.DataFrame(columns, index=inputs.codes)
    return values, pd.DataFrame(infos), unavailable
