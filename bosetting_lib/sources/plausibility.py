"""Plausibility of every figure that steers: pure functions over tidy tables, refusing what a person would doubt.

The readers check that a cell *is* a number; this module checks that the number is *believable*, so a typo or a
cut download is never published silently. Each check is documented with its threshold, and the thresholds are
generous on purpose: a real figure should never need an override, an impossible one is always caught.

* **Whole and finite.** Counts (population, IMDi's requested/decided/settled, settled refugees) are whole numbers;
  no value is infinite. A count like ``216.518`` is a number written with a thousands separator (216 518) and is
  refused with that explanation, never read as 216.5.
* **Documented range.** Centrality class 1–6 (a whole class), shares in per cent 0–100 (immigrant share,
  unemployment rate), GP reserve capacity 0–1000 (an index where 100 = lists full).
* **The municipality's other years.** Population is a stock: a value more than 50 % above or below the median of
  the municipality's years is refused (real yearly changes are a few per cent; 786 000 for 786, or 19 for 1 937, are
  not). IMDi's figures are flows that legitimately swing (2022), so only a value more than ten times the
  municipality's highest other year, and more than 100 persons above it, is refused (99 999 for 470; a village
  that took 55 in 2022 and 5 in 2025 is real).
* **Its size.** More persons requested, decided or settled in one year than 10 % of the municipality's
  inhabitants, and more than 50 (Utsira, 188 inhabitants, was asked for 30 in 2022), is refused.
* **The county total.** A municipality whose share of the county's sum jumps by more than 25 percentage points,
  to more than twice its largest share in the other years and by more than 100 persons is refused (one typed
  figure swamps the county; small counts such as minors swing freely).
* **Truncation.** A raw file with no final newline whose last value is less than half of the same municipality's
  value the year before was cut inside the last number (``19`` for ``1937``): refused, download it again.

A legitimate outlier is accepted by an explicit override in the parameters (``godta_avvik``: file, municipality,
optionally column/variable and year, and a reason); accepted deviations are returned so the report lists them on
its first screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bosetting_lib.errors import Problem
from bosetting_lib.formatting import format_decimal, format_int

# Variables that count persons (whole numbers).
COUNT_VARIABLES = frozenset({
    "folketall", "anmodet", "anmodet_herav_em", "vedtatt", "vedtatt_herav_em", "bosatte", "bosatte_herav_em",
    "herav_kollektiv_beskyttelse", "bosatte_flyktninger", "bosatte_em",
})
# Persons per year that are flows (IMDi's figures and settled refugees), checked against the municipality's size.
FLOW_VARIABLES = frozenset(COUNT_VARIABLES - {"folketall"})
# Documented ranges (inclusive) and whether the value must be whole.
RANGES: dict[str, tuple[float, float, bool, str]] = {
    "sentralitetsklasse": (1, 6, True, "en sentralitetsklasse 1–6 (SSB KLASS 128, et helt tall)"),
    "innvandrerandel": (0, 100, False, "en andel i prosent (0–100)"),
    "helt_ledige_prosent": (0, 100, False, "en andel i prosent (0–100)"),
    "lege_reservekapasitet": (0, 1000, False, "en reservekapasitet 0–1000 (indeks der 100 = fulle lister)"),
}
STOCK_CHANGE = 0.5  # population: at most 50 % from the median of the municipality's years
FLOW_FACTOR = 10.0  # IMDi figures: at most ten times the municipality's highest other year …
FLOW_SLACK = 100.0  # … and more than 100 persons above it
SHARE_OF_POPULATION = 0.10  # persons in one year: at most 10 % of the inhabitants …
SHARE_FLOOR = 50.0  # … or 50 persons, whichever is higher (Utsira, 188 inhabitants, was asked for 30 in 2022)
COUNTY_JUMP = 0.25  # share of the county's sum: at most 25 percentage points above the largest other year …
COUNTY_FACTOR = 2.0  # … or at most twice it …
COUNTY_SLACK = 100.0  # … and at most 100 persons more than that share of the county would give (small counts swing)
TRUNCATION_DROP = 0.5  # no final newline and the last value under half of the year before: a cut download

_OVERRIDE_HINT = ("rett tallet, eller godta det med en begrunnelse under «godta_avvik» i parameterfilen (fil, "
                  "kommunenummer, kolonne/aar, begrunnelse)")


@dataclass(frozen=True)
class Override:
    """One accepted deviation from the parameters (``godta_avvik``)."""

    fil: str
    kommunenummer: str
    begrunnelse: str
    kolonne: str | None = None
    aar: int | None = None
    index: int = 0

    def matches(self, deviation: Deviation) -> bool:
        if Path(self.fil).name.casefold() != Path(deviation.file).name.casefold():
            return False
        if self.kommunenummer != deviation.code:
            return False
        if self.aar is not None and self.aar != deviation.year:
            return False
        if self.kolonne is not None:
            wanted = " ".join(self.kolonne.split()).casefold()
            names = {deviation.variable.casefold(), " ".join(str(deviation.column or "").split()).casefold()}
            if wanted not in names:
                return False
        return True


@dataclass(frozen=True)
class Deviation:
    """One implausible figure: where it stands, what it is and why it is doubted."""

    file: str
    code: str
    name: str
    year: int
    variable: str
    value: float
    why: tuple[str, ...]
    row: int | None = None
    column: str | None = None
    hint: str = _OVERRIDE_HINT

    def problem(self) -> Problem:
        what = f"{self.code} {self.name} «{self.variable}» {self.year}".replace("  ", " ")
        return Problem(self.file, expected=f"et troverdig tall for {what}: " + "; ".join(self.why) + f"; {self.hint}",
                       found=_shown(self.value), row=self.row, column=self.column or str(self.year))

    def record(self, override: Override) -> dict[str, Any]:
        """The accepted deviation as the report lists it."""
        return {"fil": Path(self.file).name, "kommunenummer": self.code, "kommune": self.name, "aar": self.year,
                "variabel": self.variable, "verdi": _shown(self.value), "hvorfor": "; ".join(self.why),
                "begrunnelse": override.begrunnelse}


def _shown(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "tom"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return format_int(value).replace("\u00a0", " ") if float(value).is_integer() else repr(float(value))


def _number(value: float) -> str:
    return format_int(value).replace("\u00a0", " ") if float(value).is_integer() else format_decimal(value, 1)


@dataclass
class _Cells:
    """Where each value stood in its file (``attrs["value_cells"]``): (code, year, variable) -> (row, column, value)."""

    where: dict[tuple[str, int, str], tuple[int | None, str | None, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, tidy: pd.DataFrame) -> _Cells:
        cells = cls()
        for code, year, variable, row, column, value in tidy.attrs.get("value_cells", ()):
            cells.where[(str(code), int(year), str(variable))] = (row, column, value)
        return cells

    def locate(self, code: str, year: int, variable: str, value: float) -> tuple[int | None, str | None]:
        """The cell's row and column, when the value there is this value (not a sum made by a code translation)."""
        hit = self.where.get((code, int(year), variable))
        if hit is None or hit[2] is None or not _same(hit[2], value):
            return None, None
        return hit[0], hit[1]


def _same(a: float, b: float) -> bool:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(a))


CELL_ATTRS = ("value_cells", "last_cell")


def _bare(tidy: pd.DataFrame | None) -> pd.DataFrame | None:
    """The table without its attrs: pandas deep-copies attrs on every operation, and the cell lists are long."""
    if tidy is None:
        return None
    attrs, tidy.attrs = tidy.attrs, {}  # copying with the attrs in place would deep-copy them once more
    try:
        return tidy.copy(deep=False)
    finally:
        tidy.attrs = attrs


def _valued(tidy: pd.DataFrame) -> pd.DataFrame:
    return tidy.loc[tidy["verdi"].notna()]


def _names(tidy: pd.DataFrame) -> dict[str, str]:
    return dict(zip(tidy["kommunenummer"].tolist(), tidy["kommune"].tolist())) if "kommune" in tidy.columns else {}


class _Collector:
    """Reasons per cell, so one cell doubted for several reasons is one problem."""

    def __init__(self, tidy: pd.DataFrame, file: str):
        self.file, self.cells, self.names = file, _Cells.of(tidy), _names(tidy)
        self.found: dict[tuple[str, int, str], list[str]] = {}
        self.values: dict[tuple[str, int, str], float] = {}
        self.hints: dict[tuple[str, int, str], str] = {}

    def add(self, code: str, year: int, variable: str, value: float, why: str, hint: str | None = None) -> None:
        key = (str(code), int(year), str(variable))
        self.found.setdefault(key, [])
        if why not in self.found[key]:
            self.found[key].append(why)
        self.values[key] = float(value)
        if hint:
            self.hints[key] = hint

    def deviations(self) -> list[Deviation]:
        out = []
        for key in sorted(self.found, key=lambda k: (self._row(k), k)):
            code, year, variable = key
            row, column = self.cells.locate(code, year, variable, self.values[key])
            out.append(Deviation(self.file, code, self.names.get(code, ""), year, variable, self.values[key],
                                 tuple(self.found[key]), row, column, self.hints.get(key, _OVERRIDE_HINT)))
        return out

    def _row(self, key: tuple[str, int, str]) -> int:
        row, _ = self.cells.locate(*key, self.values[key])
        return row if row is not None else 10**9


def check_values(tidy: pd.DataFrame, *, file: str, collector: _Collector | None = None) -> list[Deviation]:
    """Whole counts, finite values and documented ranges, cell by cell."""
    c = collector or _Collector(tidy, file)
    tidy = _bare(tidy)
    for r in _valued(tidy).itertuples(index=False):
        value = float(r.verdi)
        if math.isinf(value) or math.isnan(value):
            c.add(r.kommunenummer, r.aar, r.variabel, value, "et endelig tall (ikke uendelig)")
            continue
        if r.variabel in COUNT_VARIABLES and not value.is_integer():
            # A figure whose cell is not the one read (a merger's sum, a split's part) is not the file's fault.
            hit = c.cells.where.get((r.kommunenummer, int(r.aar), r.variabel))
            if c.cells.where and (hit is None or not _same(hit[2], value)):
                continue
            why = "et antall personer er et helt tall"
            text = repr(value)
            decimals = text.split(".")[1] if "." in text else ""
            if len(decimals) == 3 or (len(decimals) < 3 and round(value * 1000) == value * 1000 and value >= 1):
                why += (f"; {text} ser ut til å være skrevet med punktum som tusenskilletegn "
                        f"({_number(round(value * 1000))}?): skriv tallet uten skilletegn")
            c.add(r.kommunenummer, r.aar, r.variabel, value, why)
        if r.variabel in RANGES:
            low, high, whole, label = RANGES[r.variabel]
            if not low <= value <= high or (whole and not value.is_integer()):
                c.add(r.kommunenummer, r.aar, r.variabel, value, label)
    return c.deviations() if collector is None else []


def check_years(tidy: pd.DataFrame, *, file: str, collector: _Collector | None = None) -> list[Deviation]:
    """Each value against the same municipality's other years (population as a stock, IMDi's figures as flows)."""
    c = collector or _Collector(tidy, file)
    valued = _valued(_bare(tidy))
    valued = valued.loc[valued["variabel"].isin(COUNT_VARIABLES)]
    # Grouped by hand (plain lists, not a DataFrame per group): the groups are small and many.
    groups: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
    for code, variable, year, value in zip(valued["kommunenummer"].tolist(), valued["variabel"].tolist(),
                                           valued["aar"].astype(int).tolist(), valued["verdi"].astype(float).tolist()):
        if pd.isna(code) or pd.isna(variable):
            continue  # as groupby leaves out rows without a key
        years, values = groups.setdefault((code, variable), ([], []))
        years.append(year)
        values.append(value)
    for (code, variable) in sorted(groups):
        years, values = groups[(code, variable)]
        if len(years) < 2:
            continue
        finite = [v for v in values if math.isfinite(v)]
        # The median of all the years, this one included, so one wrong year does not make the others look wrong.
        median_all = float(pd.Series(finite).median()) if variable == "folketall" and len(finite) > 2 else None
        for i, (year, value) in enumerate(zip(years, values)):
            if not math.isfinite(value):
                continue
            others = [(y, v) for j, (y, v) in enumerate(zip(years, values)) if j != i and math.isfinite(v)]
            if not others:
                continue

            def shown() -> str:
                return ", ".join(f"{y}: {_number(v)}" for y, v in others[-4:])

            if variable == "folketall":
                # With two years only the later one is doubted (the earlier figure was used last year).
                median = median_all if median_all is not None else others[0][1]
                if len(finite) == 2 and year < others[0][0]:
                    continue
                if median > 0 and abs(value / median - 1) > STOCK_CHANGE:
                    c.add(code, year, variable, value,
                          f"et folketall på linje med kommunens andre år ({shown()}); {_number(value)} er "
                          f"{_change(value, median)} fra midtverdien {_number(median)}, og folketallet endrer seg "
                          f"sjelden mer enn noen få prosent i året")
            else:
                highest = max(v for _, v in others)
                if value > FLOW_FACTOR * highest and value - highest >= FLOW_SLACK:
                    c.add(code, year, variable, value,
                          f"et tall på linje med kommunens andre år ({shown()}); {_number(value)} er mer enn "
                          f"{_number(FLOW_FACTOR)} ganger det høyeste av dem")
    return c.deviations() if collector is None else []


def _change(value: float, base: float) -> str:
    ratio = value / base
    if ratio >= 2:
        return f"{format_decimal(ratio, 0 if ratio >= 10 else 1)} ganger så mye"
    return f"{format_decimal(abs(ratio - 1) * 100, 0)} % {'mer' if ratio > 1 else 'mindre'}"


def check_size(tidy: pd.DataFrame, population: pd.DataFrame | None, *, file: str,
               collector: _Collector | None = None) -> list[Deviation]:
    """Persons per year (requested, decided, settled) against the municipality's inhabitants that year or nearest."""
    c = collector or _Collector(tidy, file)
    tidy, population = _bare(tidy), _bare(population)
    if population is None or population.empty:
        return []
    pop = _valued(population.loc[population["variabel"].str.casefold().isin({"folketall", "personer", "folkemengde"})])
    if pop.empty:
        return []
    by_code: dict[str, dict[int, float]] = {}
    for code, year, value in zip(pop["kommunenummer"], pop["aar"], pop["verdi"]):
        by_code.setdefault(str(code), {})[int(year)] = float(value)
    valued = _valued(tidy)
    valued = valued.loc[valued["variabel"].isin(FLOW_VARIABLES)]
    for r in valued.itertuples(index=False):
        value = float(r.verdi)
        years = by_code.get(r.kommunenummer)
        if not math.isfinite(value) or not years:
            continue
        year = min(years, key=lambda y: (abs(y - int(r.aar)), -y))
        inhabitants = years[year]
        limit = max(SHARE_OF_POPULATION * inhabitants, SHARE_FLOOR)
        if value > limit:
            c.add(r.kommunenummer, r.aar, r.variabel, value,
                  f"høyst {format_decimal(SHARE_OF_POPULATION * 100, 0)} % av kommunens {_number(inhabitants)} "
                  f"innbyggere ({year}) på ett år; {_number(value)} personer er "
                  f"{format_decimal(value / inhabitants * 100, 0)} %")
    return c.deviations() if collector is None else []


def check_county_share(tidy: pd.DataFrame, *, file: str, collector: _Collector | None = None) -> list[Deviation]:
    """A municipality's share of the county's sum against its share in the other years."""
    c = collector or _Collector(tidy, file)
    valued = _valued(_bare(tidy))
    verdi = valued["verdi"].to_numpy(dtype="float64", na_value=np.nan)
    valued = valued.loc[valued["variabel"].isin(COUNT_VARIABLES).to_numpy() & np.isfinite(verdi)]
    for variable, g in valued.groupby("variabel", sort=True):
        # The first value of each municipality and year (as pivot_table's "first"), municipalities and years sorted.
        wide = (g.drop_duplicates(["kommunenummer", "aar"], keep="first")
                .pivot(index="kommunenummer", columns="aar", values="verdi").astype(float))
        if len(wide.index) < 3 or len(wide.columns) < 2:
            continue
        share = wide / wide.sum(axis=0)
        shares, counts = share.to_numpy(dtype="float64"), wide.to_numpy(dtype="float64")
        for j, year in enumerate(share.columns):
            # The municipality's largest share in the other years (NaN when it has none); a jump is rare, so the
            # test runs on whole columns and only the rows that jumped are looked at one by one.
            top = np.fmax.reduce(np.delete(shares, j, axis=1), axis=1)
            value = shares[:, j]
            total = float(wide[year].sum())
            with np.errstate(invalid="ignore"):
                jumped = (~np.isnan(value) & ~np.isnan(top) & (value - top > COUNTY_JUMP)
                          & (value > COUNTY_FACTOR * top) & (counts[:, j] - top * total > COUNTY_SLACK))
            for i in np.flatnonzero(jumped):
                code, count = share.index[i], float(counts[i, j])
                c.add(code, year, variable, count,
                      f"en andel av fylkets sum på linje med de andre årene (høyst "
                      f"{format_decimal(float(top[i]) * 100, 0)} % før); med {_number(count)} blir kommunens "
                      f"andel {format_decimal(float(value[i]) * 100, 0)} % av fylkets {_number(total)}")
    return c.deviations() if collector is None else []


def check_truncation(tidy: pd.DataFrame, *, file: str, others: pd.DataFrame | None = None,
                     collector: _Collector | None = None) -> list[Deviation]:
    """A file without a final newline whose last value collapsed against the same municipality's year before.

    The reader records ``attrs["final_newline"]`` and ``attrs["last_cell"]`` = (code, year, variable, value, row,
    column, ((year, value), …) of the same code and variable in the file). ``others`` adds values from other
    files (IMDi's tables hold one year each).
    """
    c = collector or _Collector(tidy, file)
    last = tidy.attrs.get("last_cell")
    if tidy.attrs.get("final_newline", True) or not last:
        return []
    code, year, variable, value, row, column, history = last
    if value is None or not math.isfinite(float(value)):
        return []
    earlier = {int(y): float(v) for y, v in history if v is not None and int(y) < int(year)}
    others = _bare(others)
    if others is not None and not others.empty:
        more = _valued(others.loc[(others["kommunenummer"] == code) & (others["variabel"] == variable)
                                  & (others["aar"] < int(year))])
        earlier |= {int(y): float(v) for y, v in zip(more["aar"], more["verdi"])}
    earlier = {y: v for y, v in earlier.items() if math.isfinite(v) and v > 0}
    if not earlier:
        return []
    before_year = max(earlier)
    before = earlier[before_year]
    if float(value) < TRUNCATION_DROP * before:
        c.cells.where[(str(code), int(year), str(variable))] = (row, column, value)
        c.add(code, year, variable, float(value),
              f"en hel fil: filen slutter uten linjeskift midt i det siste tallet, og {_number(float(value))} er "
              f"langt under {_number(before)} året før ({before_year}), så nedlastingen ser ut til å være avkortet",
              hint="last ned eller lagre filen på nytt (eller godta tallet under «godta_avvik» i parameterfilen "
                   "hvis det er riktig)")
    return c.deviations() if collector is None else []


def check_table(tidy: pd.DataFrame, *, file: str, population: pd.DataFrame | None = None,
                others: pd.DataFrame | None = None, history: bool = True) -> list[Deviation]:
    """Every check above on one file's tidy table, one deviation per doubted cell.

    ``population`` enables the size check; ``others`` (the same variables from other files, e.g. IMDi's other years)
    lets the year, county and truncation checks see the municipality's other years; ``history=False`` leaves out
    the comparisons across years (a file with one year and nothing to compare).
    """
    c = _Collector(tidy, file)
    last = {k: tidy.attrs[k] for k in ("final_newline", "last_cell") if k in tidy.attrs}
    tidy, others, population = _bare(tidy), _bare(others), _bare(population)
    check_values(tidy, file=file, collector=c)
    if history:
        combined = tidy if others is None or others.empty else pd.concat([tidy, others], ignore_index=True)
        sub = _Collector(combined, file)
        sub.cells, sub.names = c.cells, {**_names(combined), **c.names}
        check_years(combined, file=file, collector=sub)
        check_county_share(combined, file=file, collector=sub)
        mine = set(zip(tidy["kommunenummer"], tidy["aar"].astype(int), tidy["variabel"]))
        for key, reasons in sub.found.items():
            if key in mine:  # a doubt about another file's cell is reported with that file
                for why in reasons:
                    c.add(*key, sub.values[key], why)
    check_size(tidy, population, file=file, collector=c)
    tidy.attrs = last
    check_truncation(tidy, file=file, others=others, collector=c)
    return c.deviations()


def repeated_tables(tables: list[tuple[str, int, pd.DataFrame]], *, minimum_cells: int = 10) -> list[Problem]:
    """Tables of different years (file, year, tidy) holding exactly the same figures: last year's file saved under
    this year's name. IMDi's figures for a whole county never repeat from one year to the next."""
    problems = []
    seen: list[tuple[str, int, dict]] = []
    for file, year, tidy in tables:
        valued = _valued(_bare(tidy))
        cells = {(c, v): float(x) for c, v, x in zip(valued["kommunenummer"], valued["variabel"], valued["verdi"])}
        for other_file, other_year, other in seen:
            if other_year != year and len(cells) >= minimum_cells and cells == other:
                problems.append(Problem(
                    file, expected=f"IMDis tall for {year}, ikke de samme tallene som i {Path(other_file).name} for "
                    f"{other_year} (alle {len(cells)} tallene er like); er fjorårets fil lagret under nytt navn? Last ned "
                    f"tabellen for {year} på nytt", found=f"samme tall som {other_year}"))
        seen.append((file, year, cells))
    return problems


def parse_overrides(raw: Iterable[dict]) -> list[Override]:
    """The validated ``godta_avvik`` entries of the parameters (see config/params.py) as overrides."""
    return [Override(fil=str(item["fil"]), kommunenummer=str(item["kommunenummer"]),
                     begrunnelse=str(item["begrunnelse"]), kolonne=item.get("kolonne"), aar=item.get("aar"), index=i)
            for i, item in enumerate(raw or [])]


def apply_overrides(deviations: list[Deviation], overrides: list[Override]) -> tuple[list[Problem], list[dict]]:
    """Problems for the deviations no override accepts, and the accepted ones (with the reason) for the report."""
    problems, accepted = [], []
    for deviation in deviations:
        match = next((o for o in overrides if o.matches(deviation)), None)
        if match is None:
            problems.append(deviation.problem())
        else:
            accepted.append(deviation.record(match))
    return problems, accepted
