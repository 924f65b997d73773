"""The walk-forward backtest's inputs read from data/raw, each table stamped with the spring it was known.

Everything is read through the project's own readers (IMDi pages, SSB StatBank CSV, compiled indicator CSVs) onto the
2024 municipality structure (the structure of every year the backtest can judge: 2024, 2025 and 2026), with the
register and the documented split weights translating the 2022 codes exactly as the pipeline does. The result is a
:class:`~bosetting_lib.model.backtest.Catalogue`; the no-leakage rule lives there, in the ``dated`` stamp of each table.

When was a figure known? (``DATING``; the stamp is the first spring in which the figure was public, and a run for
year T may read only tables stamped T − 1 or earlier, the spring in which the county prepares its recommendation.)

* ``anmodet`` (request) for year Y: the request letters go out in the autumn of Y − 1, so known in spring Y. The
  table we hold for 2024 is IMDi's page per 15 January 2025; the 2024 request (37 000) was not revised during 2024,
  so the published request equals the one known in spring 2024. (For 2025 it was cut mid-year: that only matters for
  a target of 2026, and the harness then reads the final figure, which is what a spring-2025 analyst would not have
  had. Noted in the research write-up.)
* ``vedtatt`` (decision) for year Y: most councils decide in the winter Y − 1 / Y, so known in spring Y, with a
  caveat: the page we hold is dated after spring (January of Y + 1) and a few late decisions are in it (5
  municipalities still say «avventer vedtak» even then). The exploration script reports the 2025 result also
  without the 2024 decisions, so the reader can see how much this assumption is worth.
* ``bosatte`` and ``herav_kollektiv_beskyttelse`` (settled) for year Y: counted over the whole year, so known in
  spring Y + 1. The 2024 table's «bosatte» column counts a year that was not over in spring 2024: it is stamped 2025
  and a 2025 run cannot read it.
* ``folketall`` 1 January Y (SSB 07459): published in February–March Y, known in spring Y.
* ``bosatte_flyktninger`` (IMDi, settled refugees per calendar year, national compilation): year Y known in
  spring Y + 1 (the 2024 row is a partial year, stamped 2025 all the same).
* ``lege_reservekapasitet`` (SSB 12005, GP lists) for year Y: published the following year, known in spring Y + 1.
* ``sentralitetsklasse`` (SSB KLASS 128): the classification valid from 1 January 2024, stamped 2024, so a run
  for 2024 (spring 2023) cannot use it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bosetting_lib.model.walkforward import DATING, Catalogue, DatedTable, dated, dated_tables  # noqa: F401 (DATING, dated: re-exported)
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.readers.compiled_csv import read_compiled_indicator
from bosetting_lib.sources.readers.imdi import read_imdi_table
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv
from bosetting_lib.sources.register import Register

STRUCTURE_YEAR = 2024  # every judged year (2024, 2025) is on this municipality structure
IMDI_PAGES = {2022: "imdi/nokkeltall_bosetting_2022.html", 2024: "imdi/nokkeltall_bosetting_2024.html",
              2025: "imdi/nokkeltall_bosetting_2025.html"}
POPULATION = "ssb/07459_folkemengde_kommuner_2020_2026.csv"
SETTLED_REFUGEES = "indikatorer/bosatte_flyktninger_2022_2024.csv"
CENTRALITY = "indikatorer/sentralitet_klass128_2024.csv"
GP_CAPACITY = "indikatorer/fastlege_12005_2022_2023.csv"
SPLIT_WEIGHTS = "reference/delingsvekter.csv"
REGISTER = "reference"


def municipalities(register: Register) -> pd.DataFrame:
    """The 357 municipalities of the 2024 structure with county number and name."""
    munis = register.municipalities(STRUCTURE_YEAR)[["kommunenummer", "kommune", "fylkesnummer"]].copy()
    names = register.counties(STRUCTURE_YEAR).set_index("fylkesnummer")["fylke"]
    munis["fylke"] = munis["fylkesnummer"].map(names)
    return munis.sort_values("kommunenummer", kind="stable").reset_index(drop=True)


def load_catalogue(data_dir: Path | str | None = None) -> tuple[Catalogue, pd.DataFrame]:
    """(every dated input table for all of Norway, the municipality list) from ``data/raw``."""
    paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    raw = paths.raw
    register = Register.load(raw / REGISTER)
    split = pd.read_csv(raw / SPLIT_WEIGHTS, dtype={"fra_kode": str, "til_kode": str})[["fra_kode", "til_kode", "andel"]]
    tables: list[DatedTable] = []
    for year, rel in IMDI_PAGES.items():
        parts = [read_imdi_table(raw / rel, year=year, county=county, register=register, target_year=STRUCTURE_YEAR,
                                 split_weights=split)
                 for county in register.counties(year)["fylkesnummer"]]
        tables += dated_tables(pd.concat(parts, ignore_index=True), rel)
    population = read_statbank_csv(raw / POPULATION, register=register, target_year=STRUCTURE_YEAR, split_weights=split)
    population = population.loc[population["variabel"].str.casefold().isin(("personer", "folketall"))].copy()
    population["variabel"] = "folketall"
    tables += dated_tables(population, POPULATION)
    compiled = [
        (SETTLED_REFUGEES, {"settled_total_excl_suppressed": "bosatte_flyktninger"}, "year", None),
        (GP_CAPACITY, {"lege_reservekapasitet": "lege_reservekapasitet"}, "year", None),
        (CENTRALITY, {"sentralitetsklasse": "sentralitetsklasse"}, None, 2024),
    ]
    for rel, variables, year_column, fixed in compiled:
        frame = read_compiled_indicator(raw / rel, register=register, structure_year=STRUCTURE_YEAR,
                                        variables=variables, year_column=year_column, fixed_year=fixed)
        tables += dated_tables(frame, rel)
    return Catalogue(tuple(tables)), municipalities(register)
