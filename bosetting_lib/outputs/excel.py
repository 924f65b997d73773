"""The table for IMDi as a formatted Excel workbook: Anbefaling, Metode and Kilder sheets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bosetting_lib.config.params import Params
from bosetting_lib.xlsx import save_workbook

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)


def _write_sheet(ws, frame: pd.DataFrame, headers: list[str], widths: list[int] | None = None) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in frame.itertuples(index=False):
        ws.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, start=1):
        width = (widths[i - 1] if widths else None) or min(60, max(10, len(str(header)) + 2))
        ws.column_dimensions[get_column_letter(i)].width = width


def write_recommendation_workbook(
    path: Path, params: Params, table: pd.DataFrame, columns: dict[str, str], method_rows: list[tuple[str, str]],
    sources: pd.DataFrame,
) -> None:
    """Write ``anbefaling.xlsx``; ``columns`` maps table columns to Norwegian headers, in order."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Anbefaling"
    data = table[list(columns)]
    _write_sheet(ws, data, list(columns.values()), [10, 22] + [12] * (len(columns) - 2))
    for row in ws.iter_rows(min_row=2, min_col=3):
        for cell in row:
            if isinstance(cell.value, (int, float)):
                cell.number_format = "# ##0" if isinstance(cell.value, int) else "0.0000"
    total_row = ws.max_row + 1
    ws.cell(total_row, 2, "Sum").font = BOLD
    anbefaling_col = list(columns).index("anbefaling") + 1
    ws.cell(total_row, anbefaling_col, int(table["anbefaling"].sum())).font = BOLD

    method = wb.create_sheet("Metode")
    _write_sheet(method, pd.DataFrame(method_rows, columns=["Parameter", "Verdi"]), ["Parameter", "Verdi"], [34, 90])
    for row in method.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    kilder = wb.create_sheet("Kilder")
    cols = ["fil", "datatype", "kilde", "lisens", "referansedato"]
    _write_sheet(kilder, sources[cols], ["Fil", "Type", "Kilde", "Lisens", "Referansedato"], [48, 10, 70, 26, 14])
    save_workbook(wb, path)


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """A plain workbook with one formatted sheet per table (headers as in the data)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        _write_sheet(ws, frame, [str(c) for c in frame.columns])
    save_workbook(wb, path)
