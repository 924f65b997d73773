"""Read every raw input for a year through the source readers and write the processed tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bosetting_lib.context import RunContext
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.params import Params
from bosetting_lib.paths import DataPaths
from bosetting_lib.readers.imdi import read_imdi_table
from bosetting_lib.readers.statbank_csv import read_statbank_csv
from bosetting_lib.register import Register

TIDY_COLUMNS = ["kommunenummer", "kommune", "aar", "variabel", "verdi", "status"]


@dataclass(frozen=True)
class IngestResult:
    """The cleaned inputs for one county and year, all on the analysed year's municipality structure."""

    municipalities: pd.DataFrame
    population: pd.DataFrame
    settlement: pd.DataFrame
    translation_report: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """One line per table: rows, municipalities, years, cells with a symbol instead of a number."""
        rows = []
        for name, frame in (("folketall", self.population), ("bosettingstall", self.settlement)):
            rows.append({
                "tabell": name, "rader": len(frame), "kommuner": frame["kommunenummer"].nunique(),
                "år": ", ".join(str(y) for y in sorted(frame["aar"].unique())),
                "celler med symbol": int(frame["status"].notna().sum()),
            })
        return pd.DataFrame(rows)


def _collect(problems: list[Problem], call):
    try:
        return call()
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def read_all(params: Params, data_paths: DataPaths) -> IngestResult:
    """Read and check every input named in the parameters; raise one InputError listing all problems."""
    problems: list[Problem] = []
    raw = data_paths.raw
    register = Register.load(raw / params.inndata_register)
    county = params.fylkesnummer
    municipalities = register.municipalities(params.aar, county=county)
    if municipalities.empty:
        raise InputError(Problem(str(params.source), expected="et fylkesnummer som finnes i kommuneregisteret for året",
                                 found=county, column="fylkesnummer"))
    files = {params.inndata_folketall: None, **{rel: year for year, rel in params.inndata_imdi.items()}}
    for rel in files:
        if not (raw / rel).is_file():
            problems.append(Problem(str(raw / rel), expected="en fil som finnes (navngitt i parameterfilen)", found="filen finnes ikke"))
    if problems:
        raise InputError(problems)

    population = _collect(problems, lambda: read_statbank_csv(
        raw / params.inndata_folketall, register=register, target_year=params.aar, county=county))
    settlement_parts = []
    for year, rel in params.inndata_imdi.items():
        part = _collect(problems, lambda rel=rel, year=year: read_imdi_table(
            raw / rel, year=year, county=county, register=register, target_year=params.aar))
        if part is not None:
            settlement_parts.append(part)
    if problems:
        raise InputError(problems)

    population = population.loc[population["kommunenummer"].isin(municipalities["kommunenummer"])]
    population = population.loc[population["variabel"].str.casefold().isin(["personer", "folketall", "folkemengde"])].copy()
    population["variabel"] = "folketall"
    settlement = pd.concat(settlement_parts, ignore_index=True)
    reports = [p.attrs.get("translation_report") for p in [population, *settlement_parts]]
    reports = [r for r in reports if isinstance(r, pd.DataFrame) and not r.empty]
    translation = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame()

    _check_coverage(population, municipalities, raw / params.inndata_folketall, params.aar - 1, problems)
    if problems:
        raise InputError(problems)
    return IngestResult(
        municipalities=municipalities.reset_index(drop=True),
        population=_sorted(population),
        settlement=_sorted(settlement),
        translation_report=translation,
    )


def _check_coverage(population: pd.DataFrame, municipalities: pd.DataFrame, file: Path, year: int, problems: list[Problem]) -> None:
    """Every municipality needs a population figure for the key's reference year."""
    have = population.loc[(population["aar"] == year) & population["verdi"].notna(), "kommunenummer"]
    for _, row in municipalities.loc[~municipalities["kommunenummer"].isin(have)].iterrows():
        problems.append(Problem(str(file), expected=f"folketall 1.1.{year} for {row['kommunenummer']} {row['kommune']}",
                                found="mangler", column=str(year)))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[TIDY_COLUMNS].sort_values(["kommunenummer", "aar", "variabel"], kind="stable").reset_index(drop=True)


def ingest(run: RunContext) -> IngestResult:
    """Read all inputs and write the processed tables for the run."""
    result = read_all(run.params, run.data)
    out = run.processed_dir
    result.municipalities.to_csv(out / "kommuner.csv", index=False, lineterminator="\n")
    result.population.to_csv(out / "folketall.csv", index=False, lineterminator="\n")
    result.settlement.to_csv(out / "bosettingstall.csv", index=False, lineterminator="\n")
    result.translation_report.to_csv(out / "omkoding.csv", index=False, lineterminator="\n")
    return result
