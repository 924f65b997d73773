"""Indicators per municipality from the processed tables, each with its source, year, unit and kind.

The year's criteria (``modell.kriterier``) each name one indicator; the anchor model (:mod:`bosetting_lib.model.anchor`)
scores the municipalities on it within the county and tilts their base by at most the criterion's strength. ``type``
says whether the indicator is a count (``antall``) or a rate or score (``rate``), for the report's method appendix.
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
    labour: pd.DataFrame | None = None  # NAV registered unemployment, annual means (processed table ledighet)
    immigrant_share: pd.DataFrame | None = None  # SSB 09817 immigrants in % of the population (innvandrerandel)
    example_inputs: frozenset[str] = field(default_factory=frozenset)
    # IMDi years whose «bosatte» cover only part of the year (see freshness.partial_imdi_years); no rate uses them
    partial_years: frozenset[int] = field(default_factory=frozenset)

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


def _ratio(inputs: Inputs, numerator: str, denominator: str, cap: float,
           skip: frozenset[int] = frozenset()) -> tuple[pd.Series, pd.DataFrame]:
    num, den = _wide(inputs.settlement, numerator), _wide(inputs.settlement, denominator)
    years = num.columns.intersection(den.columns)
    years = years[~years.isin(list(skip))]
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
    # A year still running (IMDi's table for the year the parameters are made in) would count half a year's settled
    # against a whole year's decisions.
    series, num = _ratio(inputs, "bosatte", "vedtatt", cap=1.2, skip=inputs.partial_years)
    partial = "".join(f"; {y} er utelatt fordi året ikke var omme da tabellen ble laget" for y in sorted(inputs.partial_years))
    return series, IndicatorInfo(
        "levering", "Bosatt andel av vedtaket (bosatt per vedtatt)",
        "Summen av bosatte delt på summen av vedtak i årene der begge tallene er publisert (høyst 1,2); år med "
        "prikkede tall regnes ikke med" + partial, "IMDi, Nøkkeltall bosetting", _years(num), "andel", RATE, "ekte",
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


def settled_per_1000_latest(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Refugees settled in the latest calendar year public in the spring of the run (year − 2) per 1 000 inhabitants
    on 1 January of the year before: the anchor model's spreading tilt, measured as the walk-forward backtest measured
    it (bosetting_lib.model.walkforward.criteria_from_known). A suppressed count leaves the municipality without a value."""
    if inputs.settled_refugees is None:
        raise IndicatorUnavailable("bosatte flyktninger per år finnes ikke i inndataene")
    settled = _wide(inputs.settled_refugees, "bosatte_flyktninger")
    years = [y for y in settled.columns if y <= inputs.year - 2]
    if not years:
        raise IndicatorUnavailable(f"bosatte flyktninger for {inputs.year - 2} eller tidligere finnes ikke i inndataene")
    year = max(years)
    pop = _values(inputs.population, "folketall")
    pop = pop.loc[pop["aar"] == inputs.year - 1].set_index("kommunenummer")["verdi"].reindex(inputs.codes)
    per_1000 = settled[year].reindex(inputs.codes).astype("Float64") / pop.astype("Float64") * 1000
    return per_1000, IndicatorInfo(
        "bosatte_per_1000_sist", "Bosatte flyktninger per innbygger sist",
        f"Bosatte flyktninger i {year} per 1 000 innbyggere 1. januar {inputs.year - 1}; kommunene rangeres innen "
        "fylket, så et år som ikke var omme da tallene ble hentet, teller likt for alle", "IMDi (bosatte per kalenderår), SSB 07459", str(year), "per 1 000 innbyggere", RATE, "ekte",
        "en kommune uten tall (prikket) får ingen vipping fra dette kriteriet og flagges",
    )


def gp_capacity(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Free capacity on the GP lists (100 = lists full): a measure of the municipality's services."""
    if inputs.gp_capacity is None:
        raise IndicatorUnavailable("fastlegestatistikken (SSB 12005) finnes ikke i inndataene")
    wide = _wide(inputs.gp_capacity, "lege_reservekapasitet")
    latest = max(wide.columns)
    return wide[latest].reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "fastlege_reservekapasitet", "Ledig fastlegekapasitet",
        "Reservekapasitet på fastlegelistene (100 = fulle lister, over 100 = ledige plasser)", "SSB, tabell 12005",
        str(latest), "indeks", RATE, "ekte",
    )


def labour_market_centrality(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Access to a regional labour market, from SSB's centrality class (1 most central, 6 least): score 7 − class."""
    if inputs.centrality is None:
        raise IndicatorUnavailable("sentralitetsklassene (SSB KLASS 128) finnes ikke i inndataene")
    wide = _wide(inputs.centrality, "sentralitetsklasse")
    latest = max(wide.columns)
    try:
        unemployment_rate(inputs)
        why = "Utfyller kommunens egen ledighet med arbeidsmarkedet innen pendleravstand"
    except IndicatorUnavailable:
        why = "Brukes fordi kommunetall for ledighet og sysselsetting mangler for fylket"
    return (7 - wide[latest]).reindex(inputs.codes).astype("Float64"), IndicatorInfo(
        "arbeidsmarked_sentralitet", "Regionalt arbeidsmarked (sentralitet)",
        "Tilgang til arbeidsplasser og tjenester innen reiseavstand, målt ved SSBs sentralitetsklasse (poeng = 7 − "
        f"klasse, så klasse 1 gir 6 poeng og klasse 6 gir 1). {why}", "SSB, KLASS 128 sentralitet", str(latest),
        "poeng 1–6", RATE, "ekte",
    )


def _latest_before(inputs: Inputs, tidy: pd.DataFrame | None, variable: str, missing: str) -> tuple[pd.Series, int]:
    """The variable's values in the latest year before the analysed one that has any value for the county.

    Raises IndicatorUnavailable (with ``missing`` as the reason) when the table is absent or has no such value: a
    county the file does not cover gets the documented rule for a missing indicator, never zeros.
    """
    if tidy is None or _values(tidy, variable).empty:
        raise IndicatorUnavailable(missing)
    wide = _wide(tidy, variable)
    years = [y for y in wide.columns if y < inputs.year and wide[y].notna().any()]
    if not years:
        raise IndicatorUnavailable(f"{missing} for årene før {inputs.year}")
    year = max(years)
    return wide[year].reindex(inputs.codes).astype("Float64"), int(year)


def _reversed(rate: pd.Series) -> pd.Series:
    """A rate turned round on its own scale (max + min − rate): the lowest value gets the highest score, and the scores
    keep the rates' spread, so a municipality at the county's lowest scores as much as the highest rate and the
    highest scores as much as the lowest. A missing value stays missing (the key gives it the neutral share)."""
    return rate.max() + rate.min() - rate


def unemployment_rate(inputs: Inputs) -> tuple[pd.Series, int]:
    """Registered fully unemployed (NAV) in % of the labour force, mean of the twelve months of the latest whole year
    before the analysed one, and that year. Also the input of the Swedish reference key's labour-market part."""
    return _latest_before(inputs, inputs.labour, "helt_ledige_prosent",
                          "kommunetall for registrert ledighet (NAV) finnes ikke i inndataene for fylkets kommuner")


def unemployment(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """Registered unemployment (NAV) turned into a score: lower unemployment gives more weight.

    The annual figure is derived by the library: the mean of NAV's twelve monthly percentages in the latest whole
    calendar year before the analysed one (2025 for 2026), not NAV's own published annual average.
    """
    rate, year = unemployment_rate(inputs)
    return _reversed(rate), IndicatorInfo(
        "ledighet", "Arbeidsmarked: lav ledighet",
        f"Registrerte helt ledige i prosent av arbeidsstyrken, gjennomsnittet av de tolv månedstallene i {year} (regnet ut "
        "her, ikke NAVs publiserte årssnitt), snudd på samme skala (høyeste + laveste − kommunens) slik at lav ledighet "
        "gir høy verdi", "NAV (registrerte helt ledige per kommune og måned)", str(year), "prosent (snudd)", RATE,
        "eksempel" if "ledighet" in inputs.example_inputs else "ekte",
    )


def immigrant_share_rate(inputs: Inputs) -> tuple[pd.Series, int]:
    """Immigrants (SSB 09817, not Norwegian-born children of immigrants) in % of the population on 1 January of the
    latest year before the analysed one (the same date as the population figure), and that year. Also the input of
    the Danish reference key's stock correction."""
    return _latest_before(inputs, inputs.immigrant_share, "innvandrerandel",
                          "kommunetall for innvandrerandelen (SSB 09817) finnes ikke i inndataene for fylkets kommuner")


def immigrant_share(inputs: Inputs) -> tuple[pd.Series, IndicatorInfo]:
    """The 2026 criterion "avoid settling in areas with a high immigrant share": a lower share gives more weight.

    The share is turned round on its own scale like unemployment (max + min − share). Values are used as published;
    the bundled Telemark figures are whole percentages truncated by their source, so the true share lies in
    [value, value + 1) and municipalities one point apart may differ by less.
    """
    share, year = immigrant_share_rate(inputs)
    whole = bool(share.dropna().eq(share.dropna().round()).all())
    note = (" Tallene er oppgitt i hele prosent (de medfølgende for Telemark er avkortet i kilden, så den sanne andelen "
            "ligger mellom tallet og ett prosentpoeng over)." if whole and share.notna().any() else "")
    return _reversed(share), IndicatorInfo(
        "innvandrerandel", "Lav innvandrerandel",
        f"Innvandrere i prosent av befolkningen 1. januar {year}, snudd på samme skala (høyeste + laveste − kommunens) "
        "slik at lav andel gir høy verdi: årets føring om å unngå bosetting i områder med høy innvandrerandel." + note,
        "SSB, tabell 09817", str(year), "prosent (snudd)", RATE,
        "eksempel" if "innvandrerandel" in inputs.example_inputs else "ekte",
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
        "personer", COUNT, "eksempel" if "tilbakemeldinger" in inputs.example_inputs else "ekte",
    )


INDICATORS: dict[str, Callable[[Inputs], tuple[pd.Series, IndicatorInfo]]] = {
    "folketall": population,
    "vedtatt_snitt": decisions_mean,
    "vilje": willingness,
    "levering": delivery,
    "bosatte_per_1000": settled_per_1000,
    "bosatte_per_1000_sist": settled_per_1000_latest,
    "fastlege_reservekapasitet": gp_capacity,
    "arbeidsmarked_sentralitet": labour_market_centrality,
    "ledighet": unemployment,
    "innvandrerandel": immigrant_share,
    "oppgitt_kapasitet": stated_capacity,
}


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
