"""The bundled national data: IMDi's pages for every county 2022/2024/2025, the split weights and SSB's population.

Every county's table on every page must read, add up to IMDi's county row and land on the 2024 structure (357
municipalities), with the 2024 renumbering and the Ålesund/Haram split handled and shown.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from bosetting_lib.errors import InputError
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.sources.readers import TIDY_COLUMNS, translation_report
from bosetting_lib.sources.readers.imdi import read_imdi_table
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv
from bosetting_lib.sources.register import STATUS_NOT_ALLOCATED, Register

RAW = DataPaths().raw
WEIGHTS_FILE = RAW / "reference" / "delingsvekter.csv"
POPULATION_FILE = RAW / "ssb" / "07459_folkemengde_kommuner_2020_2026.csv"
TARGET = 2026  # analysed year: the 2024 structure


def page(year: int) -> Path:
    return RAW / "imdi" / f"nokkeltall_bosetting_{year}.html"


# IMDi's county rows (anmodet, vedtatt) as published on the same pages; copied from the checked reference tables
# imdi_fylker_2022.csv, imdi_fylker_2024.csv and imdi_fylker_2025.csv (IMDi, "Nøkkeltall bosetting <year>", NLOD).
COUNTY_TOTALS: dict[int, dict[str, tuple[int, int]]] = {
    2022: {
        "Agder": (2245, 2384), "Innlandet": (2790, 3224), "Møre og Romsdal": (2835, 2870),
        "Nordland": (2750, 2911), "Oslo": (2000, 2000), "Rogaland": (3605, 3689),
        "Troms og Finnmark": (2835, 2860), "Trøndelag": (3790, 3610), "Vestfold og Telemark": (2045, 2081),
        "Vestland": (4340, 4411), "Viken": (5765, 5665),
    },
    2024: {
        "Agder": (2250, 1575), "Akershus": (3420, 2955), "Buskerud": (1450, 981), "Finnmark": (1220, 814),
        "Innlandet": (2900, 2660), "Møre og Romsdal": (2900, 2265), "Nordland": (3530, 2641), "Oslo": (1650, 1648),
        "Rogaland": (4070, 2915), "Telemark": (1070, 811), "Troms": (2080, 1384), "Trøndelag": (3850, 3015),
        "Vestfold": (980, 639), "Vestland": (4500, 3227), "Østfold": (1130, 810),
    },
    2025: {
        "Agder": (765, 970), "Akershus": (1006, 1081), "Buskerud": (505, 635), "Finnmark": (400, 445),
        "Innlandet": (1085, 1375), "Møre og Romsdal": (1107, 1408), "Nordland": (1236, 1630), "Oslo": (640, 850),
        "Rogaland": (1221, 1435), "Telemark": (395, 475), "Troms": (753, 911), "Trøndelag": (1446, 1949),
        "Vestfold": (322, 380), "Vestland": (1478, 1747), "Østfold": (281, 340),
    },
}
# National anmodet and vedtatt: the sum of the county rows (2022: the page's headline 35 000 / 35 705; 2025: the
# request as cut during the year to 12 640).
NATIONAL = {2022: (35000, 35705), 2024: (37000, 28340), 2025: (12640, 15631)}
# Symbols and texts per year and variable, counted in IMDi's published tables (imdi_bosetting_<year>.csv).
SYMBOL_COUNTS = {
    2022: {("bosatte", ":"): 4, ("herav_kollektiv_beskyttelse", ":"): 174},
    2024: {("vedtatt", "avventer vedtak"): 5, ("bosatte", ":"): 11, ("herav_kollektiv_beskyttelse", ":"): 206},
    2025: {("vedtatt", "-"): 26, ("vedtatt", "avventer vedtak"): 2, ("bosatte", ":"): 11,
           ("herav_kollektiv_beskyttelse", ":"): 240},
}
CASES = [(year, county) for year, counties in COUNTY_TOTALS.items() for county in counties]
# SSB 07459 population on 1 January 2024 (bundled file): the basis of the Ålesund/Haram weights
ALESUND_2024, HARAM_2024 = 58509, 9357


@pytest.fixture(scope="module")
def reg() -> Register:
    return Register.load()


@pytest.fixture(scope="module")
def weights() -> pd.DataFrame:
    return pd.read_csv(WEIGHTS_FILE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def read(reg: Register, weights: pd.DataFrame) -> Callable[..., pd.DataFrame]:
    """read(year, county, target_year=2026, weighted=True): one county's table, each read once per module."""
    cache: dict[tuple[int, str, int, bool], pd.DataFrame] = {}

    def _read(year: int, county: str, target_year: int = TARGET, weighted: bool = True) -> pd.DataFrame:
        key = (year, county, target_year, weighted)
        if key not in cache:
            cache[key] = read_imdi_table(page(year), year=year, county=county, register=reg, target_year=target_year,
                                         split_weights=weights if weighted else None)
        return cache[key].copy()

    return _read


def value(df: pd.DataFrame, code: str, variabel: str) -> pd.Series:
    rows = df.loc[(df["kommunenummer"] == code) & (df["variabel"] == variabel)]
    assert len(rows) == 1, (code, variabel)
    return rows.iloc[0]


def norwegian_order(name: str) -> str:
    """A sort key with æ, ø, å after z, as in Norwegian alphabetical order."""
    return name.casefold().translate(str.maketrans({"æ": "{", "ø": "|", "å": "}"}))


# --- the pages as saved --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_page_layout_one_table_per_county(reg: Register, year: int) -> None:
    raw = page(year).read_bytes()
    assert len(raw) < 80_000  # modest in size
    soup = BeautifulSoup(raw.decode("utf-8"), "html.parser")
    tables = soup.find_all("table")
    headings = [t.find_previous("h2").get_text(strip=True) for t in tables]
    expected = list(COUNTY_TOTALS[year])
    if year == 2022:
        expected[expected.index("Rogaland")] = "Rogaland 2023"  # the real 2022 page's heading
    assert headings == expected
    assert len(tables) == len(reg.counties(year))
    widths = {h: len(t.find("tr").find_all("th")) for h, t in zip(headings, tables)}
    if year == 2024:
        assert widths.pop("Oslo") == 7  # only Oslo's 2024 table has the two "avtalt" columns
    assert set(widths.values()) == {5}
    first = tables[0].find("tr").find_all("th")
    assert [th.get_text(strip=True) for th in first[:2]] == [
        "Kommune", "Antall personer kommunen har blitt anmodet om å bosette:"]
    h1 = soup.find("h1").get_text(strip=True)
    assert h1 == f"Nøkkeltall bosetting {year}"
    assert (h1 in [h.get_text(strip=True) for h in soup.find_all("h2")]) == (year == 2025)
    # the page's JSON copy of the tables in a script at the end: every municipality appears twice in the bytes
    script = soup.find_all("script")[-1]
    assert script.get("type") == "application/json" and "Kommune" in script.string
    assert raw.count("<td>Bjørnafjorden</td>".encode()) == 1 and raw.count("Bjørnafjorden".encode()) == 2


@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_row_order_number_order_until_2024_then_alphabetical(reg: Register, year: int) -> None:
    soup = BeautifulSoup(page(year).read_text(encoding="utf-8"), "html.parser")
    for table, county in zip(soup.find_all("table"), COUNTY_TOTALS[year]):
        names = [tr.find("td").get_text(strip=True) for tr in table.find_all("tr")[1:]]
        assert names[-1] == county  # the county row comes last
        names = names[:-1]
        codes, problems = reg.match_names(pd.Series(names, dtype="str"), year, county)
        assert not problems
        if year < 2025:
            assert list(codes) == sorted(codes), county
        else:
            assert names == sorted(names, key=norwegian_order), county


# --- every county reads, adds up and lands on the 2024 structure ---------------------------------------------------


@pytest.mark.parametrize(("year", "county"), CASES)
def test_every_county_reads_and_adds_up(reg: Register, read: Callable[..., pd.DataFrame], year: int,
                                        county: str) -> None:
    anmodet, vedtatt = COUNTY_TOTALS[year][county]
    own = read(year, county, target_year=year)  # on the page's own structure
    df = read(year, county)  # on the 2024 structure, with the bundled split weights
    assert list(df.columns) == TIDY_COLUMNS and str(df["verdi"].dtype) == "Float64"
    assert (df["aar"] == year).all()
    assert (df["verdi"].isna() == df["status"].notna()).all()

    # the number of municipalities is the register's, in the page's year
    expected_codes = set(reg.municipalities(year, county)["kommunenummer"])
    assert set(own["kommunenummer"]) == expected_codes
    assert own["kommunenummer"].nunique() == len(reg.municipalities(year, county))

    # after translation: exactly the 2024 codes the county's municipalities map to
    mapping = reg.code_mapping(year, TARGET)
    assert set(df["kommunenummer"]) == set(mapping.loc[mapping["fra_kode"].isin(expected_codes), "til_kode"])
    assert set(df["kommunenummer"]) <= reg.valid_codes(2024)

    # IMDi's county row is left out, kept in attrs, and the municipalities add up to it
    assert df.attrs["county_total"]["anmodet"] == anmodet
    assert df.attrs["county_total"]["vedtatt"] == vedtatt
    assert not (df["kommune"] == county).any() or county == "Oslo"
    for frame in (own, df):
        sums = frame.groupby("variabel")["verdi"].sum()
        assert sums["anmodet"] == pytest.approx(anmodet, abs=1e-9)
        assert sums["vedtatt"] == pytest.approx(vedtatt, abs=1e-9)
    # every municipality has its four figures (Oslo 2024 also the two "avtalt" figures)
    per_code = df.groupby("kommunenummer")["variabel"].nunique()
    assert (per_code == (6 if (year, county) == (2024, "Oslo") else 4)).all()


@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_the_whole_country_is_357_municipalities_on_the_2024_structure(
        reg: Register, read: Callable[..., pd.DataFrame], year: int) -> None:
    frames = [read(year, county) for county in COUNTY_TOTALS[year]]
    allrows = pd.concat(frames, ignore_index=True)
    codes = [set(f["kommunenummer"]) for f in frames]
    assert sum(len(c) for c in codes) == 357  # no municipality in two counties' results
    assert set().union(*codes) == reg.valid_codes(2024)
    assert not allrows.duplicated(["kommunenummer", "aar", "variabel"]).any()
    sums = allrows.groupby("variabel")["verdi"].sum()
    assert (sums["anmodet"], sums["vedtatt"]) == pytest.approx(NATIONAL[year])
    counts = allrows.dropna(subset=["status"]).groupby(["variabel", "status"]).size().to_dict()
    assert counts == SYMBOL_COUNTS[year]  # no symbol lost, none turned into a number
    # each county's municipalities belong to the right 2024 counties
    counties_2024 = reg.municipalities(2024).set_index("kommunenummer")["fylke"]
    if year > 2022:
        for county, frame in zip(COUNTY_TOTALS[year], frames):
            assert set(frame["kommunenummer"].map(counties_2024)) == {county}


def test_2022_all_356_municipalities_translate_to_357_with_alesund_split(
        reg: Register, read: Callable[..., pd.DataFrame]) -> None:
    own = pd.concat([read(2022, c, target_year=2022) for c in COUNTY_TOTALS[2022]], ignore_index=True)
    assert own["kommunenummer"].nunique() == 356 and set(own["kommunenummer"]) == reg.valid_codes(2022)
    frames = [read(2022, c) for c in COUNTY_TOTALS[2022]]
    assert pd.concat(frames)["kommunenummer"].nunique() == 357
    reports = pd.concat([translation_report(f) for f in frames], ignore_index=True)
    # the only operation that is not a plain renumbering is the split of 1507 Ålesund, for each variable
    assert set(reports["fra_kode"]) == {"1507"}
    assert sorted(reports["variabel"]) == ["anmodet", "bosatte", "herav_kollektiv_beskyttelse", "vedtatt"]
    assert (reports["relasjon"] == "1:n (deling)").all() and (reports["til_kode"] == "1508+1580").all()


# --- the 2024 renumbering ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("county", "old", "new", "name", "anmodet", "bosatte", "new_county"),
    [
        # 2022 figures for these municipalities from IMDi's 2022 table (imdi_bosetting_2022.csv)
        ("Viken", "3001", "3101", "Halden", 70, 77, "Østfold"),
        ("Viken", "3025", "3203", "Asker", None, None, "Akershus"),
        ("Viken", "3005", "3301", "Drammen", None, None, "Buskerud"),
        ("Vestfold og Telemark", "3803", "3905", "Tønsberg", 210, 211, "Vestfold"),
        ("Vestfold og Telemark", "3806", "4001", "Porsgrunn", None, None, "Telemark"),
        ("Troms og Finnmark", "5401", "5501", "Tromsø", 550, 399, "Troms"),
        ("Troms og Finnmark", "5403", "5601", "Alta", 200, 204, "Finnmark"),
        ("Troms og Finnmark", "5406", "5603", "Hammerfest", None, None, "Finnmark"),
    ],
)
def test_2022_renumbered_counties_land_on_their_2024_codes(
        reg: Register, read: Callable[..., pd.DataFrame], county: str, old: str, new: str, name: str,
        anmodet: int | None, bosatte: int | None, new_county: str) -> None:
    own = read(2022, county, target_year=2022)
    df = read(2022, county)
    assert old in set(own["kommunenummer"]) and old not in set(df["kommunenummer"])
    for variabel in ("anmodet", "vedtatt", "bosatte", "herav_kollektiv_beskyttelse"):
        before, after = value(own, old, variabel), value(df, new, variabel)
        assert (pd.isna(before["verdi"]) and pd.isna(after["verdi"])) or before["verdi"] == after["verdi"]
        assert (pd.isna(before["status"]) and pd.isna(after["status"])) or before["status"] == after["status"]
    assert value(df, new, "anmodet")["kommune"] == name
    if anmodet is not None:
        assert value(df, new, "anmodet")["verdi"] == anmodet and value(df, new, "bosatte")["verdi"] == bosatte
    assert reg.municipalities(2024).set_index("kommunenummer").loc[new, "fylke"] == new_county
    assert translation_report(df).empty  # renumbering only


@pytest.mark.parametrize("county", ["Viken", "Vestfold og Telemark", "Troms og Finnmark"])
def test_every_renumbered_municipality_keeps_its_figures(
        reg: Register, read: Callable[..., pd.DataFrame], county: str) -> None:
    own = read(2022, county, target_year=2022)
    df = read(2022, county)
    codes = sorted(set(own["kommunenummer"]))
    mapping = reg.code_mapping(2022, TARGET)
    mapping = mapping[mapping["fra_kode"].isin(codes)].set_index("fra_kode")
    assert mapping.index.is_unique  # no splits here
    assert (mapping.loc[codes, "relasjon"] == "1:1").all()
    assert (mapping.loc[codes, "til_kode"] != mapping.loc[codes].index).all()  # every one got a new number
    moved = own.assign(kommunenummer=own["kommunenummer"].map(mapping["til_kode"]))
    keys = ["kommunenummer", "variabel"]
    left = moved.set_index(keys)[["verdi", "status"]].sort_index()
    right = df.set_index(keys)[["verdi", "status"]].sort_index()
    pd.testing.assert_frame_equal(left, right)
    parts = {"Viken": {"Østfold", "Akershus", "Buskerud"}, "Vestfold og Telemark": {"Vestfold", "Telemark"},
             "Troms og Finnmark": {"Troms", "Finnmark"}}[county]
    assert set(df["kommunenummer"].map(reg.municipalities(2024).set_index("kommunenummer")["fylke"])) == parts


# 2022 pages read for a 2024 county: the predecessor county's table, checked against its row, then narrowed
SPLIT_COUNTIES_2022 = {"Viken": ["31", "32", "33"], "Vestfold og Telemark": ["39", "40"],
                       "Troms og Finnmark": ["55", "56"]}


def test_2022_page_reads_for_every_2024_county(reg: Register, weights: pd.DataFrame,
                                               read: Callable[..., pd.DataFrame]) -> None:
    """An analyst in a 2024 county (e.g. 31 Østfold) reads the 2022 page with the county number of today."""
    pieces: dict[str, list[pd.DataFrame]] = {}
    for number, name in zip(reg.counties(TARGET)["fylkesnummer"], reg.counties(TARGET)["fylke"]):
        df = read_imdi_table(page(2022), year=2022, county=number, register=reg, target_year=TARGET,
                             split_weights=weights)
        assert set(df["kommunenummer"]) == set(reg.municipalities(TARGET, number)["kommunenummer"]), name
        then = next((old for old, new in SPLIT_COUNTIES_2022.items() if number in new), None)
        if then is None:  # the county existed in 2022 under the same number
            assert "target_county" not in df.attrs and df.attrs["county"] == name
            pd.testing.assert_frame_equal(df, read(2022, name))
            continue
        assert df.attrs["county"] == then and df.attrs["target_county"] == name
        assert df.attrs["county_total"]["anmodet"] == COUNTY_TOTALS[2022][then][0]  # the row of the table read
        pieces.setdefault(then, []).append(df)
        # the same as reading the whole old county and keeping the new county's municipalities
        whole = read(2022, then)
        pd.testing.assert_frame_equal(
            df.reset_index(drop=True),
            whole[whole["kommunenummer"].isin(set(df["kommunenummer"]))].reset_index(drop=True))
    for then, parts in pieces.items():
        assert len(parts) == len(SPLIT_COUNTIES_2022[then])
        joined = pd.concat(parts, ignore_index=True)
        sums = joined.groupby("variabel")["verdi"].sum()
        assert (sums["anmodet"], sums["vedtatt"]) == COUNTY_TOTALS[2022][then]  # the parts add up to the old row
    by_name = read_imdi_table(page(2022), year=2022, county="Østfold", register=reg, target_year=TARGET)
    assert by_name["kommunenummer"].nunique() == 12 and value(by_name, "3101", "anmodet")["verdi"] == 70


def test_a_county_unknown_in_both_structures_is_still_refused(reg: Register) -> None:
    with pytest.raises(KeyError, match="Gyldige fylker: 03 Oslo"):
        read_imdi_table(page(2022), year=2022, county="Sogn og Fjordane", register=reg, target_year=TARGET)
    with pytest.raises(KeyError, match="«31»"):  # a 2024 county asked for on its own structure year
        read_imdi_table(page(2022), year=2022, county="31", register=reg, target_year=2022)


# --- Ålesund and Haram ---------------------------------------------------------------------------------------------


def test_alesund_2022_is_split_by_the_bundled_weights(read: Callable[..., pd.DataFrame]) -> None:
    own = read(2022, "Møre og Romsdal", target_year=2022)
    df = read(2022, "Møre og Romsdal")
    assert own["kommunenummer"].nunique() == 26 and df["kommunenummer"].nunique() == 27
    share = ALESUND_2024 / (ALESUND_2024 + HARAM_2024)
    report = translation_report(df).set_index("variabel")
    for variabel in ("anmodet", "vedtatt", "bosatte", "herav_kollektiv_beskyttelse"):
        whole = value(own, "1507", variabel)["verdi"]
        alesund, haram = value(df, "1508", variabel), value(df, "1580", variabel)
        assert alesund["verdi"] == pytest.approx(whole * share, rel=1e-9)
        assert haram["verdi"] == pytest.approx(whole * (1 - share), rel=1e-9)
        assert alesund["verdi"] + haram["verdi"] == pytest.approx(whole, abs=1e-9)  # the sum is preserved
        assert pd.isna(alesund["status"]) and pd.isna(haram["status"])
        row = report.loc[variabel]
        assert (row["fra_kode"], row["til_kode"], row["relasjon"]) == ("1507", "1508+1580", "1:n (deling)")
        assert row["verdi"] == whole
        assert row["regel"].startswith("fordelt etter oppgitt fordelingsnøkkel")
        assert "1508 Ålesund 86,2\u00a0%" in row["regel"] and "1580 Haram 13,8\u00a0%" in row["regel"]
    assert value(own, "1507", "anmodet")["verdi"] == 410  # IMDi 2022: Ålesund asked for 410
    assert value(df, "1508", "anmodet")["verdi"] == pytest.approx(410 * 58509 / 67866)
    # fractions are kept; rounding is the caller's business
    assert value(df, "1580", "anmodet")["verdi"] == pytest.approx(56.5286, abs=1e-4)


def test_alesund_2022_without_weights_is_not_allocated(read: Callable[..., pd.DataFrame]) -> None:
    df = read(2022, "Møre og Romsdal", weighted=False)
    haram = value(df, "1580", "anmodet")
    assert pd.isna(haram["verdi"]) and haram["status"] == STATUS_NOT_ALLOCATED
    assert value(df, "1508", "anmodet")["status"] == STATUS_NOT_ALLOCATED
    report = translation_report(df)
    assert (report["regel"].str.startswith("ikke fordelt")).all() and len(report) == 4


@pytest.mark.parametrize("year", [2024, 2025])
def test_alesund_and_haram_have_their_own_rows_from_2024(read: Callable[..., pd.DataFrame], year: int) -> None:
    df = read(year, "Møre og Romsdal")
    assert df["kommunenummer"].nunique() == 27 and translation_report(df).empty
    # IMDi's own figures (imdi_bosetting_2024.csv / _2025.csv)
    expected = {2024: {"1508": 410, "1580": 100}, 2025: {"1508": 135, "1580": 40}}[year]
    for code, anmodet in expected.items():
        assert value(df, code, "anmodet")["verdi"] == anmodet


def test_oslo_2024_keeps_the_avtalt_columns(read: Callable[..., pd.DataFrame]) -> None:
    df = read(2024, "Oslo")
    assert value(df, "0301", "avtalt")["verdi"] == 105
    assert value(df, "0301", "avtalt_herav_kollektiv_beskyttelse")["verdi"] == 67
    assert df.attrs["county_total"]["avtalt"] == 105


def test_statuses_travel_through_translation(read: Callable[..., pd.DataFrame]) -> None:
    df = read(2024, "Østfold")
    assert value(df, "3120", "vedtatt")["status"] == "avventer vedtak"  # Rakkestad
    df = read(2025, "Trøndelag")
    tydal = value(df, "5033", "vedtatt")
    assert pd.isna(tydal["verdi"]) and tydal["status"] == "-" and value(df, "5033", "anmodet")["verdi"] == 0
    df = read(2022, "Troms og Finnmark")
    assert set(df["status"].dropna()) == {":"}


# --- the split weights ---------------------------------------------------------------------------------------------


def test_split_weights_file_is_documented_and_derived_from_ssb(reg: Register, weights: pd.DataFrame) -> None:
    need = ["fra_kode", "til_kode", "andel"]
    assert set(need) <= set(weights.columns) and {"grunnlag", "kilde", "referansedato"} <= set(weights.columns)
    assert (weights["grunnlag"].str.len() > 20).all() and weights["kilde"].str.contains("07459").all()
    shares = weights.astype({"andel": "float64"}).groupby("fra_kode")["andel"].sum()
    assert shares.to_dict() == pytest.approx({"1507": 1.0}, abs=1e-12)  # no Snillfjord: no published split
    # the shares are SSB's population of the two parts on 1 January 2024, read from the bundled 07459 file
    pop = read_statbank_csv(POPULATION_FILE, register=reg, target_year=TARGET)
    p = pop[pop["aar"] == 2024].set_index("kommunenummer")["verdi"]
    assert (p["1508"], p["1580"]) == (ALESUND_2024, HARAM_2024)
    for r in weights.itertuples(index=False):
        assert float(r.andel) == pytest.approx(p[r.til_kode] / (p["1508"] + p["1580"]), abs=1e-10)
        assert int(r.folketall) == p[r.til_kode] and r.referansedato == "2024-01-01"
    # the pairs are exactly the register's split of 1507
    mapping = reg.code_mapping(2022, 2024)
    split = mapping[mapping["relasjon"] == "1:n (deling)"]
    assert set(zip(split["fra_kode"], split["til_kode"])) == set(zip(weights["fra_kode"], weights["til_kode"]))


def test_bundled_weights_can_be_passed_for_any_year(reg: Register, weights: pd.DataFrame) -> None:
    """One weights table covers every split: a source code of another structure is not used (no error)."""

    def frame(codes: list[str], year: int) -> pd.DataFrame:
        # illustrative values, not statistics
        return pd.DataFrame({
            "kommunenummer": pd.Series(codes, dtype="str"),
            "aar": pd.Series([year] * len(codes), dtype="int64"),
            "verdi": pd.array([100 * (i + 1) for i in range(len(codes))], dtype="Float64"),
            "status": pd.Series([None] * len(codes), dtype="str"),
        })

    # 2019 data: 1507 does not exist yet, so the Ålesund weights are not used; 1534 Haram maps 1:1 to 1580
    res = reg.translate(frame(["1534", "5021"], 2019), 2019, 2024, split_weights=weights)
    assert res.data.set_index("kommunenummer")["verdi"].to_dict() == {"1580": 100, "5021": 200}
    assert res.report.empty
    # weights for two reforms at once (the Snillfjord shares here are test values, not statistics)
    both = pd.concat([weights[["fra_kode", "til_kode", "andel"]],
                      pd.DataFrame({"fra_kode": ["5012"] * 3, "til_kode": ["5055", "5056", "5059"],
                                    "andel": [0.5, 0.25, 0.25]})], ignore_index=True)
    res = reg.translate(frame(["1507", "5001"], 2022), 2022, 2024, split_weights=both)
    got = res.data.set_index("kommunenummer")["verdi"]
    assert got["1508"] + got["1580"] == pytest.approx(100) and got["5001"] == 200
    assert list(res.report["fra_kode"]) == ["1507"]
    res = reg.translate(frame(["5012", "5021"], 2019), 2019, 2024, split_weights=both)
    split = res.report[res.report["relasjon"] == "1:n (deling)"]
    assert list(split["fra_kode"]) == ["5012"] and "5056 Hitra 25,0\u00a0%" in split["regel"].iloc[0]
    # still refused: a code unknown in every structure, and a code of the source structure that was not split
    with pytest.raises(InputError, match="delt mellom inndelingene"):
        reg.translate(frame(["5021"], 2019), 2019, 2024, split_weights={"9999": {"5021": 1.0}})
    with pytest.raises(InputError, match="delt mellom inndelingene"):
        reg.translate(frame(["1534"], 2019), 2019, 2024, split_weights={"1534": {"1580": 1.0}})


# --- SSB population for every county -------------------------------------------------------------------------------

# SSB 07459 national totals 1 January 2020–2026, and 1507 Ålesund 2020–2023 (published only undivided; the bundled
# file has ".." for 1508 and 1580 in those years); from the checked national reference tables.
NATIONAL_POPULATION = {2020: 5367580, 2021: 5391369, 2022: 5425270, 2023: 5488984, 2024: 5550203, 2025: 5594340,
                       2026: 5627400}
UNDIVIDED_ALESUND = {2020: 66258, 2021: 66670, 2022: 67114, 2023: 67520}


@pytest.fixture(scope="module")
def population(reg: Register, weights: pd.DataFrame) -> pd.DataFrame:
    return read_statbank_csv(POPULATION_FILE, register=reg, target_year=TARGET, split_weights=weights)


def test_population_file_covers_the_country(population: pd.DataFrame) -> None:
    assert list(population.columns) == TIDY_COLUMNS and len(population) == 357 * 7
    sums = population.groupby("aar")["verdi"].sum()
    for year, total in NATIONAL_POPULATION.items():
        assert sums[year] + UNDIVIDED_ALESUND.get(year, 0) == total, year
    gaps = population[population["status"].notna()]
    assert set(gaps["status"]) == {".."} and set(gaps["kommunenummer"]) == {"1508", "1580"}
    assert sorted(gaps["aar"].unique()) == [2020, 2021, 2022, 2023]


def test_population_file_reads_for_every_county(reg: Register, weights: pd.DataFrame,
                                                population: pd.DataFrame) -> None:
    counties = reg.counties(TARGET)
    assert len(counties) == 15
    seen: set[str] = set()
    for number, name in zip(counties["fylkesnummer"], counties["fylke"]):
        df = read_statbank_csv(POPULATION_FILE, register=reg, target_year=TARGET, county=number,
                               split_weights=weights)
        expected = set(reg.municipalities(TARGET, number)["kommunenummer"])
        assert set(df["kommunenummer"]) == expected, name
        assert len(df) == 7 * len(expected)
        pd.testing.assert_frame_equal(
            df.reset_index(drop=True),
            population[population["kommunenummer"].isin(expected)].reset_index(drop=True))
        seen |= expected
    assert seen == reg.valid_codes(2024)


# --- the generator ---------------------------------------------------------------------------------------------------


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_imdi_pages", PROJECT_ROOT / "tools" / "make_imdi_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while the module runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_split_weights_are_reproducible_from_the_tool() -> None:
    tool = _tool()
    assert tool.split_weights_csv(tool.split_weight_rows()) == WEIGHTS_FILE.read_bytes()


@pytest.mark.skipif(not Path("/work/shared/reference/imdi_national").is_dir(),
                    reason="IMDi's transcribed tables (the generator's source) are not available here")
@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_pages_are_reproducible_from_the_tool(year: int) -> None:
    tool = _tool()
    rebuilt = tool.page_html(year, tool.county_tables(year, Path("/work/shared/reference/imdi_national")))
    assert rebuilt == page(year).read_bytes()
    assert re.search(rb"Rekonstruksjon av IMDis nettside", rebuilt)
