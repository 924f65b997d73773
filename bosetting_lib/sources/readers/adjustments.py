"""The county's own adjustments file: kommunenummer, ny_verdi or endring, begrunnelse, besluttet_av."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.cells import clean_header, decode_bytes, read_csv_text
from bosetting_lib.sources.register import Register

ADJUSTMENT_COLUMNS = ["kommunenummer", "ny_verdi", "endring", "begrunnelse", "besluttet_av"]


def read_adjustments_file(
    path: Path,
    municipalities: pd.DataFrame,
    *,
    register: Register | None = None,
    year: int | None = None,
    total: int | None = None,
    minimum: int = 0,
    exceptions: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """The county's adjustments (kommunenummer, ny_verdi or endring, begrunnelse, besluttet_av) from a CSV file.

    ``municipalities`` are the county's; with ``register`` and ``year`` a wrong code is explained (an old number,
    another county's). With ``total`` the rules that need no model are checked too: a new value must be 0 or at
    least ``minimum`` (unless excepted), and the new values together may not exceed the total. Raises one
    InputError listing every problem.
    """
    file = str(path)
    if not Path(path).is_file():
        raise InputError(Problem(file, expected="en fil som finnes (navngitt i parameterfilen)", found="filen finnes ikke",
                                 column="inndata.justeringer"))
    decoded, problems = decode_bytes(Path(path).read_bytes(), file=file)
    if decoded is None:
        raise InputError(problems)
    table, problems = read_csv_text(decoded.text, file=file)
    if table is None or not table.rows:
        raise InputError(problems or [Problem(file, expected="en overskriftsrad med " + ", ".join(ADJUSTMENT_COLUMNS),
                                              found="tom fil", row=1)])
    header = [clean_header(h) for h in table.rows[0]]
    problems += [Problem(file, expected="kolonnen finnes", found="mangler", row=table.row_numbers[0], column=c)
                 for c in ("kommunenummer", "begrunnelse", "besluttet_av") if c not in header]
    if "ny_verdi" not in header and "endring" not in header:
        problems.append(Problem(file, expected="kolonnen «ny_verdi» eller «endring»", found="ingen av dem",
                                row=table.row_numbers[0], column="ny_verdi"))
    if problems:
        raise InputError(problems)
    county_codes = set(municipalities["kommunenummer"])
    records, rows = [], []
    seen: dict[str, int] = {}
    for record, line in zip(table.rows[1:], table.row_numbers[1:]):
        if len(record) != len(header):
            problems.append(Problem(file, expected=f"{len(header)} felt som overskriftsraden", found=f"{len(record)} felt",
                                    row=line))
            continue
        row = {c: "" for c in ADJUSTMENT_COLUMNS} | {h: v.strip() for h, v in zip(header, record) if h in ADJUSTMENT_COLUMNS}
        code = row["kommunenummer"]
        if code not in county_codes:
            problems.append(Problem(file, expected=_county_code_text(code, municipalities, register, year), found=code,
                                    row=line, column="kommunenummer"))
        elif code in seen:
            problems.append(Problem(file, expected=f"én justering per kommune; {code} står også i rad {seen[code]}",
                                    found=code, row=line, column="kommunenummer"))
        else:
            seen[code] = line
        new, change = row["ny_verdi"], row["endring"]
        if bool(new) == bool(change):
            problems.append(Problem(file, expected="enten ny_verdi eller endring (ikke begge)", found=f"{new!r} / {change!r}",
                                    row=line, column="ny_verdi"))
        elif new and not new.isdigit():
            problems.append(Problem(file, expected="et heltall ≥ 0", found=new, row=line, column="ny_verdi"))
        elif change and not change.lstrip("+-").isdigit():
            problems.append(Problem(file, expected="et heltall med fortegn, f.eks. +5 eller -10", found=change, row=line,
                                    column="endring"))
        elif new and total is not None and 0 < int(new) < minimum and code not in exceptions:
            problems.append(Problem(file, expected=f"0 eller minst minstetallet {minimum} (eller kommunen i «unntak» i "
                                    "parameterfilen)", found=new, row=line, column="ny_verdi"))
        for column in ("begrunnelse", "besluttet_av"):
            if not row[column]:
                problems.append(Problem(file, expected="en begrunnelse og hvem som har besluttet", found="tom", row=line,
                                        column=column))
        records.append(row)
        rows.append(line)
    fixed = sum(int(r["ny_verdi"]) for r in records if r["ny_verdi"].isdigit())
    if total is not None and fixed > total:
        problems.append(Problem(file, expected=f"nye verdier som til sammen ikke er over fylkets totaltall ({total})",
                                found=f"sum {fixed}", column="ny_verdi"))
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(records, columns=ADJUSTMENT_COLUMNS, dtype="str")
    frame.attrs = {"source": file, "rader": tuple(rows)}  # each adjustment's row, for problems found after the model
    return frame


def _county_code_text(code: str, municipalities: pd.DataFrame, register: Register | None, year: int | None) -> str:
    """'Expected' text for a code that is not one of the county's municipalities, saying what the code is."""
    county = municipalities["fylke"].iloc[0] if "fylke" in municipalities.columns and len(municipalities) else "fylket"
    text = f"et kommunenummer i {county}"
    if register is None or year is None:
        return text
    if not re.fullmatch(r"\d{4}", code):
        return f"{text}; {register.describe_invalid_code(code, year)}"
    structure = register.structure_year(year)
    if code in register.valid_codes(structure):
        other = register.municipalities(year).set_index("kommunenummer").loc[code]
        return f"{text}; {code} {other['kommune']} hører til {other['fylke']}"
    where = register.valid_in(code)
    if where:
        last = where[-1]
        return (f"{text}; {code} {register.name_of(code, last)} er et gammelt nummer (sist i kommuneinndelingen "
                f"{register.structure_label(last)})")
    return f"{text}; {code} er ikke et kommunenummer"
