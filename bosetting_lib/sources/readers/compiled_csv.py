"""Reader for compiled indicator tables: plain CSV with a ``kommunenummer`` column and one column per variable."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from bosetting_lib.sources.readers.tidy import CellList
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.cells import binary_kind

# A note column saying the cell was suppressed ("Prikket (<5)") turns an empty value into the symbol ":".
_SUPPRESSED_MARKERS = ("prikket", "anonymis", "<5")


def read_compiled_indicator(
    path: Path,
    *,
    register,
    structure_year: int,
    variables: dict[str, str],
    year_column: str | None = "year",
    fixed_year: int | None = None,
    note_columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read ``variables`` (source column -> variable name) into the tidy table; codes are checked against the register."""
    file = str(path)
    if (kind := binary_kind(Path(path).read_bytes()[:8])) is not None:
        raise InputError(Problem(file, expected=f"en CSV-fil i UTF-8 med kommunenummer; dette er {kind} med feil "
                                 "filnavn. Lagre den som CSV (UTF-8), eller hent CSV-filen på nytt", found=kind, row=1))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(Problem(file, expected="en CSV-fil i UTF-8 med kommunenummer", found=str(exc).splitlines()[0])) from exc
    problems: list[Problem] = []
    required = ["kommunenummer", *variables] + ([year_column] if year_column else [])
    for column in required:
        if column not in frame.columns:
            problems.append(Problem(file, expected="kolonnen finnes", found="mangler", column=column))
    if problems:
        raise InputError(problems)
    known = set(register.municipalities(structure_year)["kommunenummer"])
    names = register.municipalities(structure_year).set_index("kommunenummer")["kommune"]
    if names.index.is_unique:
        names = names.to_dict()  # a dict lookup per value instead of a Series lookup
    parts = []
    cells = []  # where each value stood, for the plausibility checks
    # Plain dicts per row (every cell is text: dtype=str, keep_default_na=False); iterrows made a Series per row.
    for index, row in enumerate(frame.to_dict("records")):
        line = index + 2  # header is row 1
        code = row["kommunenummer"].strip()
        if code not in known:
            problems.append(Problem(file, expected=f"et kommunenummer som finnes i {structure_year}", found=code, row=line, column="kommunenummer"))
            continue
        if "kommune" in frame.columns and (why := register.name_mismatch(code, row["kommune"])):
            problems.append(Problem(file, expected=why, found=row["kommune"], row=line, column="kommune"))
            continue
        if year_column:
            year_text = row[year_column].strip()
            if not (year_text.isdigit() and len(year_text) == 4):
                problems.append(Problem(file, expected="et årstall med fire sifre", found=year_text, row=line, column=year_column))
                continue
            year = int(year_text)
        else:
            year = fixed_year
        for source, variable in variables.items():
            text = row[source].strip().replace(",", ".")
            note = row.get((note_columns or {}).get(source, ""), "") or ""
            value, status = pd.NA, pd.NA
            if text == "":
                status = ":" if any(m in note.casefold() for m in _SUPPRESSED_MARKERS) else ".."
            else:
                try:
                    value = float(text)
                except ValueError:
                    problems.append(Problem(file, expected="et tall", found=row[source], row=line, column=source))
                    continue
                if not math.isfinite(value):  # float() reads "inf" and "nan"; neither is a figure
                    problems.append(Problem(file, expected="et tall (ikke «inf» eller «nan»; la cellen stå tom når "
                                            "tallet mangler)", found=row[source], row=line, column=source))
                    continue
                if value < 0:
                    problems.append(Problem(file, expected="et tall ≥ 0", found=row[source], row=line, column=source))
                    continue
            parts.append((code, names[code], year, variable, value, status))
            if status is pd.NA:
                cells.append((code, year, variable, line, source, value))
    if problems:
        raise InputError(problems)
    tidy = pd.DataFrame(parts, columns=["kommunenummer", "kommune", "aar", "variabel", "verdi", "status"])
    tidy["aar"] = tidy["aar"].astype("int64")
    tidy["verdi"] = tidy["verdi"].astype("Float64")
    tidy["status"] = tidy["status"].astype("str")
    duplicated = tidy.duplicated(["kommunenummer", "aar", "variabel"], keep=False)
    if duplicated.any():
        first = tidy.loc[duplicated].iloc[0]
        raise InputError(Problem(file, expected="én rad per kommune og år", found=f"{first['kommunenummer']} {first['aar']} flere ganger", column="kommunenummer"))
    tidy.attrs = {"source": file, "value_cells": CellList(cells)}
    return tidy
