"""The table for IMDi as a formatted Excel workbook: Anbefaling, Kommuneinformasjon, Metode and Kilder sheets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bosetting_lib.config.params import Params
from bosetting_lib.xlsx import save_workbook

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
# A named font: without a name LibreOffice falls back to a serif font for the bold header cells.
FONT = Font(name="Calibri", size=11)
BOLD = Font(name="Calibri", size=11, bold=True)
# Excel's own thousands separator: a Norwegian Excel shows "1 583" and "-6" (a literal space gave "- 6").
WHOLE = "#,##0"
CHANGE = "+#,##0;-#,##0;0"
DECIMAL = "#,##0.0"


def _cell_value(v):
    return None if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)) else (v.item() if hasattr(v, "item") else v)


def _write_sheet(ws, frame: pd.DataFrame, headers: list[str], widths: list[int] | None = None,
                 formats: dict[str, str] | None = None, wrap: tuple[str, ...] = (), autofilter: bool = True) -> None:
    """Header row (bold, wrapped, frozen), one row per frame row, number formats and wrapping by column, a filter."""
    ws.append(headers)
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    longest = max((len(str(h)) for h in headers), default=10)
    ws.row_dimensions[1].height = 15 * min(4, 1 + longest // 14)  # room for wrapped headers (LibreOffice overlaps otherwise)
    for row in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    formats = formats or {}
    for i, column in enumerate(frame.columns, start=1):
        fmt = formats.get(column)
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.font = FONT
            if fmt and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
            elif isinstance(cell.value, str) and fmt:
                cell.alignment = Alignment(horizontal="right")  # a symbol (":", "-") in a number column
            if column in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, start=1):
        width = (widths[i - 1] if widths and i - 1 < len(widths) else None) or min(60, max(10, len(str(header)) + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
    if autofilter and len(frame):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"


def _sum_row(ws, columns: list[str], sums: dict[str, object], formats: dict[str, str], label_column: str) -> None:
    """A bold Sum row after one empty row, outside the filter range."""
    row = ws.max_row + 2
    ws.cell(row, columns.index(label_column) + 1, "Sum").font = BOLD
    for column, value in sums.items():
        cell = ws.cell(row, columns.index(column) + 1, _cell_value(value))
        cell.font = BOLD
        cell.number_format = formats.get(column, WHOLE)


def symbols_in_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The published symbol (":" hidden, "-" not asked, "avventer vedtak" …) written in the empty figure's own
    cell, and the ``*_status`` columns dropped: a reader sees why a figure is missing where it is missing."""
    out = table.copy()
    for column in [c for c in table.columns if f"{c}_status" in table.columns]:
        status = table[f"{column}_status"].astype("str").where(table[f"{column}_status"].notna(), "")
        fill = out[column].isna() & status.ne("") & status.ne("<NA>")
        if fill.any():
            values = out[column].astype("object")
            values[fill] = status[fill]
            out[column] = values
    return out.drop(columns=[c for c in table.columns if c.endswith("_status") and c[:-7] in table.columns])


def column_formats(columns) -> dict[str, str]:
    """Number formats for the recommendation table's columns by name."""
    formats = {}
    for c in columns:
        if c in ("endring_fra_anmodning", "justering", "endring"):
            formats[c] = CHANGE
        elif c in ("folketall", "modell", "anbefaling", "herav_em", "kommuner", "null", "under_minstetall",
                   "anmodet_i_fjor", "flyttet") or c.split("_")[0] in ("anmodet", "vedtatt", "bosatte"):
            formats[c] = WHOLE
    return formats


def write_recommendation_workbook(
    path: Path, params: Params, table: pd.DataFrame, columns: dict[str, str], method_rows: list[tuple[str, object]],
    sources: pd.DataFrame, extra_sheets: list[tuple[str, pd.DataFrame, list[int]]] | None = None,
) -> None:
    """Write ``anbefaling.xlsx``; ``columns`` maps table columns to Norwegian headers, in order.

    ``extra_sheets`` are (name, frame with Norwegian headers, widths) written after Anbefaling, e.g. the municipality
    information for IMDi.
    """
    wb = Workbook()
    wb.properties.title = f"Anbefaling om bosetting {params.aar} – {params.fylke or params.fylkesnummer}"
    ws = wb.active
    ws.title = "Anbefaling"
    data = symbols_in_cells(table)
    keys = [c for c in columns if c in data.columns]
    data = data[keys]
    formats = column_formats(keys)
    widths = {"kommunenummer": 10, "kommune": 20, "fylkesnummer": 8, "fylke": 14, "status": 28, "begrunnelse": 70,
              "justering_begrunnelse": 40}
    _write_sheet(ws, data, [columns[c] for c in keys], [widths.get(c, 12) for c in keys], formats,
                 wrap=("begrunnelse", "justering_begrunnelse", "status"))
    sums = {c: int(pd.to_numeric(table[c], errors="coerce").sum()) for c in ("folketall", "anbefaling", "herav_em", "endring_fra_anmodning")
            if c in keys}
    _sum_row(ws, keys, sums, formats, "kommune")

    for name, frame, sheet_widths in extra_sheets or []:
        sheet = wb.create_sheet(name)
        _write_sheet(sheet, frame, [str(c) for c in frame.columns], sheet_widths, wrap=tuple(frame.columns))

    method = wb.create_sheet("Metode")
    _write_sheet(method, pd.DataFrame(method_rows, columns=["Parameter", "Verdi"]), ["Parameter", "Verdi"], [34, 90],
                 formats={"Verdi": WHOLE}, autofilter=False)
    for row in method.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")

    kilder = wb.create_sheet("Kilder")
    cols = ["fil", "datatype", "kilde", "lisens", "referansedato"]
    _write_sheet(kilder, sources[cols], ["Fil", "Type", "Kilde", "Lisens", "Referansedato"], [48, 10, 70, 26, 14],
                 wrap=("kilde",))
    save_workbook(wb, path)
