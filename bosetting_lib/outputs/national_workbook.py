"""The national workbook (``nasjonalt/anbefaling.xlsx``) made for people, like the county workbook: Norwegian
headers, number formats, a filter, totals, and Metode and Kilder sheets. The CSV beside it keeps the machine names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment

from bosetting_lib.outputs.excel import WHOLE, _sum_row, _write_sheet, column_formats, symbols_in_cells
from bosetting_lib.outputs.html import short_label
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.raw_manifest import read_manifest
from bosetting_lib.xlsx import save_workbook

# Norwegian headers for the national table's columns (history columns are named by pattern below).
HEADERS = {
    "kommunenummer": "Kommunenummer", "kommune": "Kommune", "fylkesnummer": "Fylkesnummer", "fylke": "Fylke",
    "folketall": "Folketall 1.1.{last}", "modell": "Modellens tall", "justering": "Fylkets justering",
    "anbefaling": "Anbefaling {year}", "herav_em": "Herav enslige mindreårige",
    "endring_fra_anmodning": "Endring fra anmodet {last}", "status": "Status", "begrunnelse": "Hvorfor (personer)",
    "justering_begrunnelse": "Begrunnelse for justering",
}
SUMMARY_HEADERS = {
    "fylkesnummer": "Fylkesnummer", "fylke": "Fylke", "anbefaling": "Anbefaling {year}", "kommuner": "Kommuner",
    "null": "Anbefalt 0", "under_minstetall": "Anbefalt 1–9", "herav_em": "Herav enslige mindreårige",
    "anmodet_i_fjor": "Anmodet {last}", "endring": "Endring fra anmodet {last}",
}
HISTORY_NAMES = {"anmodet": "Anmodet", "vedtatt": "Vedtatt", "bosatte": "Bosatte"}


def _header(column: str, year: int, table: dict[str, str]) -> str:
    if column in table:
        return table[column].format(year=year, last=year - 1)
    variable, _, rest = column.partition("_")
    if variable in HISTORY_NAMES and rest.isdigit():
        return f"{HISTORY_NAMES[variable]} {rest}"
    return column.replace("_", " ").capitalize()


def method_rows(year: int, counties: list[str], names: dict[str, str], table: pd.DataFrame) -> list[tuple[str, object]]:
    """How the national table was made, in words, with the numbers as numbers."""
    return [
        ("År", year),
        ("Fylker", len(counties)),
        ("Kommuner", len(table)),
        ("Personer i alt", int(table["anbefaling"].sum())),
        ("Fremgangsmåte", "Hvert fylke er kjørt for seg med de felles kriteriene og reglene og fylkets totaltall fra "
                          "IMDi; tabellen er fylkenes tabeller lagt under hverandre. Hvert fylkes tall summerer "
                          "nøyaktig til fylkets totaltall."),
        ("Fylker med egen parameterfil", "Fylker med en egen parameterfil (params/<år>_fylke_<nr>.yaml) er kjørt med "
                                         "den, og kan ha flere kriterier enn de felles."),
        ("Symboler", "«:» betyr at tallet er skjult av personvernhensyn (færre enn 5 personer); «-» at kommunen ikke "
                     "ble anmodet og derfor ikke fattet vedtak; en tom celle at tallet mangler."),
        ("Fylkenes rapporter", "Metode, modell og kriterier for hvert fylke står i fylkets rapport, "
                               "outputs/<år>/<fylkesnummer>/anbefaling.html, og på arket «Metode» i fylkets Excel-fil."),
        *((f"Fylke {c}", names.get(c, c)) for c in counties),
    ]


def write_national_workbook(path: Path, year: int, table: pd.DataFrame, summary: pd.DataFrame,
                            reference: pd.DataFrame | None, data_paths: DataPaths, counties: list[str],
                            names: dict[str, str]) -> None:
    """Write ``anbefaling.xlsx`` for the whole country: Anbefaling, Fylker, Referansenøkler, Metode, Kilder."""
    wb = Workbook()
    wb.properties.title = f"Anbefalinger om bosetting {year} – hele landet"
    ws = wb.active
    ws.title = "Anbefaling"
    data = symbols_in_cells(table)
    keys = list(data.columns)
    formats = column_formats(keys)
    widths = {"kommunenummer": 10, "kommune": 20, "fylkesnummer": 8, "fylke": 18, "status": 28, "begrunnelse": 70,
              "justering_begrunnelse": 40}
    _write_sheet(ws, data, [_header(c, year, HEADERS) for c in keys], [widths.get(c, 12) for c in keys], formats,
                 wrap=("begrunnelse", "justering_begrunnelse", "status"))
    sums = {c: int(pd.to_numeric(table[c], errors="coerce").sum())
            for c in ("folketall", "anbefaling", "herav_em", "endring_fra_anmodning") if c in keys}
    _sum_row(ws, keys, sums, formats, "kommune")

    counties_ws = wb.create_sheet("Fylker")
    s_keys = list(summary.columns)
    s_formats = column_formats(s_keys)
    _write_sheet(counties_ws, summary, [_header(c, year, SUMMARY_HEADERS) for c in s_keys],
                 [12, 20] + [13] * (len(s_keys) - 2), s_formats)
    _sum_row(counties_ws, s_keys, {c: int(summary[c].sum()) for c in s_keys
                                   if c not in ("fylkesnummer", "fylke")}, s_formats, "fylke")

    ref_ws = wb.create_sheet("Referansenøkler")
    if reference is not None and not reference.empty:
        wide = reference.pivot(index="fylkesnummer", columns="navn", values="flyttet").reset_index()
        wide.insert(1, "fylke", wide["fylkesnummer"].map(names))
        key_columns = [c for c in wide.columns if c not in ("fylkesnummer", "fylke")]
        headers = ["Fylkesnummer", "Fylke"] + [f"Flyttet mot {short_label(c)}" for c in key_columns]
        _write_sheet(ref_ws, wide, headers, [12, 20] + [16] * len(key_columns), {c: WHOLE for c in key_columns})
        note = ref_ws.max_row + 2
        ref_ws.cell(note, 1, "Personer anbefalingen plasserer i en annen kommune enn referansenøkkelen (halvparten av "
                             "summen av absolutte forskjeller). Tom celle: nøkkelen er utelatt for fylket fordi inndataene "
                             "mangler. Nøklene: " + " ".join(f"{short_label(c)}: {c}." for c in key_columns))
        ref_ws.cell(note, 1).alignment = Alignment(wrap_text=False)
    else:
        ref_ws.append(["Ingen referansenøkler er regnet ut."])

    method = wb.create_sheet("Metode")
    _write_sheet(method, pd.DataFrame(method_rows(year, counties, names, table), columns=["Parameter", "Verdi"]),
                 ["Parameter", "Verdi"], [30, 100], formats={"Verdi": WHOLE}, autofilter=False)
    for row in method.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")

    sources = read_manifest(data_paths)
    kilder = wb.create_sheet("Kilder")
    cols = ["fil", "datatype", "kilde", "lisens", "referansedato"]
    _write_sheet(kilder, sources[cols], ["Fil", "Type", "Kilde", "Lisens", "Referansedato"], [48, 10, 70, 26, 14],
                 wrap=("kilde",))
    save_workbook(wb, path)
