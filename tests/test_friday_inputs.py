"""Inputs saved differently on a tired Friday that hold the same figures: each must be read to exactly the same tidy
table as the bundled file (the refusals are in tests/corpus/)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.steps.ingest import read_all

IMDI = "imdi/nokkeltall_bosetting_2025_trondelag.csv"
SSB = "ssb/07459_folkemengde_kommuner_2020_2026.csv"


def _rows(text: str, sep: str = ";") -> list[list[str]]:
    return list(csv.reader(text.splitlines(), delimiter=sep))


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append([int(c) if c.isdigit() else c for c in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _moved(rows: list[list[str]]) -> str:
    return "\n".join(";".join([r[0], r[2], r[1], r[4], r[3]]) for r in rows) + "\n"


VARIANTS = {
    "imdi_utf16_tabs_from_excel": (IMDI, lambda t: t.replace(";", "\t").replace("\n", "\r\n").encode("utf-16")),
    "imdi_commas": (IMDI, lambda t: t.replace(";", ",").encode("utf-8")),
    "imdi_columns_moved": (IMDI, lambda t: _moved(_rows(t)).encode("utf-8")),
    "imdi_cp1252_crlf_blank_lines_no_bom": (IMDI, lambda t: (t + "\n\n").replace("\n", "\r\n").encode("cp1252")),
    "imdi_xlsx_with_csv_name": (IMDI, lambda t: _xlsx(_rows(t))),
    "ssb_utf16": (SSB, lambda t: t.encode("utf-16")),
    "ssb_commas": (SSB, lambda t: t.replace(";", ",").encode("utf-8-sig")),
}


@pytest.fixture(scope="module")
def bundled():
    return read_all(load_params(year=2026), DataPaths(), include_feedback=False)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_same_figures_saved_another_way_are_read_the_same(name, bundled, data_copy, params_copy):
    rel, make = VARIANTS[name]
    path = data_copy / "raw" / rel
    path.write_bytes(make(path.read_bytes().decode("utf-8-sig")))
    result = read_all(load_params(params_copy), DataPaths(data_copy), include_feedback=False)
    pd.testing.assert_frame_equal(result.settlement, bundled.settlement)
    pd.testing.assert_frame_equal(result.population, bundled.population)
