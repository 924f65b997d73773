"""Reader for SSB StatBank (PxWeb) CSV downloads, long or wide layout, any of SSB's encodings and separators."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.readers.tidy import build_tidy, long_frame
from bosetting_lib.sources.cells import (
    SSB_SYMBOLS,
    clean_header,
    classify_region,
    decode_bytes,
    parse_cell,
    parse_year,
    read_csv_text,
)
from bosetting_lib.sources.names import normalise_name

if TYPE_CHECKING:
    from bosetting_lib.sources.register import Register

_TITLE = re.compile(r"^(\d{5}):\s*(.*)$")
_REGION_HEADERS = {"region", "kommune", "region/kommune"}
_YEAR_HEADERS = {"år", "aar", "tid", "year"}
_VARIABLE_HEADERS = {"statistikkvariabel", "contents", "statistical variable"}
_WIDE_YEAR = re.compile(r"^(.*?)\s*(\d{4})$")
_PERIOD = re.compile(r"^(.*?)\s*(\d{4}[KMUH]\d{1,2})$")
# Counts cannot be negative; other variables (net migration, change) can.
_COUNT_VARIABLE = re.compile(
    r"^(personer|antall|folkemengde|folketall|bosatte|anmodet|vedtatt|avtalt|innvandrere|sysselsatte|"
    r"registrert ledige|helt ledige|arbeidsledige)\b",
    re.IGNORECASE,
)


def is_count_variable(name: str) -> bool:
    """Whether a variable name denotes a count of persons (which cannot be negative)."""
    return bool(_COUNT_VARIABLE.match(name.strip()))


def read_statbank_csv(
    path: str | Path,
    *,
    register: Register,
    target_year: int,
    county: str | int | None = None,
    nonnegative: bool | None = None,
    split_weights: Any = None,
) -> pd.DataFrame:
    """Read a StatBank CSV download into the tidy table on ``target_year``'s municipality structure.

    ``nonnegative`` forces (True) or switches off (False) the check for negative counts; by default it applies
    to count variables (Personer, Antall ..., Folkemengde ...). County and national rows are left out and listed
    in ``attrs["excluded_regions"]``.
    """
    file = str(path)
    data = Path(path).read_bytes()
    if not data.replace(b"\xef\xbb\xbf", b"").strip():
        raise InputError(Problem(file, expected="en CSV-fil fra statistikkbanken med overskriftsrad og datarader",
                                 found="tom fil", row=1))
    decoded, problems = decode_bytes(data, file=file)
    if decoded is None:
        raise InputError(problems)
    table, problems = read_csv_text(decoded.text, file=file)
    if table is None or not table.rows:
        raise InputError(problems)
    header = [clean_header(h) for h in table.rows[0]]
    layout, layout_problems = _layout(header, file)
    problems += layout_problems
    if layout is None:
        raise InputError(problems)
    if len(table.rows) < 2:
        problems.append(Problem(file, expected="minst én datarad under overskriftsraden", found="ingen datarader",
                                row=table.row_numbers[0] + 1))
        raise InputError(problems)

    records: list[dict[str, Any]] = []
    excluded: dict[str, None] = {}
    named: list[tuple[int, dict[str, Any]]] = []  # rows with a name but no code, matched per year below
    mismatched: set[str] = set()  # region cells whose name contradicts their code
    last = len(table.rows) - 1
    for i, (row, rowno) in enumerate(zip(table.rows[1:], table.row_numbers[1:]), start=1):
        if len(row) != len(header):
            what = ("en hel rad; filen ser ut til å være avkortet (siste rad mangler felt)" if i == last
                    and len(row) < len(header) else "like mange felt som overskriftsraden (feil skilletegn i raden?)")
            # a short row names its first missing column
            problems.append(Problem(file, expected=f"{len(header)} felt: {what}", found=f"{len(row)} felt",
                                    row=rowno, column=header[len(row)] if len(row) < len(header) else None))
            continue
        region = classify_region(row[layout["region"]])
        rcol = header[layout["region"]]
        if region.kind in {"landet", "fylke", "annet"}:
            excluded[" ".join(row[layout["region"]].split())] = None
            continue
        if region.kind == "ugyldig":
            problems.append(Problem(file, expected="en region som «5001 Trondheim» (kommunenummer og navn)",
                                    found=row[layout["region"]], row=rowno, column=rcol))
            continue
        # "5006 Trondheim": the code and the name disagree, so the figure may belong to either; reported once per cell
        if region.kind == "kommune" and region.name and (why := register.name_mismatch(region.code, region.name)):
            cell_text = " ".join(row[layout["region"]].split())
            if cell_text not in mismatched:
                mismatched.add(cell_text)
                problems.append(Problem(file, expected=why, found=cell_text, row=rowno, column=rcol))
            continue
        for year, vcol, prefix in _year_cells(row, layout):
            variabel = _variable(row, layout, prefix)
            if year is None:
                problems.append(Problem(file, expected="et årstall (fire sifre, f.eks. 2024)",
                                        found=row[layout["year"]], row=rowno, column=header[layout["year"]]))
                continue
            count = is_count_variable(variabel) if nonnegative is None else nonnegative
            cell = parse_cell(row[vcol], symbols=SSB_SYMBOLS, nonnegative=count)
            if cell.error:
                problems.append(Problem(file, expected=cell.error, found=row[vcol], row=rowno, column=header[vcol]))
                continue
            rec = {"kommunenummer": region.code, "aar": year, "variabel": variabel, "verdi": cell.value,
                   "status": cell.status, "_rad": rowno, "_kolonne": rcol, "_verdikolonne": header[vcol]}
            if region.kind == "navn":
                named.append((rowno, {**rec, "_navn": region.name}))
            else:
                records.append(rec)

    records += _match_named(named, register, file, problems, excluded, header[layout["region"]])
    if not records and not problems:
        problems.append(Problem(file, expected="rader for kommuner (firesifret kommunenummer)",
                                found="bare " + ", ".join(list(excluded)[:5]) if excluded else "ingen regioner"))
    long = long_frame(records)
    # where each symbol stands, so a later check (e.g. a missing population figure) can name the row and column
    status_cells = tuple((r["kommunenummer"], r["aar"], r["variabel"], r["_rad"], r["_verdikolonne"], r["status"])
                         for r in records if r["status"] is not None)
    return build_tidy(
        long, register=register, target_year=target_year, county=county, file=file, problems=problems,
        split_weights=split_weights,
        attrs={"excluded_regions": tuple(excluded), "title": layout.get("title_text", ""),
               "encoding": decoded.encoding, "status_cells": status_cells,
               # a download cut inside the last number ends without a newline (see sources/plausibility.py)
               "final_newline": data.rstrip(b" \t\x00").endswith((b"\n", b"\r"))},
    )


def _layout(header: list[str], file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Which column holds region, year, variable and values (long), or which headers are years (wide)."""
    lower = [h.casefold() for h in header]
    layout: dict[str, Any] = {}
    problems: list[Problem] = []
    title = _TITLE.match(header[-1]) if header else None
    if title:
        layout["title_text"] = header[-1]
    region = next((i for i, h in enumerate(lower) if h in _REGION_HEADERS), None)
    if region is None:
        problems.append(Problem(file, expected="en kolonne «region» med kommunenummer og navn",
                                found=", ".join(header), row=1, column="region"))
        return None, problems
    layout["region"] = region
    year = next((i for i, h in enumerate(lower) if h in _YEAR_HEADERS), None)
    variable = next((i for i, h in enumerate(lower) if h in _VARIABLE_HEADERS), None)
    layout["variable"] = variable
    if year is not None:
        value = len(header) - 1
        if value in (region, year, variable):
            problems.append(Problem(file, expected="en verdikolonne til slutt (tabelltittelen, f.eks. "
                                    "«07459: Befolkning ...»)", found=", ".join(header), row=1))
            return None, problems
        layout.update(kind="long", year=year, value=value)
        layout["dims"] = [i for i in range(len(header)) if i not in (region, year, variable, value)]
    else:
        years: list[tuple[int, int, str]] = []
        for i, h in enumerate(header):
            if i in (region, variable):
                continue
            text = _TITLE.sub(r"\2", h) if _TITLE.match(h) else h
            if m := _WIDE_YEAR.match(text):
                years.append((i, int(m.group(2)), m.group(1).strip(" ,:")))
            elif _PERIOD.match(text):
                problems.append(Problem(file, expected="årstall som kolonneoverskrift (bare årstall støttes)",
                                        found=h, row=1, column=h))
        if not years:
            if not problems:
                problems.append(Problem(file, expected="en kolonne «år» (langt format) eller årstall som "
                                        "kolonneoverskrifter (bredt format)", found=", ".join(header), row=1,
                                        column="år"))
            return None, problems
        bad = [(i, y) for i, y, _ in years if parse_year(str(y)) is None]
        for i, y in bad:
            problems.append(Problem(file, expected="et årstall (1900–2100) i kolonneoverskriften", found=header[i],
                                    row=1, column=header[i]))
        year_cols = {i for i, _, _ in years}
        layout.update(kind="wide", years=[(i, y, p) for i, y, p in years])
        if title:
            layout["title_text"] = _WIDE_YEAR.sub(r"\1", header[-1]).strip()
        layout["dims"] = [i for i in range(len(header)) if i not in year_cols | {region, variable}]
    if title:
        subject = title.group(2).split(", etter")[0].strip()
        layout["title_subject"] = subject or title.group(1)
    return layout, problems


def _variable(row: list[str], layout: dict[str, Any], prefix: str = "") -> str:
    """The variable name: the statistikkvariabel cell (else the header's or title's text) plus other dimensions."""
    base = row[layout["variable"]].strip() if layout.get("variable") is not None else ""
    extra = [row[i].strip() for i in layout.get("dims", []) if row[i].strip()]
    if not base:
        base = prefix or layout.get("title_subject", "verdi")
    return ", ".join([base, *extra])


def _year_cells(row: list[str], layout: dict[str, Any]) -> list[tuple[int | None, int, str]]:
    """(year, value column, header text before the year) for one row."""
    if layout["kind"] == "long":
        return [(parse_year(row[layout["year"]]), layout["value"], "")]
    return [(y, i, p) for i, y, p in layout["years"]]


def _match_named(
    named: list[tuple[int, dict[str, Any]]],
    register: Register,
    file: str,
    problems: list[Problem],
    excluded: dict[str, None],
    column: str,
) -> list[dict[str, Any]]:
    """Give codes to region cells that carry a name only (PxWeb's "text" layout), per year's structure."""
    out = []
    by_year: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for rowno, rec in named:
        by_year.setdefault(rec["aar"], []).append((rowno, rec))
    for year, items in sorted(by_year.items()):
        counties = {normalise_name(a) for c in register.counties(year)["fylkesnummer"]
                    for a in register.county_aliases(c, year)}
        keep = []
        for rowno, rec in items:
            if normalise_name(rec["_navn"]) in counties:
                excluded[rec["_navn"]] = None
            else:
                keep.append((rowno, rec))
        if not keep:
            continue
        names = pd.Series([r["_navn"] for _, r in keep], index=[n for n, _ in keep], dtype="object")
        codes, found = register.match_names(names, year, file=file, column=column)
        problems.extend(found)
        for (rowno, rec), code in zip(keep, codes):
            if pd.notna(code):
                rec = {k: v for k, v in rec.items() if k != "_navn"}
                out.append({**rec, "kommunenummer": code})
    return out
