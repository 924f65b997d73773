"""IMDi "Nøkkeltall bosetting" reader: saved pages, xlsx and csv pastes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bosetting_lib.errors import InputError
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.readers import TIDY_COLUMNS, read_raw_table
from bosetting_lib.sources.readers.imdi import imdi_variable, read_imdi_table
from bosetting_lib.sources.register import Register

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
RAW_IMDI = DataPaths().raw / "imdi"


@pytest.fixture(scope="module")
def reg() -> Register:
    return Register.load()


def read(path: Path, reg: Register, *, year: int, county: str = "50", target_year: int = 2026) -> pd.DataFrame:
    return read_imdi_table(path, year=year, county=county, register=reg, target_year=target_year)


def cell(df: pd.DataFrame, code: str, variabel: str) -> pd.Series:
    rows = df.loc[(df["kommunenummer"] == code) & (df["variabel"] == variabel)]
    assert len(rows) == 1
    return rows.iloc[0]


def wide(df: pd.DataFrame) -> pd.DataFrame:
    return df.pivot(index="kommunenummer", columns="variabel", values="verdi")


# --- the bundled Trøndelag files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "anmodet", "vedtatt"), [(2022, 3790, 3610), (2024, 3850, 3015), (2025, 1446, 1949)])
def test_bundled_csvs_read_cleanly(reg: Register, year: int, anmodet: int, vedtatt: int) -> None:
    df = read(RAW_IMDI / f"nokkeltall_bosetting_{year}_trondelag.csv", reg, year=year)
    assert list(df.columns) == TIDY_COLUMNS and str(df["verdi"].dtype) == "Float64"
    assert df["kommunenummer"].nunique() == 38 and len(df) == 38 * 4
    assert set(df["variabel"]) == {"anmodet", "vedtatt", "bosatte", "herav_kollektiv_beskyttelse"}
    assert (df["aar"] == year).all()
    assert set(df["kommunenummer"]) == set(reg.municipalities(2026, "50")["kommunenummer"])
    sums = df.groupby("variabel")["verdi"].sum()
    assert sums["anmodet"] == anmodet and sums["vedtatt"] == vedtatt
    assert set(df["status"].dropna()) <= {":", "-"}
    assert (df["verdi"].isna() == df["status"].notna()).all()


def test_2025_symbols_are_kept(reg: Register) -> None:
    df = read(RAW_IMDI / "nokkeltall_bosetting_2025_trondelag.csv", reg, year=2025)
    tydal = cell(df, "5033", "vedtatt")
    assert pd.isna(tydal["verdi"]) and tydal["status"] == "-"  # no decision because the request was 0
    assert cell(df, "5033", "anmodet")["verdi"] == 0
    assert cell(df, "5014", "herav_kollektiv_beskyttelse")["status"] == ":"


# --- saved pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_every_county_table_on_a_page_matches_the_register(reg: Register, year: int) -> None:
    page = FIXTURES / f"imdi_nokkeltall_{year}.html"
    for county in reg.counties(year)["fylkesnummer"]:
        df = read(page, reg, year=year, county=county, target_year=year)
        expected = set(reg.municipalities(year, county)["kommunenummer"])
        assert set(df["kommunenummer"]) == expected, county
        # the county row is left out but kept for the check that anmodet adds up
        assert df.loc[df["variabel"] == "anmodet", "verdi"].sum() == df.attrs["county_total"]["anmodet"]


def test_page_spot_checks(reg: Register) -> None:
    p22 = FIXTURES / "imdi_nokkeltall_2022.html"
    innlandet = wide(read(p22, reg, year=2022, county="Innlandet", target_year=2022))
    assert innlandet.loc["3419", "anmodet"] == 50 and innlandet.loc["3430", "anmodet"] == 70  # Våler/Os (Hedm.)
    viken = wide(read(p22, reg, year=2022, county="Viken", target_year=2022))
    assert viken.loc["3034", "anmodet"] == 75 and viken.loc["3018", "anmodet"] == 15  # Nes (Ak.), Våler
    p24 = FIXTURES / "imdi_nokkeltall_2024.html"
    oslo = read(p24, reg, year=2024, county="03")
    assert cell(oslo, "0301", "avtalt")["verdi"] == 105
    assert cell(oslo, "0301", "avtalt_herav_kollektiv_beskyttelse")["verdi"] == 67
    ostfold = read(p24, reg, year=2024, county="31")
    assert cell(ostfold, "3120", "vedtatt")["status"] == "avventer vedtak"  # Rakkestad
    nordland = wide(read(p24, reg, year=2024, county="Nordland"))
    assert nordland.loc["1818", "anmodet"] == 50 and nordland.loc["1867", "anmodet"] == 50  # Herøy, Bø (Nordland)


def test_json_copy_in_the_page_is_not_read_twice(reg: Register) -> None:
    page = FIXTURES / "imdi_nokkeltall_2024.html"
    assert b"__NEXT_DATA__" in page.read_bytes() and page.read_bytes().count(b"Trondheim") > 1
    df = read(page, reg, year=2024)
    assert len(df) == 38 * 4 and df.attrs["tables"] == ("tabell 12 under «Trøndelag»",)


def test_odd_headings_rogaland_2023_and_repeated_h1(reg: Register) -> None:
    assert b"<h2>Rogaland 2023</h2>" in (FIXTURES / "imdi_nokkeltall_2022.html").read_bytes()
    df = read(FIXTURES / "imdi_nokkeltall_2022.html", reg, year=2022, county="Rogaland", target_year=2022)
    assert df["kommunenummer"].nunique() == 23
    page25 = (FIXTURES / "imdi_nokkeltall_2025.html").read_bytes()
    assert page25.count(b"bosetting 2025</h") == 2
    assert read(FIXTURES / "imdi_nokkeltall_2025.html", reg, year=2025)["kommunenummer"].nunique() == 38


def test_2026_page_combines_both_sections(reg: Register) -> None:
    df = read(FIXTURES / "imdi_nokkeltall_2026.html", reg, year=2026)
    assert len(df.attrs["tables"]) == 2
    assert df.loc[df["variabel"] == "anmodet", "kommunenummer"].nunique() == 38
    assert df.loc[df["variabel"] == "anmodet", "verdi"].sum() == 1446
    assert (df.loc[df["variabel"] == "vedtatt", "status"].dropna() == "avventer vedtak").sum() == 6


def test_2026_sections_that_disagree_are_reported(reg: Register, tmp_path: Path) -> None:
    data = (FIXTURES / "imdi_nokkeltall_2026.html").read_bytes()
    cut = data.index(b"Anmodning om bosetting 2026")
    changed = data[cut:].replace(b"<tr><td>Trondheim</td><td>355</td></tr>", b"<tr><td>Trondheim</td><td>360</td></tr>")
    assert changed != data[cut:]
    page = tmp_path / "nokkeltall_2026.html"
    page.write_bytes(data[:cut] + changed)
    with pytest.raises(InputError) as err:
        read(page, reg, year=2026)
    conflict = [p for p in err.value.problems if "samme tall" in p.expected]
    # rows are alphabetical since 2025: Trondheim is row 35 of the request table
    assert conflict and conflict[0].found == "360" and conflict[0].row == 35
    assert conflict[0].column.endswith("tabell 3 under «Trøndelag»") and "355" in conflict[0].expected


# --- pastes -------------------------------------------------------------------------------------------------------


def test_xlsx_paste_with_the_heading_above_the_table(reg: Register) -> None:
    df = read_raw_table(FIXTURES / "imdi_2024_trondelag_paste.xlsx", "imdi", year=2024, county="50", register=reg,
                        target_year=2026)
    assert len(df) == 38 * 4
    assert df.attrs["county_total"] == {"anmodet": 3850.0, "vedtatt": 3015.0, "bosatte": 2875.0,
                                        "herav_kollektiv_beskyttelse": 2485.0}
    expected = read(RAW_IMDI / "nokkeltall_bosetting_2024_trondelag.csv", reg, year=2024)
    pd.testing.assert_frame_equal(df, expected, check_like=False)


def test_windows_1252_csv_paste(reg: Register) -> None:
    df = read(FIXTURES / "imdi_2025_trondelag_cp1252.csv", reg, year=2025)
    expected = read(RAW_IMDI / "nokkeltall_bosetting_2025_trondelag.csv", reg, year=2025)
    pd.testing.assert_frame_equal(df, expected)


def test_short_machine_names_and_comma_separator(reg: Register) -> None:
    df = read(FIXTURES / "imdi_2022_trondelag_short_names.csv", reg, year=2022)
    expected = read(RAW_IMDI / "nokkeltall_bosetting_2022_trondelag.csv", reg, year=2022)
    pd.testing.assert_frame_equal(df, expected)


def test_county_by_name_or_number(reg: Register) -> None:
    path = RAW_IMDI / "nokkeltall_bosetting_2024_trondelag.csv"
    pd.testing.assert_frame_equal(read(path, reg, year=2024, county="Trøndelag"), read(path, reg, year=2024))


def test_viken_2022_is_put_on_the_2024_structure(reg: Register) -> None:
    df = read(FIXTURES / "imdi_nokkeltall_2022.html", reg, year=2022, county="Viken", target_year=2026)
    assert df["kommunenummer"].nunique() == 51
    assert set(df["kommunenummer"].str[:2]) == {"31", "32", "33"}
    assert cell(df, "3101", "anmodet")["kommune"] == "Halden"
    assert cell(df, "3114", "anmodet")["verdi"] == 15  # Våler (Østfold), 3018 in 2022
    assert df.attrs["translation_report"] == ()  # renumbering only


@pytest.mark.parametrize(
    ("header", "variable"),
    [
        ("Kommune", "kommune"),
        ("Antall personer kommunen har blitt anmodet om å bosette:", "anmodet"),
        ("Antall personer kommunen har blitt anmodet om å bosette", "anmodet"),
        ("  antall personer kommunen har VEDTATT å bosette: ", "vedtatt"),
        ("Antall bosatte personer:", "bosatte"),
        ("Antall bosatte personer med kollektiv beskyttelse:", "herav_kollektiv_beskyttelse"),
        ("Antall personer kommunen har avtalt å bosette:", "avtalt"),
        ("Herav enslige mindreårige kommunen er anmodet om å bosette", "anmodet_herav_em"),
        ("herav_kollektiv_beskyttelse", "herav_kollektiv_beskyttelse"),
        ("Antall innbyggere", None),
    ],
)
def test_imdi_header_texts(header: str, variable: str | None) -> None:
    assert imdi_variable(header) == variable


# --- bad input ----------------------------------------------------------------------------------------------------

ANMODET = "Antall personer kommunen har blitt anmodet om å bosette:"
VEDTATT = "Antall personer kommunen har vedtatt å bosette:"


@pytest.mark.parametrize(
    ("name", "year", "row", "column", "expected", "found"),
    [
        ("bad_imdi_unknown_name.csv", 2022, 5, "Kommune", "nærmeste gyldige navn: Trondheim", "Trondhjem"),
        ("bad_imdi_duplicate.csv", 2022, 40, "Kommune", "står også i rad 2", "Trondheim"),
        ("bad_imdi_negative.csv", 2022, 2, ANMODET, "negativt", "-740"),
        ("bad_imdi_negative.csv", 2022, 3, VEDTATT, "et tall eller et symbol", "ca. 185"),
        ("bad_imdi_missing_column.csv", 2022, 1, ANMODET, "kolonnen", "Kommune"),
        ("bad_imdi_one_column.csv", 2022, 1, None, "bare én kolonne", "Kommune"),
        ("bad_imdi_truncated.csv", 2022, 39, "Antall bosatte personer:", "avkortet", "3 celler"),
        ("bad_imdi_garbled.csv", 2022, 5, None, "dobbeltkodet", "FrÃ¸ya"),
        ("bad_imdi_empty.csv", 2022, 1, None, "IMDi-tabellen", "tom fil"),
        ("bad_imdi_total_mismatch.csv", 2022, 39, ANMODET, "summerer til fylkets tall", "sum 3775"),
        ("bad_imdi_page_without_county.html", 2024, None, None, "50 Trøndelag", "03 Oslo, 11 Rogaland"),
        ("imdi_nokkeltall_2024.html", 2022, None, "overskrift", "Nøkkeltall bosetting 2022", "2024"),
    ],
)
def test_bad_imdi_files(reg: Register, name: str, year: int, row: int | None, column: str | None, expected: str,
                        found: str) -> None:
    with pytest.raises(InputError) as err:
        read(FIXTURES / name, reg, year=year)
    matches = [p for p in err.value.problems if p.row == row and expected in p.expected]
    assert matches, str(err.value)
    p = matches[0]
    assert Path(p.file).name == name and p.column == column and found in p.found
    assert name in str(err.value)


def test_name_qualified_with_another_county_is_refused(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "imdi_2024_innlandet.csv"
    path.write_bytes("\ufeffKommune;Antall personer kommunen har blitt anmodet om å bosette:\r\n"
                     "Våler (Østf.);20\r\nOs (Hedm.);20\r\n".encode())
    with pytest.raises(InputError) as err:
        read(path, reg, year=2024, county="Innlandet")
    (p,) = err.value.problems
    assert p.row == 2 and p.found == "Våler (Østf.)" and "3114 Våler (Østfold)" in p.expected


def test_excel_unicode_text_export_utf16_tab_separated(reg: Register, tmp_path: Path) -> None:
    # Excel's "Unicode text" save: UTF-16 with BOM, tab-separated
    text = (RAW_IMDI / "nokkeltall_bosetting_2024_trondelag.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "imdi_2024.txt"
    path.write_bytes(text.replace(";", "\t").encode("utf-16"))
    df = read(path, reg, year=2024)
    pd.testing.assert_frame_equal(df, read(RAW_IMDI / "nokkeltall_bosetting_2024_trondelag.csv", reg, year=2024))


@pytest.mark.parametrize("label", ["Totalt", "Sum", "Trøndelag"])
def test_county_total_row_is_left_out_and_kept_for_the_check(reg: Register, tmp_path: Path, label: str) -> None:
    raw = (RAW_IMDI / "nokkeltall_bosetting_2022_trondelag.csv").read_bytes()
    path = tmp_path / "imdi_2022.csv"
    path.write_bytes(raw + f"{label};3 790;3 610;3 122;2 594\r\n".encode())
    df = read(path, reg, year=2022)
    assert df["kommunenummer"].nunique() == 38
    assert df.attrs["county_total"] == {"anmodet": 3790.0, "vedtatt": 3610.0, "bosatte": 3122.0,
                                        "herav_kollektiv_beskyttelse": 2594.0}
