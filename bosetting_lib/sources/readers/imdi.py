"""Reader for IMDi's "Nøkkeltall bosetting <year>" tables: the saved web page, or one table pasted into xlsx/csv."""

from __future__ import annotations

import io

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pandas as pd
from bs4 import BeautifulSoup

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.readers.tidy import build_tidy, long_frame
from bosetting_lib.sources.cells import (
    IMDI_SYMBOLS,
    IMDI_TEXT_PATTERN,
    Parsed,
    clean_header,
    decode_bytes,
    find_garbled,
    parse_cell,
    read_csv_text,
)
from bosetting_lib.sources.names import normalise_name
from bosetting_lib.sources.register import UnknownCountyError

if TYPE_CHECKING:
    from bosetting_lib.sources.register import Register

# Short machine names (as in the reference CSVs) are accepted as headers too.
VARIABLES = (
    "anmodet",
    "anmodet_herav_em",
    "vedtatt",
    "vedtatt_herav_em",
    "bosatte",
    "bosatte_herav_em",
    "herav_kollektiv_beskyttelse",
    "avtalt",
    "avtalt_herav_kollektiv_beskyttelse",
)
# IMDi's long header texts for the messages.
LONG_HEADERS = {
    "kommune": "Kommune",
    "anmodet": "Antall personer kommunen har blitt anmodet om å bosette:",
    "vedtatt": "Antall personer kommunen har vedtatt å bosette:",
    "bosatte": "Antall bosatte personer:",
    "herav_kollektiv_beskyttelse": "Antall bosatte personer med kollektiv beskyttelse:",
}
# Columns a compiled copy may carry besides IMDi's own; they are not variables.
_META_COLUMNS = {"year", "aar", "år", "fylke", "kommunenummer"}
_TOTAL_NAMES = {"totalt", "total", "sum", "i alt", "fylket", "hele fylket", "sum fylket", "fylket totalt", "totalsum"}
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_PAGE_YEAR = re.compile(r"bosetting\s+(\d{4})", re.IGNORECASE)


def imdi_variable(header: str) -> str | None:
    """The tidy variable name for an IMDi column header ("kommune" for the name column), or None if unknown."""
    h = " ".join(str(header).casefold().replace("\u00a0", " ").split()).rstrip(":").strip()
    if h in {"kommune", "kommunenavn", "kommune navn"}:
        return "kommune"
    if h in VARIABLES:
        return h
    em = "enslig" in h or "mindreårig" in h
    collective = "kollektiv" in h
    if "anmodet" in h or "anmodning" in h:
        return "anmodet_herav_em" if em else "anmodet"
    if "vedtatt" in h or "vedtak" in h:
        return "vedtatt_herav_em" if em else "vedtatt"
    if "avtalt" in h:
        return "avtalt_herav_kollektiv_beskyttelse" if collective else "avtalt"
    if "bosatt" in h:
        if collective:
            return "herav_kollektiv_beskyttelse"
        return "bosatte_herav_em" if em else "bosatte"
    return None


@dataclass(frozen=True)
class RawTable:
    """One table as the analyst sees it: header, rows and their row numbers, and where it came from."""

    header: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    header_row: int
    label: str


def read_imdi_table(
    path: str | Path,
    *,
    year: int,
    county: str | int,
    register: Register,
    target_year: int,
    sheet: str | None = None,
    split_weights: Any = None,
) -> pd.DataFrame:
    """Read one county's IMDi table for ``year`` into the tidy table on ``target_year``'s structure.

    ``county`` (number or name) is the county as the page for ``year`` names it, or a county of ``target_year``'s
    structure that did not exist in ``year`` (Østfold, "31", on the 2022 page): then the table of the county its
    municipalities belonged to (Viken) is read, checked against that county's row, translated, and narrowed to
    the target county (``attrs["target_county"]``). The county's total row is left out and returned in
    ``attrs["county_total"]`` (the row of the county whose table was read, ``attrs["county"]``); the municipal
    anmodet and vedtatt must add up to it.
    """
    file = str(path)
    path = Path(path)
    data = path.read_bytes()
    if not data.replace(b"\xef\xbb\xbf", b"").strip():
        raise InputError(Problem(file, expected="IMDi-tabellen «Nøkkeltall bosetting» (nettside, xlsx eller csv)",
                                 found="tom fil", row=1))
    county_no, target_county = _page_county(register, county, year, target_year)
    kind = _kind(path, data)
    if kind == "html":
        tables, problems = _html_tables(data, file, register, year, county_no)
    elif kind == "xlsx":
        tables, problems = _xlsx_tables(path, file, sheet)
    else:
        tables, problems = _csv_tables(data, file)
    if not tables:
        raise InputError(problems)
    multi = len(tables) > 1
    merged: dict[tuple[str, str], tuple[Parsed, int, str, str]] = {}
    names: dict[str, tuple[str, int, str]] = {}  # name key → (name as written, row, table label)
    totals: dict[str, tuple[Parsed, int, str]] = {}
    total_name = ""
    kommune_header = "Kommune"
    aliases = {normalise_name(a) for a in register.county_aliases(county_no, year)}
    muni_names = {normalise_name(n) for n in register.municipalities(year, county_no)["kommune"]}
    for t in tables:
        columns, col_problems = _columns(t, file, multi)
        problems += col_problems
        if columns is None:
            continue
        kcol = columns.pop("kommune")
        kommune_header = t.header[kcol]
        rows = _county_rows(t, register, year, county_no)
        seen_here: dict[str, int] = {}
        last = len(rows) - 1
        for i, (row, rowno) in enumerate(rows):
            if len(row) < len(t.header):
                what = ("en hel rad; tabellen ser ut til å være avkortet (siste rad mangler celler)"
                        if i == last else "like mange celler som overskriftsraden")
                # name the first missing column (the name column when the row is empty)
                missing = t.header[len(row)] if row else t.header[kcol]
                problems.append(Problem(file, expected=f"{len(t.header)} celler: {what}", found=f"{len(row)} celler",
                                        row=rowno, column=_col(missing, t, multi)))
                continue
            if any(c is not None and str(c).strip() for c in row[len(t.header):]):
                problems.append(Problem(file, expected=f"{len(t.header)} celler som overskriftsraden",
                                        found=f"{len(row)} celler", row=rowno))
                continue
            name = "" if row[kcol] is None else " ".join(str(row[kcol]).split())
            if not name:
                problems.append(Problem(file, expected="et kommunenavn", found="tom celle", row=rowno,
                                        column=_col(t.header[kcol], t, multi)))
                continue
            key = normalise_name(name)
            is_total = key in _TOTAL_NAMES or (key in aliases and (key not in muni_names or key in seen_here))
            parsed = {var: parse_cell(row[c], symbols=IMDI_SYMBOLS, text_pattern=IMDI_TEXT_PATTERN,
                                      nonnegative=True) for var, c in columns.items()}
            for var, cell in parsed.items():
                if cell.error:
                    problems.append(Problem(file, expected=cell.error, found=_shown(row[columns[var]]), row=rowno,
                                            column=_col(t.header[columns[var]], t, multi)))
            if is_total:
                total_name = name
                for var, cell in parsed.items():
                    totals.setdefault(var, (cell, rowno, t.header[columns[var]]))
                continue
            if key in seen_here:
                problems.append(Problem(file, expected=f"én rad per kommune; «{name}» står også i rad "
                                        f"{seen_here[key]}", found=name, row=rowno,
                                        column=_col(t.header[kcol], t, multi)))
                continue
            seen_here[key] = rowno
            names.setdefault(key, (name, rowno, t.label))
            for var, cell in parsed.items():
                if cell.error:
                    continue
                earlier = merged.get((key, var))
                if earlier is None:
                    merged[(key, var)] = (cell, rowno, t.header[columns[var]], t.label)
                elif (earlier[0].value, earlier[0].status) != (cell.value, cell.status):
                    problems.append(Problem(
                        file, expected=f"samme tall som i {earlier[3]} rad {earlier[1]} "
                        f"({_shown_parsed(earlier[0])})", found=_shown_parsed(cell), row=rowno,
                        column=_col(t.header[columns[var]], t, multi)))

    # names → codes within the county, in the structure of the page's year
    name_series = pd.Series([n for n, _, _ in names.values()], index=[r for _, r, _ in names.values()],
                            dtype="object")
    codes, name_problems = register.match_names(name_series, year, county_no, file=file, column=kommune_header)
    problems += name_problems
    code_of: dict[str, str] = {}
    first_row_of_code: dict[str, int] = {}
    for (key, (name, rowno, _)), code in zip(names.items(), codes):
        if pd.isna(code):
            continue
        if code in first_row_of_code:
            problems.append(Problem(file, expected=f"én rad per kommune; «{name}» er samme kommune ({code}) som "
                                    f"rad {first_row_of_code[code]}", found=name, row=rowno, column=kommune_header))
            continue
        first_row_of_code[code] = rowno
        code_of[key] = code

    problems += _total_problems(merged, totals, total_name, file)
    records = [
        {"kommunenummer": code_of[key], "aar": int(year), "variabel": var, "verdi": cell.value,
         "status": cell.status, "_rad": rowno, "_kolonne": header}
        for (key, var), (cell, rowno, header, _) in merged.items()
        if key in code_of
    ]
    county_total = {var: cell.value for var, (cell, _, _) in totals.items()}
    attrs: dict[str, Any] = {"county_total": county_total, "county": register.county_name(county_no, year),
                             "tables": tuple(t.label for t in tables),
                             # a copy cut inside the last number ends without a newline (see sources/plausibility.py)
                             "final_newline": kind != "csv" or data.rstrip(b" \t\x00").endswith((b"\n", b"\r"))}
    if target_county is not None:
        attrs["target_county"] = register.county_name(target_county, target_year)
    return build_tidy(
        long_frame(records), register=register, target_year=target_year, county=target_county, file=file,
        problems=problems, split_weights=split_weights, attrs=attrs,
    )


def _page_county(register: Register, county: str | int, year: int, target_year: int) -> tuple[str, str | None]:
    """(the county whose table to read, in ``year``'s structure; the ``target_year`` county to narrow to or None).

    A county of ``target_year``'s structure that ``year``'s structure lacks (the counties split in 2024) is read
    from the one county its municipalities belonged to in ``year``.
    """
    try:
        return register.county_number(county, year), None
    except UnknownCountyError as not_then:
        if register.structure_year(target_year) <= register.structure_year(year):
            raise
        try:
            target = register.county_number(county, target_year)
        except UnknownCountyError:
            raise not_then from None
    codes = set(register.municipalities(target_year, target)["kommunenummer"])
    mapping = register.code_mapping(year, target_year)
    sources = set(mapping.loc[mapping["til_kode"].isin(codes), "fra_kode"])
    then = register.municipalities(year)
    before = sorted(set(then.loc[then["kommunenummer"].isin(sources), "fylkesnummer"]))
    if len(before) != 1:
        names = ", ".join(f"{n} {register.county_name(n, year)}" for n in before)
        raise UnknownCountyError(
            f"Fylket «{county}» ({target} {register.county_name(target, target_year)}) fantes ikke i "
            f"kommuneinndelingen {register.structure_label(register.structure_year(year))}, og kommunene lå da i "
            f"flere fylker ({names}). Les tabellen for hvert av dem med fylket slik siden for {year} navngir det."
        )
    return before[0], target


def _kind(path: Path, data: bytes) -> str:
    """html, xlsx or csv, from the suffix or the first bytes."""
    suffix = path.suffix.casefold()
    if suffix in {".html", ".htm", ".xhtml"}:
        return "html"
    if suffix in {".xlsx", ".xlsm"} or data[:2] == b"PK":
        return "xlsx"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \r\n\t").lower()
    if head.startswith((b"<!doctype", b"<html")) or b"<table" in data[:200000].lower():
        return "html"
    return "csv"


def _col(header: str, table: RawTable, multi: bool) -> str:
    return f"{header}, {table.label}" if multi else header


def _shown(raw: Any) -> str:
    return "" if raw is None else str(raw)


def _shown_parsed(cell: Parsed) -> str:
    if cell.status is not None:
        return cell.status
    return "" if cell.value is None else f"{cell.value:g}"


def _columns(t: RawTable, file: str, multi: bool) -> tuple[dict[str, int] | None, list[Problem]]:
    """Variable → column index for a table, with problems for missing, unknown or repeated columns."""
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for i, h in enumerate(t.header):
        values = [r[i] for r in t.rows if i < len(r)]
        if not str(h).strip():
            if all(v is None or not str(v).strip() for v in values):
                continue  # an empty column from the paste
            problems.append(Problem(file, expected="en kolonneoverskrift", found="tom overskrift", row=t.header_row,
                                    column=f"kolonne {i + 1}"))
            continue
        var = imdi_variable(h)
        if var is None:
            if normalise_name(h) in _META_COLUMNS:
                continue
            known = ", ".join(f"«{x}»" for x in LONG_HEADERS.values())
            problems.append(Problem(file, expected=f"en kjent kolonne fra IMDi ({known} eller «... avtalt å "
                                    "bosette:»)", found=h, row=t.header_row, column=_col(h, t, multi)))
            continue
        if var in columns:
            problems.append(Problem(file, expected=f"kolonnen for «{var}» bare én gang",
                                    found=h, row=t.header_row, column=_col(h, t, multi)))
            continue
        if var != "kommune" and values and all(v is None or not str(v).strip() for v in values):
            continue  # a column this county does not use (e.g. avtalt outside Oslo in a compiled copy)
        columns[var] = i
    for need in ("kommune", "anmodet"):
        if need not in columns:
            problems.append(Problem(file, expected=f"kolonnen «{LONG_HEADERS[need]}»",
                                    found=" | ".join(t.header) or "ingen overskrifter", row=t.header_row,
                                    column=LONG_HEADERS[need]))
    return (columns if not problems else None), problems


def _county_rows(t: RawTable, register: Register, year: int, county_no: str) -> list[tuple[list[Any], int]]:
    """The table's rows (a compiled copy with a fylke column is narrowed to the county)."""
    rows = list(zip(t.rows, t.row_numbers))
    lower = [normalise_name(h) for h in t.header]
    if "fylke" in lower:
        i = lower.index("fylke")
        aliases = {normalise_name(a) for a in register.county_aliases(county_no, year)}
        rows = [(r, n) for r, n in rows if i < len(r) and normalise_name(str(r[i] or "")) in aliases]
    return rows


def _total_problems(
    merged: dict[tuple[str, str], tuple[Parsed, int, str, str]],
    totals: dict[str, tuple[Parsed, int, str]],
    total_name: str,
    file: str,
) -> list[Problem]:
    """The municipal anmodet and vedtatt must add up to the county row (IMDi's own check)."""
    problems = []
    for var in ("anmodet", "vedtatt"):
        if var not in totals or totals[var][0].value is None:
            continue
        cells = [c for (_, v), (c, _, _, _) in merged.items() if v == var]
        total = sum(c.value for c in cells if c.value is not None)
        cell, rowno, header = totals[var]
        if abs(total - cell.value) > 1e-9:
            problems.append(Problem(
                file, expected=f"at kommunene summerer til fylkets tall i raden «{total_name}» ({cell.value:g}); "
                f"mangler det rader?", found=f"sum {total:g}", row=rowno, column=header))
    return problems


# --- the three layouts -----------------------------------------------------------------------------------------


def _html_tables(
    data: bytes, file: str, register: Register, year: int, county_no: str
) -> tuple[list[RawTable], list[Problem]]:
    """The county's tables on a saved IMDi page (one table per county under a heading with its name)."""
    page_years, page_tables, decode_problems = _parse_page(data, file)
    problems = list(decode_problems)
    if decode_problems:
        return [], problems
    if page_years and int(year) not in page_years:
        problems.append(Problem(file, expected=f"siden for «Nøkkeltall bosetting {year}»",
                                found=f"Nøkkeltall bosetting {', '.join(map(str, sorted(page_years)))}", row=None,
                                column="overskrift"))
    counties = register.counties(year)
    found: dict[str, str] = {}
    chosen: list[RawTable] = []
    for n, (heading_text, cells) in enumerate(page_tables, start=1):
        if not cells or not any(imdi_variable(h) == "kommune" for h in cells[0]):
            continue  # not a municipality table (e.g. the national county overview)
        number = _heading_county(heading_text, counties, register, year)
        if number is None:
            found.setdefault(f"«{heading_text}» (ukjent fylke)", "")
            continue
        found.setdefault(number, heading_text)
        if number != county_no:
            continue
        label = f"tabell {n} under «{heading_text}»"
        for r, row in enumerate(cells, start=1):
            for c, text in enumerate(row):
                if garbled := find_garbled(text):
                    problems.append(Problem(file, expected="lesbar tekst i UTF-8 eller Windows-1252, men siden "
                                            f"inneholder {garbled[1]}", found=garbled[0], row=r,
                                            column=cells[0][c] if c < len(cells[0]) else None))
        chosen.append(RawTable(list(cells[0]), [list(c) for c in cells[1:]], list(range(2, len(cells) + 1)), 1,
                               label))
    if not chosen:
        shown = []
        for number, heading in found.items():
            if heading:
                name = counties.loc[counties["fylkesnummer"] == number, "fylke"].iloc[0]
                shown.append(f"{number} {name}")
            else:
                shown.append(number)
        wanted = register.county_name(county_no, year)
        problems.append(Problem(file, expected=f"en tabell under en overskrift med fylket {county_no} {wanted}",
                                found="tabeller for " + (", ".join(shown) if shown else "ingen fylker")))
    if problems:
        return [], problems
    return chosen, problems


@functools.lru_cache(maxsize=8)
def _parse_page(data: bytes, file: str) -> tuple[frozenset[int], tuple[tuple[str, tuple[tuple[str, ...], ...]], ...],
                                                  tuple[Problem, ...]]:
    """(years named in title/h1, (heading, cell rows) per table, decoding problems) for a saved page; cached."""
    declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.IGNORECASE)
    decoded, problems = decode_bytes(data, file=file, declared=declared.group(1).decode() if declared else None)
    if decoded is None:
        return frozenset(), (), tuple(problems)
    soup = BeautifulSoup(decoded.text, "html.parser")
    for tag in soup.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()  # the page's JSON copy of the tables lives in a script: never read it
    title = " ".join(h.get_text(" ", strip=True) for h in soup.find_all(["title", "h1"]))
    tables = []
    for table in soup.find_all("table"):
        caption = table.find("caption")
        heading = caption or table.find_previous(_HEADINGS)
        heading_text = heading.get_text(" ", strip=True) if heading else ""
        cells = tuple(tuple(c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"]))
                      for tr in table.find_all("tr"))
        tables.append((heading_text, cells))
    return frozenset(int(y) for y in _PAGE_YEAR.findall(title)), tuple(tables), ()


def _heading_county(heading: str, counties: pd.DataFrame, register: Register, year: int) -> str | None:
    """The county a heading names ("Trøndelag", "Rogaland 2023", "Troms - Romsa - Tromssa"), or None."""
    text = re.sub(r"\b(19|20)\d{2}\b", " ", heading)
    key = normalise_name(text)
    words = " " + re.sub(r"[\W_]+", " ", key).strip() + " "
    best, best_len = None, 0
    for number in counties["fylkesnummer"]:
        for alias in register.county_aliases(number, year):
            a = normalise_name(alias)
            if a == key:
                return number
            aw = " " + re.sub(r"[\W_]+", " ", a).strip() + " "
            if aw.strip() and aw in words and len(aw) > best_len:
                best, best_len = number, len(aw)
    return best


def _xlsx_tables(path: Path, file: str, sheet: str | None) -> tuple[list[RawTable], list[Problem]]:
    """The table pasted into a workbook (first sheet unless named); rows above the header are skipped."""
    try:
        # from the bytes, so a workbook saved with a .csv name (Excel's «Lagre som» on a Friday) is read as what it is
        wb = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for damaged files
        return [], [Problem(file, expected="en lesbar xlsx-fil", found=f"{type(exc).__name__}: {exc}")]
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            return [], [Problem(file, expected=f"arket «{sheet}»", found=", ".join(wb.sheetnames), column="ark")]
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    finally:
        wb.close()
    return _find_header(rows, list(range(1, len(rows) + 1)), file, f"arket «{ws.title}»")


def _csv_tables(data: bytes, file: str) -> tuple[list[RawTable], list[Problem]]:
    """The table pasted into a spreadsheet and saved as CSV (; or , or tab; UTF-8 or Windows-1252)."""
    decoded, problems = decode_bytes(data, file=file)
    if decoded is None:
        return [], problems
    table, csv_problems = read_csv_text(decoded.text, file=file, header_hint=re.compile(r"(?i)^\W*kommune"))
    problems += csv_problems
    if table is None:
        return [], problems
    found, more = _find_header(table.rows, table.row_numbers, file, "CSV-filen")
    return found, problems + more


def _find_header(rows: list[list[Any]], numbers: list[int], file: str, label: str) -> tuple[list[RawTable],
                                                                                             list[Problem]]:
    """Locate the header row (the one starting with «Kommune») and cut the table from there."""
    for idx, row in enumerate(rows[:20]):
        cells = ["" if c is None else clean_header(str(c)) for c in row]
        start = next((i for i, c in enumerate(cells) if c), None)
        if start is not None and imdi_variable(cells[start]) == "kommune":
            header = cells[start:]
            while header and not header[-1]:
                header.pop()
            body, body_numbers = [], []
            for r, n in zip(rows[idx + 1 :], numbers[idx + 1 :]):
                cut = list(r[start:])
                if all(c is None or not str(c).strip() for c in cut):
                    continue
                # cells beyond the header are Excel's empty tail; keep them only if they hold something
                while len(cut) > len(header) and (cut[-1] is None or not str(cut[-1]).strip()):
                    cut.pop()
                body.append(cut)
                body_numbers.append(n)
            if not body:
                return [], [Problem(file, expected="minst én kommunerad under overskriftsraden",
                                    found="ingen datarader", row=numbers[idx] + 1)]
            return [RawTable(header, body, body_numbers, numbers[idx], label)], []
    first = " | ".join("" if c is None else str(c) for c in rows[0]) if rows else ""
    return [], [Problem(file, expected="en overskriftsrad som begynner med «Kommune»", found=first[:120],
                        row=numbers[0] if numbers else None, column="Kommune")]
