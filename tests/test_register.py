"""The municipality register: structures, names, code checks and translation between structures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from bosetting_lib.errors import BosettingError, InputError
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.register import (
    STATUS_INCOMPLETE,
    STATUS_NOT_ALLOCATED,
    NameMatchError,
    Register,
    UnknownCountyError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "readers"


@pytest.fixture(scope="module")
def reg() -> Register:
    return Register.load()


def tidy(rows: list[tuple], year: int = 2019, variabel: str = "x") -> pd.DataFrame:
    """A small tidy frame: (code, value) or (code, value, status) rows."""
    codes = [r[0] for r in rows]
    values = [r[1] for r in rows]
    status = [r[2] if len(r) > 2 else None for r in rows]
    return pd.DataFrame({
        "kommunenummer": pd.Series(codes, dtype="str"),
        "aar": pd.Series([year] * len(rows), dtype="int64"),
        "variabel": pd.Series([variabel] * len(rows), dtype="str"),
        "verdi": pd.array(values, dtype="Float64"),
        "status": pd.Series(status, dtype="str"),
    })


def value(df: pd.DataFrame, code: str) -> object:
    row = df.loc[df["kommunenummer"] == code]
    assert len(row) == 1, f"{code}: {len(row)} rader"
    return row["verdi"].iloc[0]


def status(df: pd.DataFrame, code: str) -> object:
    return df.loc[df["kommunenummer"] == code, "status"].iloc[0]


# --- structures and lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "structure"), [(2017, 2017), (2018, 2018), (2019, 2019), (2020, 2020),
                                                 (2023, 2020), (2024, 2024), (2026, 2024)])
def test_structure_year_maps_every_year_to_its_structure(reg: Register, year: int, structure: int) -> None:
    assert reg.structure_year(year) == structure


def test_structure_year_refuses_years_before_the_register(reg: Register) -> None:
    with pytest.raises(BosettingError, match="2016"):
        reg.structure_year(2016)


@pytest.mark.parametrize(("year", "count"), [(2017, 426), (2018, 422), (2019, 422), (2022, 356), (2024, 357)])
def test_municipality_counts_per_structure(reg: Register, year: int, count: int) -> None:
    m = reg.municipalities(year)
    assert len(m) == count
    assert list(m.columns) == ["kommunenummer", "kommune", "offisielt_navn", "fylkesnummer", "fylke"]
    assert m["kommunenummer"].str.fullmatch(r"\d{4}").all()
    assert m["kommunenummer"].is_monotonic_increasing and m["kommunenummer"].is_unique


def test_trondelag_2024_has_plain_and_official_names(reg: Register) -> None:
    m = reg.municipalities(2024, county="50").set_index("kommunenummer")
    assert len(m) == 38
    assert m.loc["5041", "kommune"] == "Snåsa" and m.loc["5041", "offisielt_navn"] == "Snåase - Snåsa"
    assert m.loc["5001", "kommune"] == "Trondheim" and m.loc["5001", "offisielt_navn"] == "Trondheim - Tråante"
    assert (m["fylke"] == "Trøndelag").all()
    assert reg.municipalities(2024, county="Trøndelag").equals(reg.municipalities(2024, county="50"))


def test_official_names_follow_the_year_within_a_structure(reg: Register) -> None:
    # Trondheim got its South Sámi form in 2023; the 2020 structure covers both years
    assert reg.municipalities(2022, "50").set_index("kommunenummer").loc["5001", "offisielt_navn"] == "Trondheim"
    assert reg.municipalities(2023, "50").set_index("kommunenummer").loc["5001",
                                                                           "offisielt_navn"] == "Trondheim - Tråante"


def test_counties_and_county_lookup(reg: Register) -> None:
    c = reg.counties(2024)
    assert len(c) == 15 and list(c.columns) == ["fylkesnummer", "fylke"]
    assert reg.county_number("Trøndelag - Trööndelage", 2024) == "50"
    assert reg.county_number(50, 2024) == "50"
    assert reg.county_number("viken", 2022) == "30"
    with pytest.raises(UnknownCountyError, match="Viken"):
        reg.county_number("Viken", 2024)
    with pytest.raises(UnknownCountyError, match="50 Trøndelag"):
        reg.county_number("Sør-Trøndelag", 2024)


# --- codes ------------------------------------------------------------------------------------------------------


def test_is_valid_depends_on_the_year(reg: Register) -> None:
    assert reg.is_valid("0301", 2024)
    assert not reg.is_valid("301", 2024)
    assert reg.is_valid("1601", 2017) and not reg.is_valid("1601", 2018)
    assert reg.is_valid("3001", 2023) and not reg.is_valid("3001", 2024)
    assert reg.is_valid("3101", 2024)


def test_check_codes_explains_each_invalid_code_with_row(reg: Register) -> None:
    codes = pd.Series(["5001", "301", "1601", "9876", "3001"], index=[2, 3, 4, 5, 6])
    problems = reg.check_codes(codes, 2024, file="folketall.csv")
    assert [p.row for p in problems] == [3, 4, 5, 6]
    assert all(p.file == "folketall.csv" and p.column == "kommunenummer" for p in problems)
    by_row = {p.row: p for p in problems}
    assert "0301" in by_row[3].expected  # lost leading zero
    assert "gammelt nummer" in by_row[4].expected and "Trondheim" in by_row[4].expected
    assert "ukjent" in by_row[5].expected
    assert "gammelt nummer" in by_row[6].expected and by_row[6].found == "3001"


# --- names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "year", "county", "code"),
    [
        ("Snåsa", 2024, None, "5041"),
        ("Snåase - Snåsa", 2024, None, "5041"),
        ("  snåsa kommune ", 2024, None, "5041"),
        ("Snåsa – Snåase", 2024, None, "5041"),  # reversed, en dash
        ("Raarvihke - Røyrvik", 2024, None, "5043"),
        ("Raarvihke—Røyrvik", 2024, None, "5043"),  # em dash without spaces
        ("Røros - Rosse", 2024, None, "5025"),
        ("Trondheim - Tråante", 2024, None, "5001"),
        ("Tråante", 2024, None, "5001"),
        ("Levanger - Levangke", 2024, None, "5037"),
        ("Aurskog-Høland", 2024, None, "3226"),
        ("Våler (Hedm.)", 2022, None, "3419"),
        ("Våler (Hedm.)", 2024, None, "3419"),
        ("Våler (Innlandet)", 2025, None, "3419"),
        ("Våler", 2024, "31", "3114"),
        ("Os (Hedm.)", 2022, None, "3430"),
        ("Nes (Ak.)", 2022, None, "3034"),
        ("Nes (Ak.)", 2024, None, "3228"),
        ("Sande (Møre og Romsdal)", 2022, None, "1514"),
        ("Bø (Nordland)", 2024, None, "1867"),
        ("Herøy", 2024, "Nordland", "1818"),
        ("Trondheim", 2017, None, "1601"),
    ],
)
def test_code_for_name_tolerates_spelling_variants(reg: Register, name: str, year: int, county: str | None,
                                                   code: str) -> None:
    assert reg.code_for_name(name, year, county=county) == code


def test_code_for_name_refuses_ambiguous_names_and_lists_candidates(reg: Register) -> None:
    with pytest.raises(NameMatchError) as err:
        reg.code_for_name("Herøy", 2024)
    assert "1515" in str(err.value) and "1818" in str(err.value) and "Nordland" in str(err.value)
    with pytest.raises(NameMatchError, match="3114.*3419"):
        reg.code_for_name("Våler", 2024)
    assert isinstance(err.value, BosettingError) and isinstance(err.value, KeyError)


def test_code_for_name_refuses_unknown_names_and_suggests(reg: Register) -> None:
    with pytest.raises(NameMatchError, match="Trondheim"):
        reg.code_for_name("Trondhjem", 2024, county="50")
    with pytest.raises(NameMatchError, match="Trøndelag"):
        reg.code_for_name("Snåsa", 2024, county="Nordland")
    with pytest.raises(NameMatchError, match="Hedm"):
        reg.code_for_name("Våler (Hedm.)", 2024, county="31")


def test_match_names_returns_codes_and_one_problem_per_bad_name(reg: Register) -> None:
    names = pd.Series(["Trondheim", "Herøy", "Trondhjem", "Snåase - Snåsa"], index=[2, 3, 4, 5])
    codes, problems = reg.match_names(names, 2024, file="imdi.csv")
    assert codes.loc[2] == "5001" and codes.loc[5] == "5041"
    assert codes.loc[[3, 4]].isna().all()
    assert [(p.row, p.found, p.column) for p in problems] == [(3, "Herøy", "Kommune"), (4, "Trondhjem", "Kommune")]
    assert "1515" in problems[0].expected and "Trondheim" in problems[1].expected


# --- translation ------------------------------------------------------------------------------------------------


def test_2018_trondelag_renumbering_is_1_to_1(reg: Register) -> None:
    m = reg.code_mapping(2017, 2018)
    old = m[m["fra_kode"].str[:2].isin(["16", "17"])]
    assert len(old) == 48 and (old["til_kode"].str[:2] == "50").all()
    res = reg.translate(tidy([("1601", 190464), ("1702", 21904)], year=2017), 2017, 2018)
    assert value(res.data, "5001") == 190464 and value(res.data, "5004") == 21904
    assert res.report.empty  # renumbering is not a merger or a split


def test_2020_mergers_sum_and_are_reported(reg: Register) -> None:
    rows = [("5001", 199039), ("5030", 6083), ("5016", 1678), ("5023", 3891), ("5024", 12394)]
    res = reg.translate(tidy(rows), 2019, 2020)
    assert value(res.data, "5001") == 205122  # Trondheim + Klæbu
    # Orkland also takes part of Snillfjord, which is not in the data and has no weights: reported, not summed
    assert value(res.data, "5059") == 1678 + 3891 + 12394
    rep = res.report.set_index("til_kode")
    assert rep.loc["5001", "fra_kode"] == "5001+5030" and rep.loc["5001", "relasjon"] == "n:1 (sammenslåing)"
    assert "5012 Snillfjord" in rep.loc["5059", "regel"]


def test_a_status_in_any_merged_part_makes_the_sum_missing(reg: Register) -> None:
    res = reg.translate(tidy([("5001", 199039), ("5030", None, ":")]), 2019, 2024)
    assert pd.isna(value(res.data, "5001")) and status(res.data, "5001") == ":"
    res = reg.translate(tidy([("5001", None, ".."), ("5030", None, ":")]), 2019, 2024)
    assert status(res.data, "5001") == ":"  # the most restrictive symbol wins
    assert "«:»" in res.report.set_index("til_kode").loc["5001", "regel"]


def test_a_missing_merged_part_is_not_a_partial_sum(reg: Register) -> None:
    res = reg.translate(tidy([("1624", 6647)], year=2017), 2017, 2024)  # Rissa without Leksvik
    assert pd.isna(value(res.data, "5054")) and status(res.data, "5054") == STATUS_INCOMPLETE
    assert "1718 Leksvik" in res.report.iloc[0]["regel"]


def test_snillfjord_split_without_weights_is_reported_and_never_double_counted(reg: Register) -> None:
    rows = [("5011", 4202), ("1571", 1547), ("5012", 999), ("5013", 4721), ("5016", 1678), ("5023", 3891),
            ("5024", 12394)]
    res = reg.translate(tidy(rows), 2019, 2024)
    assert value(res.data, "5055") == 4202 + 1547  # Heim = Hemne + Halsa, without Snillfjord's part
    assert value(res.data, "5056") == 4721
    split = res.report[res.report["relasjon"] == "1:n (deling)"].iloc[0]
    assert split["fra_kode"] == "5012" and split["til_kode"] == "5055+5056+5059" and split["verdi"] == 999
    assert "ikke fordelt" in split["regel"]
    # everything is accounted for once: in the data or as not allocated in the report
    assert res.data["verdi"].sum() + split["verdi"] == sum(v for _, v in rows)


def test_split_target_with_no_other_part_gets_a_visible_gap(reg: Register) -> None:
    res = reg.translate(tidy([("1507", 67114)], year=2022), 2022, 2024)
    assert set(res.data["kommunenummer"]) == {"1508", "1580"}
    assert (res.data["status"] == STATUS_NOT_ALLOCATED).all() and res.data["verdi"].isna().all()
    assert res.report.iloc[0]["verdi"] == 67114


def test_snillfjord_split_with_weights_allocates_and_records_them(reg: Register) -> None:
    weights = pd.DataFrame({"fra_kode": ["5012"] * 3, "til_kode": ["5055", "5056", "5059"],
                            "andel": [0.5, 0.25, 0.25]})
    rows = [("5011", 4202), ("1571", 1547), ("5012", 1000), ("5013", 4721), ("5016", 1678), ("5023", 3891),
            ("5024", 12394)]
    res = reg.translate(tidy(rows), 2019, 2024, split_weights=weights)
    assert value(res.data, "5055") == 4202 + 1547 + 500
    assert value(res.data, "5056") == 4721 + 250
    assert value(res.data, "5059") == 1678 + 3891 + 12394 + 250
    assert res.data["verdi"].sum() == sum(v for _, v in rows)
    split = res.report[res.report["relasjon"] == "1:n (deling)"].iloc[0]
    # Shares are written by formatting.format_percent: a non-breaking space before %.
    assert "fordelingsnøkkel" in split["regel"] and "50,0\u00a0%" in split["regel"]


def test_split_weights_are_validated(reg: Register) -> None:
    with pytest.raises(InputError, match="summerer til 1"):
        reg.translate(tidy([("5012", 999)]), 2019, 2024,
                      split_weights={"5012": {"5055": 0.5, "5056": 0.2, "5059": 0.2}})
    with pytest.raises(InputError, match="5059"):
        reg.translate(tidy([("5012", 999)]), 2019, 2024, split_weights={"5012": {"5055": 0.5, "5056": 0.5}})
    with pytest.raises(InputError, match="delt"):
        reg.translate(tidy([("5001", 1)]), 2019, 2024, split_weights={"5001": {"5001": 1.0}})


def test_rindal_county_move_2019(reg: Register) -> None:
    assert reg.municipalities(2018).set_index("kommunenummer").loc["1567", "fylke"] == "Møre og Romsdal"
    for year in (2017, 2018):
        res = reg.translate(tidy([("1567", 2045)], year=year), year, 2024)
        assert value(res.data, "5061") == 2045 and res.data["kommune"].iloc[0] == "Rindal"


def test_2024_renumbering_of_viken_vestfold_telemark_troms_finnmark(reg: Register) -> None:
    rows = [("3001", 31444), ("3803", 57794), ("5401", 77544), ("5403", 21124)]
    res = reg.translate(tidy(rows, year=2023), 2023, 2024)
    assert value(res.data, "3101") == 31444  # Halden
    assert value(res.data, "3905") == 57794  # Tønsberg
    assert value(res.data, "5501") == 77544  # Tromsø
    assert value(res.data, "5601") == 21124  # Alta
    assert res.report.empty
    assert value(reg.translate(tidy([("0101", 30790)], year=2017), 2017, 2024).data, "3101") == 30790


def test_alesund_and_haram_2024(reg: Register) -> None:
    # from the 2017 structure Haram maps 1:1 (its border returned); the rest of Ålesund merges into 1508
    rows = [("1504", 47199), ("1523", 2310), ("1529", 4672), ("1534", 9107), ("1546", 1207)]
    res = reg.translate(tidy(rows, year=2017), 2017, 2024)
    assert value(res.data, "1580") == 9107 and value(res.data, "1508") == 47199 + 2310 + 4672 + 1207
    # from the 2020 structure 1507 is split; with population shares it is allocated
    res = reg.translate(tidy([("1507", 67114)], year=2022), 2022, 2024,
                        split_weights={"1507": {"1508": 0.86, "1580": 0.14}})
    assert value(res.data, "1508") == pytest.approx(67114 * 0.86)
    assert value(res.data, "1580") == pytest.approx(67114 * 0.14)


def test_tysfjord_split_2020(reg: Register) -> None:
    res = reg.translate(tidy([("1805", 18810), ("1854", 2470), ("1850", 1909), ("1849", 1706)]), 2019, 2020)
    assert value(res.data, "1806") == 18810 + 2470 and value(res.data, "1875") == 1706
    assert (res.report["relasjon"] == "1:n (deling)").sum() == 1


def test_translate_refuses_backwards_and_invalid_codes(reg: Register) -> None:
    with pytest.raises(BosettingError, match="bakover"):
        reg.translate(tidy([("5001", 1)], year=2024), 2024, 2019)
    with pytest.raises(InputError, match="1601"):
        reg.translate(tidy([("1601", 1)]), 2019, 2024)


def test_change_table_chain_agrees_with_kommune_til_2024(reg: Register, tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(DataPaths().reference, folder)
    (folder / "kommune_til_2024.csv").unlink()
    chained = Register.load(folder)
    for start in (2017, 2018, 2019, 2020):
        direct = reg.code_pairs(start, 2024)
        chain = chained.code_pairs(start, 2024)
        diff = pd.concat([direct, chain]).drop_duplicates(keep=False)
        # only the Ålesund area differs: the chain goes through the 2020 merger (1507) and its 2024 split
        through_1507 = set(chained.code_pairs(start, 2020).query("til_kode == '1507'")["fra_kode"])
        assert set(diff["fra_kode"]) <= through_1507
        assert len(direct) == len(direct.drop_duplicates())


def test_from_klass_export_adds_a_structure(reg: Register) -> None:
    r = Register.from_klass_export(FIXTURES / "klass_131_2025_cp1252.csv", 2025, base=reg)
    assert r.structures[-1] == 2025 and r.structure_year(2026) == 2025
    m = r.municipalities(2026, "50").set_index("kommunenummer")
    assert len(m) == 38 and "9999" not in r.municipalities(2025)["kommunenummer"].values
    assert m.loc["5041", "kommune"] == "Snåsa" and m.loc["5041", "offisielt_navn"] == "Snåase - Snåsa"
    assert m.loc["5001", "fylke"] == "Trøndelag"
    assert r.code_for_name("Raarvihke - Røyrvik", 2026) == "5043"
    res = r.translate(tidy([("3001", 31444)], year=2022), 2022, 2026)
    assert value(res.data, "3101") == 31444


def test_from_klass_export_reports_lost_leading_zero(reg: Register) -> None:
    with pytest.raises(InputError) as err:
        Register.from_klass_export(FIXTURES / "bad_klass_131_lost_zero.csv", 2025, base=reg)
    (p,) = err.value.problems
    assert p.row == 2 and p.column == "code" and p.found == "301" and "ledende null" in p.expected
