"""Walk-forward backtest: what a model would have recommended from what was known the spring before, against IMDi.

Pure functions of DataFrames; reading data/raw is in :mod:`bosetting_lib.model.backtest_data`.

No leakage, as data
-------------------
Every input table is a :class:`DatedTable` with a ``dated`` stamp: the first spring in which its figures were public.
A run for target year T sees the inputs only through :meth:`Catalogue.known_at` (a :class:`KnownInputs`), which
refuses (:class:`LeakageError`) to hand out any table dated after spring T − 1. The target year's own request is
read only by :meth:`Catalogue.evaluation_target`, which the harness uses for the county totals (the given input of
every run: IMDi's total per county) and for scoring, never passes to a model.

Metrics per (county, year), see :func:`metrics`
-----------------------------------------------
MAE and median absolute error in persons, Spearman's ρ (average ranks for ties), the share within ±20 %
(|model − IMDi| ≤ max(20 % of IMDi's number, 2 persons): the 2-person floor keeps the test meaningful for small
numbers, so an IMDi 0 counts as "within" only when the model says 0 (the rule allows nothing between 0 and the
minimum or an exception), and an IMDi 5 accepts 3–7), zeros right (IMDi 0 and model 0), false positives (IMDi 0,
model > 0), and agreement on 1–9 (IMDi asked 1–9 and the model proposes 1–9).

Baselines (:data:`BASELINES`), all apportioned with the project's own rule (:func:`bosetting_lib.model.allocation.apportion`,
Sainte-Laguë, minimum 10, no exceptions) to the county's actual total, so every model is compared at equal totals:
last request scaled (continuity), last decision scaled, the 50/50 mix of both, population share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bosetting_lib.model.allocation import apportion
from bosetting_lib.errors import BosettingError
from bosetting_lib.model.anchor import anchor_recommendation

NATIONAL = "00"
NATIONAL_NAME = "Hele landet"
TOLERANCE = 0.20
TOLERANCE_FLOOR = 2.0


class LeakageError(BosettingError):
    """A run asked for a table that was not public in the spring before its target year."""


@dataclass(frozen=True)
class DatedTable:
    """One variable for one year (kommunenummer, verdi, status), public from the spring of ``dated``."""

    variable: str
    year: int
    dated: int
    frame: pd.DataFrame
    source: str = ""


@dataclass(frozen=True)
class KnownInputs:
    """The inputs as they stood in the spring before ``target_year``; reading anything later raises LeakageError."""

    tables: tuple[DatedTable, ...]
    target_year: int

    @property
    def spring(self) -> int:
        return self.target_year - 1

    def years(self, variable: str) -> list[int]:
        """The years of ``variable`` that were public in spring ``target_year − 1``, ascending."""
        return sorted({t.year for t in self.tables if t.variable == variable and t.dated <= self.spring})

    def latest_year(self, variable: str) -> int | None:
        years = self.years(variable)
        return years[-1] if years else None

    def table(self, variable: str, year: int) -> pd.DataFrame:
        """The table (kommunenummer, verdi, status); LeakageError if it was dated after the spring before the target."""
        found = [t for t in self.tables if t.variable == variable and t.year == year]
        if not found:
            raise BosettingError(f"Tabellen «{variable}» for {year} finnes ikke i inndataene til etterprøvingen.")
        table = found[0]
        if table.dated > self.spring:
            raise LeakageError(
                f"Lekkasje: «{variable}» for {year} ble kjent først våren {table.dated}, men anbefalingen for "
                f"{self.target_year} lages våren {self.spring}. Bruk bare tabeller datert {self.spring} eller tidligere.")
        return table.frame

    def values(self, variable: str, year: int, codes: pd.Index) -> pd.Series:
        """The numbers (float, NaN where a symbol or nothing stands) on ``codes``."""
        frame = self.table(variable, year).drop_duplicates("kommunenummer").set_index("kommunenummer")
        return frame["verdi"].astype("Float64").astype("float64").reindex(codes)

    def status(self, variable: str, year: int, codes: pd.Index) -> pd.Series:
        """The symbol or text that stands instead of a number ("-", ":", "avventer vedtak"), NaN for a number."""
        frame = self.table(variable, year).drop_duplicates("kommunenummer").set_index("kommunenummer")
        return frame["status"].astype("object").reindex(codes)


@dataclass(frozen=True)
class Catalogue:
    """Every input table the backtest may use, each with its ``dated`` stamp."""

    tables: tuple[DatedTable, ...]

    def known_at(self, target_year: int) -> KnownInputs:
        """The view a run for ``target_year`` gets: only tables dated up to the spring before."""
        return KnownInputs(self.tables, target_year)

    def evaluation_target(self, year: int) -> pd.Series:
        """IMDi's actual request for ``year`` per municipality: the scoring target, never a model input."""
        found = [t for t in self.tables if t.variable == "anmodet" and t.year == year]
        if not found:
            raise BosettingError(f"IMDis anmodning for {year} finnes ikke; året kan ikke etterprøves.")
        frame = found[0].frame.drop_duplicates("kommunenummer").set_index("kommunenummer")
        return frame["verdi"].astype("Float64").astype("float64")

    def without(self, variable: str, year: int) -> Catalogue:
        """The same catalogue without one table (to see what an input is worth)."""
        return Catalogue(tuple(t for t in self.tables if not (t.variable == variable and t.year == year)))


# A model: (what was known, the county's municipality codes, the county's total) -> whole numbers on the codes.
Model = Callable[[KnownInputs, pd.Index, int], pd.Series]


@dataclass(frozen=True)
class Dating:
    """When a variable's figures for year Y became public: in the spring of ``Y + lag`` (or of ``fixed``)."""

    variable: str
    lag: int | None
    fixed: int | None
    why: str

    def dated(self, year: int) -> int:
        return self.fixed if self.fixed is not None else year + int(self.lag or 0)


# The no-leakage rule as data (see the module docstring for the reasons).
DATING: tuple[Dating, ...] = (
    Dating("anmodet", 0, None, "anmodningsbrevene for år Y sendes høsten Y − 1"),
    Dating("vedtatt", 0, None, "kommunestyrene vedtar vinteren Y − 1/Y (noen senere)"),
    Dating("bosatte", 1, None, "bosatte telles gjennom hele år Y"),
    Dating("herav_kollektiv_beskyttelse", 1, None, "bosatte telles gjennom hele år Y"),
    Dating("folketall", 0, None, "folketallet 1. januar Y publiseres i februar–mars Y"),
    Dating("bosatte_flyktninger", 1, None, "bosatte per kalenderår"),
    Dating("lege_reservekapasitet", 1, None, "fastlegestatistikken for år Y publiseres året etter"),
    Dating("sentralitetsklasse", None, 2024, "klassifiseringen gjelder fra 1. januar 2024"),
)
_DATING = {d.variable: d for d in DATING}


def dated(variable: str, year: int) -> int:
    """The first spring in which ``variable`` for ``year`` was public (KeyError for an undated variable)."""
    return _DATING[variable].dated(year)


def dated_tables(tidy: pd.DataFrame, source: str) -> list[DatedTable]:
    """One dated table per (variable, year) of a tidy frame; variables without a dating rule are left out."""
    out = []
    for (variable, year), part in tidy.groupby(["variabel", "aar"], sort=True):
        if variable not in _DATING:
            continue
        frame = part[["kommunenummer", "verdi", "status"]].reset_index(drop=True)
        out.append(DatedTable(str(variable), int(year), dated(str(variable), int(year)), frame, source))
    return out




def catalogue_from_tidy(frames: Iterable[pd.DataFrame], source: str = "") -> Catalogue:
    """A catalogue from tidy tables (kommunenummer, aar, variabel, verdi, status), each (variable, year) stamped by
    :data:`DATING`: e.g. a county run's own processed tables, already on its municipality structure."""
    tables: list[DatedTable] = []
    for frame in frames:
        if frame is not None and not frame.empty:
            tables += dated_tables(frame, source)
    return Catalogue(tuple(tables))


# ---------------------------------------------------------------------------------------------------------------
# History helpers shared by the baselines and the anchor model
# ---------------------------------------------------------------------------------------------------------------


def request(known: KnownInputs, year: int, codes: pd.Index) -> pd.Series:
    """IMDi's request for ``year``; a missing number counts as 0 only when IMDi's table says so (never here: NaN)."""
    return known.values("anmodet", year, codes)


def decision(known: KnownInputs, year: int, codes: pd.Index) -> pd.Series:
    """The council's decision for ``year``: "-" (no decision because the request was 0) is 0; a decision still
    awaited («avventer vedtak») or otherwise missing is NaN (callers fall back to the request)."""
    values = known.values("vedtatt", year, codes)
    status = known.status("vedtatt", year, codes)
    return values.mask(status.eq("-").fillna(False).astype(bool), 0.0)


def shares(values: pd.Series) -> pd.Series:
    """Shares of the sum (NaN counts as 0); all zero gives zeros."""
    v = values.fillna(0.0).clip(lower=0.0)
    total = float(v.sum())
    return v / total if total > 0 else v * 0.0


def latest_request_shares(known: KnownInputs, codes: pd.Index) -> pd.Series:
    year = _latest(known, "anmodet")
    return shares(request(known, year, codes))


def latest_decision_shares(known: KnownInputs, codes: pd.Index) -> pd.Series:
    year = _latest(known, "vedtatt")
    return shares(decision(known, year, codes).fillna(request(known, year, codes)))


def population_shares(known: KnownInputs, codes: pd.Index) -> pd.Series:
    """Population share on 1 January of the latest public year; a municipality without a figure that year (1508
    Ålesund and 1580 Haram before 2024) takes its last request's share of the county instead (flagged in the docs)."""
    year = _latest(known, "folketall")
    pop = known.values("folketall", year, codes)
    if pop.isna().any():
        req = latest_request_shares(known, codes)
        known_pop = pop.dropna()
        # scale the request share into persons of population so it can stand in the population vector
        stand_in = req * known_pop.sum() / max(float(req[pop.notna()].sum()), 1e-12)
        pop = pop.fillna(stand_in)
    return shares(pop)


def _latest(known: KnownInputs, variable: str) -> int:
    year = known.latest_year(variable)
    if year is None:
        raise BosettingError(f"Ingen tabell «{variable}» var kjent våren {known.spring}.")
    return year


def share_model(share_fn: Callable[[KnownInputs, pd.Index], pd.Series], *, minimum: int = 10,
                method: str = "sainte-lague") -> Model:
    """A model that apportions a share vector with the project's rule (no exceptions)."""
    def model(known: KnownInputs, codes: pd.Index, total: int) -> pd.Series:
        return apportion(share_fn(known, codes), total, minimum=minimum, method=method)
    return model


def mix_shares(known: KnownInputs, codes: pd.Index) -> pd.Series:
    return 0.5 * latest_request_shares(known, codes) + 0.5 * latest_decision_shares(known, codes)


BASELINES: dict[str, Callable[[KnownInputs, pd.Index], pd.Series]] = {
    "kontinuitet_anmodet": latest_request_shares,   # last request scaled: "continuity"
    "kontinuitet_vedtatt": latest_decision_shares,  # last decision scaled
    "kontinuitet_blandet": mix_shares,               # half of each
    "folketall": population_shares,
}
CONTINUITY = "kontinuitet_anmodet"


# ---------------------------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------------------------


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman's ρ with average ranks for ties; NaN when either side is constant or there are fewer than 2 values."""
    if len(a) < 2:
        return float("nan")
    ra, rb = a.rank(method="average").to_numpy(float), b.rank(method="average").to_numpy(float)
    if np.isclose(ra.std(), 0) or np.isclose(rb.std(), 0):
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def within(actual: pd.Series, model: pd.Series, *, tolerance: float = TOLERANCE,
           floor: float = TOLERANCE_FLOOR) -> pd.Series:
    """Whether each model number is within ±``tolerance`` of IMDi's, with at least ``floor`` persons of slack."""
    return (model - actual).abs() <= np.maximum(tolerance * actual.abs(), floor)


def metrics(actual: pd.Series, model: pd.Series, *, minimum: int = 10) -> dict[str, float | int]:
    """The backtest metrics for one group of municipalities (aligned Series; NaN in ``actual`` is left out)."""
    both = actual.notna() & model.notna()
    a, m = actual[both].astype(float), model[both].astype(float)
    err = (m - a).abs()
    small_a = (a > 0) & (a < minimum)
    small_m = (m > 0) & (m < minimum)
    return {
        "kommuner": int(both.sum()),
        "mae": float(err.mean()) if len(err) else float("nan"),
        "median_ae": float(err.median()) if len(err) else float("nan"),
        "rho": spearman(a, m),
        "innen_20": float(within(a, m).mean()) if len(err) else float("nan"),
        "imdi_null": int((a == 0).sum()),
        "null_riktig": int(((a == 0) & (m == 0)).sum()),
        "falske_positive": int(((a == 0) & (m > 0)).sum()),
        "imdi_1_9": int(small_a.sum()),
        "enige_1_9": int((small_a & small_m).sum()),
        "modell_1_9": int(small_m.sum()),
    }


# ---------------------------------------------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------------------------------------------


def county_totals(catalogue: Catalogue, municipalities: pd.DataFrame, year: int) -> pd.Series:
    """Each county's total request for ``year`` (the input every run starts from), by fylkesnummer."""
    actual = catalogue.evaluation_target(year).reindex(municipalities["kommunenummer"])
    if actual.isna().any():
        missing = actual.index[actual.isna()].tolist()
        raise BosettingError(f"IMDis anmodning for {year} mangler tall for {', '.join(missing[:10])}.")
    return actual.groupby(municipalities["fylkesnummer"].to_numpy()).sum().round().astype("int64")


def predictions(catalogue: Catalogue, municipalities: pd.DataFrame, years: Iterable[int],
                models: dict[str, Model]) -> pd.DataFrame:
    """Every model's number for every municipality and target year, with IMDi's actual request beside it (long)."""
    rows = []
    for year in years:
        known = catalogue.known_at(year)
        totals = county_totals(catalogue, municipalities, year)
        actual = catalogue.evaluation_target(year)
        for county, part in municipalities.groupby("fylkesnummer", sort=True):
            codes = pd.Index(part["kommunenummer"].tolist())
            for name, model in models.items():
                numbers = model(known, codes, int(totals[county]))
                if int(numbers.sum()) != int(totals[county]):
                    raise BosettingError(f"Modellen «{name}» ga {int(numbers.sum())} for fylke {county} i {year}, "
                                         f"ikke totaltallet {int(totals[county])}.")
                rows.append(pd.DataFrame({
                    "aar": year, "fylkesnummer": county, "fylke": part["fylke"].to_numpy(),
                    "kommunenummer": codes, "modell": name,
                    "antall": numbers.reindex(codes).to_numpy("int64"),
                    "faktisk": actual.reindex(codes).to_numpy(float),
                }))
    return pd.concat(rows, ignore_index=True)


def summarise(pred: pd.DataFrame, *, minimum: int = 10) -> pd.DataFrame:
    """Metrics per (year, model, county) and for the whole country (fylkesnummer "00")."""
    rows = []
    for (year, name), part in pred.groupby(["aar", "modell"], sort=True):
        groups = [*part.groupby(["fylkesnummer", "fylke"], sort=True), ((NATIONAL, NATIONAL_NAME), part)]
        for (county, county_name), g in groups:
            rows.append({"aar": year, "modell": name, "fylkesnummer": county, "fylke": county_name,
                         **metrics(g["faktisk"], g["antall"].astype(float), minimum=minimum)})
    return pd.DataFrame(rows)


def backtest_table(catalogue: Catalogue, municipalities: pd.DataFrame, years: Iterable[int],
                   models: dict[str, Model] | None = None, *, minimum: int = 10,
                   method: str = "sainte-lague") -> pd.DataFrame:
    """The full table: every model (default: the baselines) × every county and the whole country × every year."""
    if models is None:
        models = {}
    models = {**{k: share_model(fn, minimum=minimum, method=method) for k, fn in BASELINES.items()}, **models}
    return summarise(predictions(catalogue, municipalities, years, models), minimum=minimum)


def counties_won(table: pd.DataFrame, model: str, against: str = CONTINUITY, metric: str = "mae") -> pd.DataFrame:
    """Per year: in how many counties ``model`` has a lower ``metric`` than ``against`` (ties counted apart)."""
    rows = []
    counties = table.loc[table["fylkesnummer"] != NATIONAL]
    for year, part in counties.groupby("aar", sort=True):
        a = part.loc[part["modell"] == model].set_index("fylkesnummer")[metric]
        b = part.loc[part["modell"] == against].set_index("fylkesnummer")[metric].reindex(a.index)
        rows.append({"aar": year, "modell": model, "mot": against, "vunnet": int((a < b - 1e-9).sum()),
                     "likt": int(((a - b).abs() <= 1e-9).sum()), "tapt": int((a > b + 1e-9).sum())})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# The anchor model in the harness
# ---------------------------------------------------------------------------------------------------------------

SUPPRESSED_SETTLED = 2.5  # ":" in IMDi's settled column hides 1–4 persons; the fulfilment ratio uses the middle


def history_from_known(known: KnownInputs, codes: pd.Index) -> pd.DataFrame:
    """Requests and decisions of every public year as ``anmodet_YYYY``, ``vedtatt_YYYY`` (+ ``_status``) columns."""
    frame = pd.DataFrame(index=codes)
    frame.index.name = "kommunenummer"
    for year in known.years("anmodet"):
        frame[f"anmodet_{year}"] = known.values("anmodet", year, codes)
        if year in known.years("vedtatt"):
            frame[f"vedtatt_{year}"] = known.values("vedtatt", year, codes)
            frame[f"vedtatt_{year}_status"] = known.status("vedtatt", year, codes)
    return frame


def criteria_from_known(known: KnownInputs, codes: pd.Index) -> pd.DataFrame:
    """The tilt criteria that were public in the spring before the target (NaN where not: the tilt is then neutral).

    folketall (latest 1 January), sentralitet (7 − SSB class, so higher = more central), fastlege (GP reserve
    capacity, 100 = lists full), oppfylling (settled ÷ decided in the latest year whose settled figure is public),
    bosatte_per_1000 (refugees settled in the latest public calendar year per 1 000 inhabitants).
    """
    out = pd.DataFrame(index=codes)
    year = known.latest_year("folketall")
    out["folketall"] = known.values("folketall", year, codes) if year else np.nan
    year = known.latest_year("sentralitetsklasse")
    out["sentralitet"] = 7 - known.values("sentralitetsklasse", year, codes) if year else np.nan
    year = known.latest_year("lege_reservekapasitet")
    out["fastlege"] = known.values("lege_reservekapasitet", year, codes) if year else np.nan
    settled_years = [y for y in known.years("bosatte") if y in known.years("vedtatt")]
    if settled_years:
        y = settled_years[-1]
        settled = known.values("bosatte", y, codes).mask(known.status("bosatte", y, codes).eq(":").fillna(False).astype(bool),
                                                         SUPPRESSED_SETTLED)
        decided = decision(known, y, codes)
        out["oppfylling"] = (settled / decided.where(decided > 0)).clip(upper=2.0)
    else:
        out["oppfylling"] = np.nan
    year = known.latest_year("bosatte_flyktninger")
    if year and out["folketall"].notna().any():
        out["bosatte_per_1000"] = known.values("bosatte_flyktninger", year, codes) / out["folketall"] * 1000
    else:
        out["bosatte_per_1000"] = np.nan
    # The same measures under the pipeline's indicator ids (step 02), so a run's own tilts can be backtested.
    out["bosatte_per_1000_sist"] = out["bosatte_per_1000"]
    out["arbeidsmarked_sentralitet"] = out["sentralitet"]
    out["fastlege_reservekapasitet"] = out["fastlege"]
    return out


def anchor_model(settings) -> Model:
    """The anchor-and-tilt model (:mod:`bosetting_lib.model.anchor`) as a backtest model."""

    def model(known: KnownInputs, codes: pd.Index, total: int) -> pd.Series:
        table = anchor_recommendation(history_from_known(known, codes), total, settings,
                                      criteria=criteria_from_known(known, codes))
        return table["anbefaling"]
    return model
