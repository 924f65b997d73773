"""The tidy-table contract every reader returns, and the steps that build it from a reader's long table.

The tidy table has exactly the columns in ``TIDY_COLUMNS``: kommunenummer (str, 4 digits), kommune (str, plain
name), aar (int64), variabel (str), verdi (Float64, NA when the cell held a symbol) and status (str, NA when
verdi is a number, else the published symbol or text). Metadata travels in ``DataFrame.attrs`` as plain Python
values (so ``pd.concat`` keeps working): ``source``, ``translation_report`` (records; use
``translation_report(df)``), ``excluded_regions`` and, for IMDi tables, ``county_total``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bosetting_lib.errors import InputError, Problem

from bosetting_lib.sources.register import REPORT_COLUMNS, Register

TIDY_COLUMNS = ["kommunenummer", "kommune", "aar", "variabel", "verdi", "status"]
# The long table a reader hands to ``build_tidy``: the tidy columns (kommune optional) plus where each value came
# from, so problems can name the row and column the analyst sees.
# "." (category not in use then) and ".." (missing) on a code the year's structure lacks are placeholders.
PLACEHOLDER_STATUSES = (".", "..")
LONG_COLUMNS = ["kommunenummer", "aar", "variabel", "verdi", "status", "_rad", "_kolonne"]


def empty_long() -> pd.DataFrame:
    """An empty long table with the right dtypes."""
    return pd.DataFrame(
        {
            "kommunenummer": pd.Series(dtype="str"),
            "aar": pd.Series(dtype="int64"),
            "variabel": pd.Series(dtype="str"),
            "verdi": pd.Series(dtype="Float64"),
            "status": pd.Series(dtype="str"),
            "_rad": pd.Series(dtype="Int64"),
            "_kolonne": pd.Series(dtype="str"),
        }
    )


def long_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A long table from record dicts with LONG_COLUMNS keys."""
    if not records:
        return empty_long()
    # a reader may add "_verdikolonne": the value's own column when "_kolonne" names the region column
    extra = ["_verdikolonne"] if any("_verdikolonne" in r for r in records) else []
    df = pd.DataFrame.from_records(records, columns=LONG_COLUMNS + extra)
    return df.astype(
        {"kommunenummer": "str", "aar": "int64", "variabel": "str", "verdi": "Float64", "status": "str",
         "_rad": "Int64", "_kolonne": "str"}
    )


def _row(value: object) -> int | None:
    return None if pd.isna(value) else int(value)


def duplicate_problems(long: pd.DataFrame, *, file: str) -> list[Problem]:
    """One problem per repeated (kommunenummer, aar, variabel), naming the row it repeats."""
    keys = ["kommunenummer", "aar", "variabel"]
    dup = long[long.duplicated(keys, keep=False)]
    problems = []
    for _, g in dup.groupby(keys, sort=True):
        first = g.iloc[0]
        for _, r in g.iloc[1:].iterrows():
            where = f"rad {_row(first['_rad'])}" if _row(first["_rad"]) is not None else "en annen rad"
            problems.append(
                Problem(
                    file,
                    expected=f"én rad per kommune, år og variabel; {r['kommunenummer']} {r['aar']} "
                    f"«{r['variabel']}» står også i {where}",
                    found=str(r["kommunenummer"]),
                    row=_row(r["_rad"]),
                    column=r["_kolonne"] if pd.notna(r["_kolonne"]) else None,
                )
            )
    return problems


def build_tidy(
    long: pd.DataFrame,
    *,
    register: Register,
    target_year: int,
    county: str | int | None,
    file: str,
    problems: list[Problem] | None = None,
    split_weights: Any = None,
    attrs: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Check codes against each year's structure, translate to ``target_year`` and return the tidy table.

    Raises one InputError with ``problems`` plus every code and duplicate problem found here.
    """
    problems = list(problems or [])
    problems += duplicate_problems(long, file=file)
    structure_of: dict[int, int] = {}
    placeholders = pd.Series(False, index=long.index)
    for year, g in long.groupby("aar", sort=True):
        year = int(year)
        # StatBank cubes list every code for every year, with "." or ".." where the municipality did not exist
        # then; such cells say nothing and must not decide the structure or count as old codes
        empty = g["verdi"].isna() & g["status"].isin(PLACEHOLDER_STATUSES)
        valued = g[~empty]
        s = (register.structure_of_codes(valued["kommunenummer"], year, latest_year=target_year)
             if not valued.empty else register.structure_year(year))
        if s is not None:
            structure_of[year] = s
            placeholders.loc[g.index] = empty & ~g["kommunenummer"].map(lambda c: c in register.valid_codes(s))
            continue
        # report against the structure most codes fit (the year's own or a later one): the rest are old or unknown
        own = register.structure_year(year)
        limit = register.structure_year(target_year)
        candidates = [own] + [t for t in register.structures if own < t <= limit]

        def invalid(t: int, frame: pd.DataFrame = valued) -> pd.Series:
            return ~frame["kommunenummer"].map(lambda c: c in register.valid_codes(t))

        best = min(candidates, key=lambda t: int(invalid(t).sum()))
        for _, r in valued[invalid(best)].iterrows():
            problems.append(
                Problem(file, expected=register.describe_invalid_code(r["kommunenummer"], year, structure=best),
                        found=str(r["kommunenummer"]), row=_row(r["_rad"]),
                        column=r["_kolonne"] if pd.notna(r["_kolonne"]) else None)
            )
    if problems:
        raise InputError(_dedupe(problems))

    dropped = long[placeholders]
    plain = long.loc[~placeholders, ["kommunenummer", "aar", "variabel", "verdi", "status"]]
    parts, reports = [], []
    for s in sorted(set(structure_of.values())):
        years = [y for y, st in structure_of.items() if st == s]
        res = register.translate(plain[plain["aar"].isin(years)], s, target_year, split_weights=split_weights)
        parts.append(res.data)
        reports.append(res.report)
    data = pd.concat(parts, ignore_index=True) if parts else _empty_tidy()
    report = pd.concat([r for r in reports if not r.empty], ignore_index=True) if any(
        not r.empty for r in reports) else pd.DataFrame()
    if county is not None:
        codes = set(register.municipalities(target_year, county)["kommunenummer"])
        data = data[data["kommunenummer"].isin(codes)]
        if not report.empty:
            report = report[report["til_kode"].map(lambda t: any(c in codes for c in str(t).split("+")))]
    dup = data[data.duplicated(["kommunenummer", "aar", "variabel"], keep=False)]
    if not dup.empty:
        # two structures within one year landed on the same code: the file mixes divisions
        raise InputError(
            [Problem(file, expected="én kommuneinndeling per år i filen; etter omkoding til "
                     f"{target_year} finnes {c} {a} «{v}» flere ganger", found=c)
             for c, a, v in dup[["kommunenummer", "aar", "variabel"]].drop_duplicates().itertuples(index=False)]
        )
    out = _finish_types(data)
    out.attrs = {
        "source": file,
        "translation_report": _records(report),
        "placeholders_dropped": tuple(f"{c} {a}" for c, a in zip(dropped["kommunenummer"], dropped["aar"])),
        **value_cells(long, keep=set(out["kommunenummer"])),
        **(attrs or {}),
    }
    return out


def _plain(value: object) -> object:
    if _isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


class CellList(tuple):
    """An immutable list of cells kept in ``DataFrame.attrs``: pandas deep-copies attrs on every operation, and
    sharing an immutable tuple is as safe as copying it (and does not cost seconds on a county's tables)."""

    def __deepcopy__(self, memo: dict) -> CellList:
        return self

    def __copy__(self) -> CellList:
        return self


def value_cells(long: pd.DataFrame, keep: set[str] | None = None) -> dict[str, Any]:
    """Where each value stood, for the plausibility checks (sources/plausibility.py) to name row and column.

    ``value_cells``: (code, year, variable, row, column, value) for every value; ``last_cell``: the last value in
    the file (highest row, last column) with the same municipality's values for the other years, (year, value).
    ``keep``: the codes of the finished table (a value under another code cannot be located in it anyway).
    """
    column = long["_verdikolonne"] if "_verdikolonne" in long.columns else long["_kolonne"]
    valued = long["verdi"].notna()
    if keep is not None:
        valued &= long["kommunenummer"].isin(keep)
    cells = CellList(
        (str(c), int(a), str(v), _plain(r), _plain(k), float(x))
        for c, a, v, r, k, x in zip(long.loc[valued, "kommunenummer"], long.loc[valued, "aar"],
                                    long.loc[valued, "variabel"], long.loc[valued, "_rad"], column[valued],
                                    long.loc[valued, "verdi"]))
    rows = long["_rad"].dropna()
    if rows.empty:
        return {"value_cells": cells}
    last = long.loc[long["_rad"] == rows.max()].iloc[-1]
    same = long.loc[(long["kommunenummer"] == last["kommunenummer"]) & (long["variabel"] == last["variabel"])
                    & (long["aar"] != last["aar"])]
    history = tuple((int(a), _plain(x)) for a, x in zip(same["aar"], same["verdi"]))
    last_cell = (str(last["kommunenummer"]), int(last["aar"]), str(last["variabel"]), _plain(last["verdi"]),
                 _plain(last["_rad"]), _plain(column.loc[last.name]), history)
    return {"value_cells": cells, "last_cell": last_cell}


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _empty_tidy() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(TIDY_COLUMNS, ["str", "str", "int64", "str",
                                                                               "Float64", "str"])})


def _finish_types(df: pd.DataFrame) -> pd.DataFrame:
    out = df[TIDY_COLUMNS].astype(
        {"kommunenummer": "str", "kommune": "str", "aar": "int64", "variabel": "str", "verdi": "Float64",
         "status": "str"}
    )
    return out.sort_values(["kommunenummer", "aar", "variabel"], kind="stable").reset_index(drop=True)


def _records(report: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    """Report rows as plain dicts (None for missing) so attrs compare cleanly in pd.concat."""
    if report.empty:
        return ()
    rows = []
    for rec in report.to_dict("records"):
        rows.append({k: (None if _isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in rec.items()})
    return tuple(rows)


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def translation_report(df: pd.DataFrame) -> pd.DataFrame:
    """The translation report a reader stored in ``df.attrs`` (every merger and split), as a DataFrame."""
    records = df.attrs.get("translation_report", ())
    if not records:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ["aar", "variabel", *REPORT_COLUMNS]}).astype(
            {"aar": "int64", "verdi": "Float64"})
    rep = pd.DataFrame(list(records))
    rep["verdi"] = rep["verdi"].astype("Float64")
    for c in rep.columns:
        if c == "aar":
            rep[c] = rep[c].astype("int64")
        elif c != "verdi":
            rep[c] = rep[c].astype("str")
    return rep
