"""Reader for NAV's registered unemployment per municipality and month (a compiled CSV); the annual mean is derived here.

NAV publishes registered fully unemployed (helt ledige) per municipality each month, as a percentage of the labour
force and as a count. The key needs one figure per year, so this reader derives it: the mean of the twelve monthly
figures of each whole calendar year. That is *not* NAV's own published annual average (NAV divides the mean count by
the mean labour force); the two differ by at most a few hundredths of a percentage point. A year with fewer than
twelve months (the current one) gives no annual figure: it is listed in ``attrs["incomplete_years"]``, never
averaged over the months it has. A month published as a symbol makes that year's mean a symbol too (the most
restrictive one), never a mean of the remaining months and never 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.readers.tidy import TIDY_COLUMNS
from bosetting_lib.sources.cells import (
    SSB_SYMBOLS,
    STATUS_PRIORITY,
    decode_bytes,
    normalise_symbol,
    parse_number,
    parse_year,
    read_csv_text,
)

# Accepted headers (the compiled file's English ones first, then Norwegian ones an analyst might use).
_COLUMNS = {
    "kommunenummer": ("kommunenummer", "kommunenr", "knr"),
    "year": ("year", "år", "aar"),
    "month": ("month", "måned", "maaned", "mnd"),
    "value": ("value", "prosent", "helt_ledige_prosent", "andel"),
}
_COUNT_HEADERS = ("helt_ledige_count", "helt_ledige", "antall")
_SYMBOL_HEADERS = ("status_symbol", "symbol")

RATE_VARIABLE = "helt_ledige_prosent"
COUNT_VARIABLE = "helt_ledige"


def read_nav_monthly(path: str | Path, *, register, structure_year: int) -> pd.DataFrame:
    """Registered unemployment per municipality and month -> the tidy table of annual means (whole years only).

    Variables: ``helt_ledige_prosent`` (mean of the twelve monthly percentages of the labour force) and, when the file
    has counts, ``helt_ledige`` (mean of the twelve monthly counts). Codes are checked against ``structure_year``'s
    municipalities (NAV publishes on the current structure). Raises one InputError listing every problem.
    """
    file = str(path)
    decoded, problems = decode_bytes(Path(path).read_bytes(), file=file)
    if decoded is None:
        raise InputError(problems)
    table, problems = read_csv_text(decoded.text, file=file)
    if table is None or not table.rows:
        raise InputError(problems or [Problem(file, expected="en overskriftsrad og datarader", found="tom fil", row=1)])
    header = [h.strip().lstrip("\ufeff").casefold() for h in table.rows[0]]
    where: dict[str, int] = {}
    for name, accepted in _COLUMNS.items():
        index = next((header.index(a) for a in accepted if a in header), None)
        if index is None:
            problems.append(Problem(file, expected=f"kolonnen «{accepted[0]}»", found="mangler", row=table.row_numbers[0],
                                    column=accepted[0]))
        else:
            where[name] = index
    if problems:
        raise InputError(problems)
    count_at = next((header.index(a) for a in _COUNT_HEADERS if a in header), None)
    symbol_at = next((header.index(a) for a in _SYMBOL_HEADERS if a in header), None)
    name_at = next((header.index(a) for a in ("kommune", "kommunenavn") if a in header), None)
    shown = table.rows[0]
    known = set(register.municipalities(structure_year)["kommunenummer"])
    names = register.municipalities(structure_year).set_index("kommunenummer")["kommune"]

    records, seen = [], {}
    for record, line in zip(table.rows[1:], table.row_numbers[1:]):
        if len(record) != len(header):
            problems.append(Problem(file, expected=f"{len(header)} felt som overskriftsraden", found=f"{len(record)} felt", row=line))
            continue
        code = record[where["kommunenummer"]].strip()
        if code not in known:
            problems.append(Problem(file, expected=register.describe_invalid_code(code, structure_year) if code.isdigit()
                                    else f"et firesifret kommunenummer i {structure_year}", found=code, row=line,
                                    column=shown[where["kommunenummer"]]))
            continue
        if name_at is not None and (why := register.name_mismatch(code, record[name_at])):
            problems.append(Problem(file, expected=why, found=record[name_at], row=line, column=shown[name_at]))
            continue
        year = parse_year(record[where["year"]])
        if year is None:
            problems.append(Problem(file, expected="et årstall (fire sifre)", found=record[where["year"]], row=line,
                                    column=shown[where["year"]]))
            continue
        month_text = record[where["month"]].strip()
        if not (month_text.isdigit() and 1 <= int(month_text) <= 12):
            problems.append(Problem(file, expected="en måned 1–12", found=month_text, row=line, column=shown[where["month"]]))
            continue
        month = int(month_text)
        if (code, year, month) in seen:
            problems.append(Problem(file, expected=f"én rad per kommune og måned; {code} {year}-{month:02d} står også i rad "
                                    f"{seen[(code, year, month)]}", found=code, row=line, column=shown[where["kommunenummer"]]))
            continue
        seen[(code, year, month)] = line
        symbol = record[symbol_at].strip() if symbol_at is not None else ""
        row = {"kommunenummer": code, "aar": year, "month": month}
        for variable, at in ((RATE_VARIABLE, where["value"]), (COUNT_VARIABLE, count_at)):
            if at is None:
                continue
            value, status, error = _cell(record[at], symbol)
            if error:
                problems.append(Problem(file, expected=error, found=record[at], row=line, column=shown[at]))
            row[variable] = (value, status)
        records.append(row)
    if problems:
        raise InputError(problems)
    if not records:
        raise InputError(Problem(file, expected="minst én datarad under overskriftsraden", found="ingen datarader",
                                 row=table.row_numbers[0] + 1))

    out, incomplete = [], {}
    variables = [RATE_VARIABLE] + ([COUNT_VARIABLE] if count_at is not None else [])
    by_year: dict[tuple[str, int], list[dict]] = {}
    for row in records:
        by_year.setdefault((row["kommunenummer"], row["aar"]), []).append(row)
    for (code, year), months in sorted(by_year.items()):
        if len(months) < 12:
            incomplete[year] = max(incomplete.get(year, 0), len(months))
            continue
        for variable in variables:
            cells = [m[variable] for m in months]
            statuses = [s for _, s in cells if s is not None]
            if statuses:
                status = min(statuses, key=STATUS_PRIORITY.index)  # the most restrictive symbol of the year's months
                out.append((code, names[code], year, variable, pd.NA, status))
            else:
                out.append((code, names[code], year, variable, sum(v for v, _ in cells) / 12, pd.NA))
    tidy = pd.DataFrame(out, columns=TIDY_COLUMNS).astype(
        {"kommunenummer": "str", "kommune": "str", "aar": "int64", "variabel": "str", "verdi": "Float64", "status": "str"})
    tidy = tidy.sort_values(["kommunenummer", "aar", "variabel"], kind="stable").reset_index(drop=True)
    tidy.attrs = {"source": file, "translation_report": (), "encoding": decoded.encoding,
                  "derived": "årssnitt av tolv månedstall per hele kalenderår",
                  "incomplete_years": tuple(f"{year} ({n} {'måned' if n == 1 else 'måneder'})" for year, n in sorted(incomplete.items()))}
    return tidy


def _cell(text: str, symbol: str) -> tuple[float | None, str | None, str | None]:
    """(value, status, error) for one monthly cell; an empty cell takes the row's symbol column, if any."""
    text = text.strip()
    if not text:
        if symbol in SSB_SYMBOLS:
            return None, normalise_symbol(symbol), None
        return None, None, "et tall eller et symbol (. .. … : -), ikke en tom celle"
    if text in SSB_SYMBOLS:
        return None, normalise_symbol(text), None
    value = parse_number(text)
    if value is None:
        return None, None, "et tall eller et symbol (. .. … : -)"
    if value < 0:
        return None, None, "et tall ≥ 0"
    return value, None, None
