"""SSB StatBank CSV reader, and the shared cell helpers (symbols, numbers, encodings)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bosetting_lib.errors import InputError
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.readers import TIDY_COLUMNS, read_raw_table, translation_report
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv
from bosetting_lib.sources.cells import classify_region, decode_bytes, parse_cell, parse_number, sniff_delimiter
from bosetting_lib.sources.register import Register

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
BUNDLED = DataPaths().raw / "ssb" / "07459_folkemengde_kommuner_2020_2026.csv"
TITLE = "07459: Befolkning, etter region, statistikkvariabel og år"


@pytest.fixture(scope="module")
def reg() -> Register:
    return Register.load()


def read(name: str, reg: Register, **kw) -> pd.DataFrame:
    return read_statbank_csv(FIXTURES / name, register=reg, target_year=kw.pop("target_year", 2024), **kw)


def cell(df: pd.DataFrame, code: str, year: int, variabel: str | None = None) -> pd.Series:
    sel = (df["kommunenummer"] == code) & (df["aar"] == year)
    if variabel is not None:
        sel &= df["variabel"] == variabel
    rows = df.loc[sel]
    assert len(rows) == 1, f"{code} {year}: {len(rows)} rader"
    return rows.iloc[0]


def assert_schema(df: pd.DataFrame) -> None:
    assert list(df.columns) == TIDY_COLUMNS
    assert str(df["kommunenummer"].dtype) == "str" and df["kommunenummer"].str.fullmatch(r"\d{4}").all()
    assert df["aar"].dtype == "int64" and str(df["verdi"].dtype) == "Float64"
    assert str(df["status"].dtype) == "str" and str(df["kommune"].dtype) == "str"
    # a number has no status and a status has no number
    assert (df["verdi"].isna() == df["status"].notna()).all()
    assert not df.duplicated(["kommunenummer", "aar", "variabel"]).any()


# --- the bundled file -------------------------------------------------------------------------------------------


def test_bundled_07459_gives_357_municipalities_for_7_years(reg: Register) -> None:
    df = read_statbank_csv(BUNDLED, register=reg, target_year=2026)
    assert_schema(df)
    assert df["kommunenummer"].nunique() == 357 and sorted(df["aar"].unique()) == list(range(2020, 2027))
    assert len(df) == 357 * 7 and set(df["variabel"]) == {"Personer"}
    for code in ("1508", "1580"):
        for year in range(2020, 2024):
            row = cell(df, code, year)
            assert pd.isna(row["verdi"]) and row["status"] == ".."  # never 0
        assert cell(df, code, 2024)["verdi"] > 0
    assert cell(df, "5001", 2024)["verdi"] == 214565 and cell(df, "5001", 2024)["kommune"] == "Trondheim"
    assert cell(df, "3101", 2020)["verdi"] > 0  # 2020 published under the 2024 code
    assert df.attrs["title"].startswith("07459:") and df.attrs["translation_report"] == ()


def test_bundled_07459_for_one_county(reg: Register) -> None:
    df = read_statbank_csv(BUNDLED, register=reg, target_year=2026, county="50")
    assert df["kommunenummer"].nunique() == 38 and len(df) == 38 * 7
    assert df["status"].isna().all()


# --- real layouts -----------------------------------------------------------------------------------------------


def test_windows_1252_download_on_old_structures_is_translated(reg: Register) -> None:
    df = read("ssb_07459_2017_2019_cp1252.csv", reg)
    assert_schema(df)
    assert df.attrs["encoding"] == "cp1252"
    assert cell(df, "5001", 2017)["verdi"] == 190464 + 6050  # 1601 Trondheim + 1662 Klæbu
    assert cell(df, "5001", 2018)["verdi"] == 193501 + 6071
    assert cell(df, "5054", 2017)["verdi"] == 6647 + 3498  # Rissa + Leksvik → Indre Fosen
    assert [cell(df, "5061", y)["verdi"] for y in (2017, 2018, 2019)] == [2045, 2040, 2036]  # Rindal, all years
    assert set(df.attrs["excluded_regions"]) == {"0 Hele landet", "16 Sør-Trøndelag", "50 Trøndelag"}
    report = translation_report(df)
    split = report[report["relasjon"] == "1:n (deling)"]
    assert sorted(split["aar"]) == [2017, 2018, 2019] and set(split["fra_navn"]) == {"Snillfjord"}
    assert (split["til_kode"] == "5055+5056+5059").all() and split["regel"].str.contains("ikke fordelt").all()


def test_wide_layout_with_decimal_comma_and_symbols(reg: Register) -> None:
    df = read("ssb_09817_wide_utf8_decimal_comma.csv", reg)
    assert_schema(df)
    assert len(df) == 8 and set(df["aar"]) == {2023, 2024}
    assert set(df["variabel"]) == {"Andel innvandrere (prosent)"}
    assert cell(df, "5001", 2023)["verdi"] == pytest.approx(13.9)
    assert cell(df, "5041", 2024)["status"] == ":"
    assert cell(df, "5043", 2023)["status"] == "." and cell(df, "5043", 2024)["status"] == "…"
    assert cell(df, "5025", 2023)["status"] == ".." and cell(df, "5025", 2024)["verdi"] == 7.0
    assert cell(df, "5041", 2023)["kommune"] == "Snåsa"


def test_comma_separated_with_bom_and_k_prefixed_codes(reg: Register) -> None:
    df = read_raw_table(FIXTURES / "ssb_07459_wide_comma_bom.csv", "statbank_csv", register=reg, target_year=2025)
    assert_schema(df)
    assert set(df["variabel"]) == {"Personer"} and len(df) == 4
    assert cell(df, "5006", 2025)["verdi"] == 24064
    assert df.attrs["excluded_regions"] == ("Hele landet",)


def test_region_cells_with_names_only(reg: Register) -> None:
    df = read("ssb_07459_names_only.csv", reg)
    assert list(df["kommunenummer"]) == ["5001", "5041", "5043"]
    assert df.attrs["excluded_regions"] == ("Trøndelag - Trööndelage",)


# --- bad input: each problem names file, row, column, expected and found ------------------------------------------


@pytest.mark.parametrize(
    ("name", "row", "column", "expected", "found"),
    [
        ("bad_ssb_one_column.csv", 1, None, "bare én kolonne", "region"),
        ("bad_ssb_garbled.csv", 1, None, "dobbeltkodet", "Ã¥r"),
        ("bad_ssb_missing_region.csv", 1, "region", "kolonne «region»", "statistikkvariabel"),
        ("bad_ssb_empty.csv", 1, None, "CSV-fil", "tom fil"),
        ("bad_ssb_truncated_row.csv", 4, "år", "avkortet", "2 felt"),
        ("bad_ssb_truncated_quote.csv", 4, None, "avkortet", "unexpected end of data"),
        ("bad_ssb_old_code.csv", 2, "region", "gammelt nummer", "1601"),
        ("bad_ssb_duplicate.csv", 4, "region", "står også i rad 2", "5001"),
        ("bad_ssb_negative.csv", 2, TITLE, "negativt", "-214565"),
        ("bad_ssb_negative.csv", 3, TITLE, "et tall eller et symbol", "24 03x"),
        ("bad_ssb_year.csv", 2, "år", "årstall", "2024K1"),
        ("bad_ssb_names.csv", 2, "region", "1515 Herøy (Møre og Romsdal), 1818 Herøy (Nordland)", "Herøy"),
        ("bad_ssb_names.csv", 3, "region", "nærmeste gyldige navn: Trondheim", "Trondhjem"),
    ],
)
def test_bad_statbank_files(reg: Register, name: str, row: int | None, column: str | None, expected: str,
                            found: str) -> None:
    with pytest.raises(InputError) as err:
        read(name, reg)
    matches = [p for p in err.value.problems if p.row == row and expected in p.expected]
    assert matches, str(err.value)
    p = matches[0]
    assert Path(p.file).name == name and p.column == column and found in p.found
    assert name in str(err.value)  # the message the analyst sees names the file


def test_all_problems_in_a_file_are_collected(reg: Register) -> None:
    with pytest.raises(InputError) as err:
        read("bad_ssb_negative.csv", reg)
    assert [p.row for p in err.value.problems] == [2, 3]


# --- cell helpers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("1 234", 1234.0), ("1\u00a0234", 1234.0), ("12,5", 12.5), ("12.5", 12.5), ("1.234,5", 1234.5),
     ("1,234.5", 1234.5), ("\u22123", -3.0), ("0", 0.0), ("abc", None), ("1,2,3", None), ("", None)],
)
def test_parse_number_handles_decimal_comma_and_spaces(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("symbol", [".", "..", ":", "-", "…"])
def test_ssb_symbols_are_statuses_never_zero(symbol: str) -> None:
    parsed = parse_cell(symbol)
    assert parsed.value is None and parsed.status == symbol and parsed.error is None


def test_three_dots_are_normalised_to_the_ellipsis() -> None:
    assert parse_cell("...").status == "…"


def test_decode_bytes_detects_encodings_and_refuses_garbled_text() -> None:
    assert decode_bytes("Trøndelag".encode("cp1252"), file="f")[0].encoding == "cp1252"
    assert decode_bytes("\ufeffTrøndelag".encode(), file="f")[0].encoding == "utf-8-sig"
    assert decode_bytes("Snåase - Snåsa; Evenášši".encode(), file="f")[0].text.endswith("Evenášši")
    decoded, problems = decode_bytes("Trøndelag".encode("cp850"), file="f")  # a DOS file
    assert decoded is None and problems[0].found == "Tr\u203andelag" and "Windows-1252" in problems[0].expected
    decoded, problems = decode_bytes("a;Tr\ufffdndelag".encode(), file="f")
    assert decoded is None and "erstatningstegn" in problems[0].expected


def test_sniff_delimiter_respects_quotes() -> None:
    assert sniff_delimiter('"region";"07459: Befolkning, etter region, statistikkvariabel og år"') == ";"
    assert sniff_delimiter('"region","år","07459: Befolkning; etter"') == ","
    assert sniff_delimiter("Kommune  Antall") is None


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [("5001 Trondheim - Tråante", "kommune", "5001"), ("K-3101 Halden", "kommune", "3101"),
     ("0301 Oslo", "kommune", "0301"), ("50 Trøndelag", "fylke", "50"), ("Hele landet", "landet", None),
     ("0 Hele landet", "landet", None), ("2111 Longyearbyen", "annet", "2111"),
     ("Snåase - Snåsa", "navn", None)],
)
def test_classify_region(text: str, kind: str, code: str | None) -> None:
    region = classify_region(text)
    assert (region.kind, region.code) == (kind, code)


def test_a_download_without_municipalities_is_refused(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "07459_fylker.csv"
    path.write_bytes(f'"region";"statistikkvariabel";"år";"{TITLE}"\r\n"50 Trøndelag";"Personer";"2024";483507\r\n'
                     .encode("cp1252"))
    with pytest.raises(InputError) as err:
        read_statbank_csv(path, register=reg, target_year=2024)
    (p,) = err.value.problems
    assert "kommuner" in p.expected and p.found == "bare 50 Trøndelag"


# --- names in region cells against their codes (issue 15) ------------------------------------------------------

HEADER = '"region";"statistikkvariabel";"år";"07459: Befolkning, etter region, statistikkvariabel og år"\n'


def _write(tmp_path: Path, regions: list[str]) -> Path:
    path = tmp_path / "07459.csv"
    lines = [f'"{r}";"Personer";"{y}";{1000 + i}' for i, r in enumerate(regions) for y in (2024, 2025)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("region", ["5001 Trondheim - Tråante", "5001 Trondheim", "5001 Tråante", "5001 Tråante - Trondheim",
                                    "5041 Snåase - Snåsa", "5041 Snåsa", "1818 Herøy (Nordland)", "5001 Trondheim kommune"])
def test_names_in_any_official_or_sami_form_fit_their_code(tmp_path, reg, region):
    df = read_statbank_csv(_write(tmp_path, [region]), register=reg, target_year=2025)
    assert len(df) == 2


def test_historical_name_of_an_old_code_fits(tmp_path, reg):
    path = tmp_path / "old.csv"
    path.write_text(HEADER + '"1601 Trondheim (-2017)";"Personer";"2017";187353\n', encoding="utf-8")
    assert read_statbank_csv(path, register=reg, target_year=2017)["verdi"].iloc[0] == 187353


def test_name_contradicting_its_code_is_refused_with_row_and_column(tmp_path, reg):
    path = _write(tmp_path, ["5001 Trondheim - Tråante", "5006 Trondheim", "5035 Stjørdal"])
    with pytest.raises(InputError) as info:
        read_statbank_csv(path, register=reg, target_year=2025)
    problems = [str(p) for p in info.value.problems]
    # reported once for the cell (rows 4 and 5 hold it), at its first row
    assert problems == [(
        "07459.csv, rad 4, kolonne «region»: forventet et navn som hører til kommunenummer 5006 (Steinkjer); «Trondheim» "
        "er kommunenummer 5001 (tidligere 1601). Rett navnet eller nummeret i filen (eller last ned filen på nytt), "
        "fant «5006 Trondheim»")]


def test_misspelt_name_is_refused(tmp_path, reg):
    with pytest.raises(InputError, match="kommunenummer 5001 \\(Trondheim\\).*fant «5001 Trondhjem»"):
        read_statbank_csv(_write(tmp_path, ["5001 Trondhjem"]), register=reg, target_year=2025)
