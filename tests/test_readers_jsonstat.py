"""SSB JSON-stat 2 reader."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bosetting_lib.errors import InputError
from bosetting_lib.sources.readers import TIDY_COLUMNS, read_raw_table, translation_report
from bosetting_lib.sources.readers.jsonstat import read_jsonstat
from bosetting_lib.sources.register import STATUS_NOT_ALLOCATED, Register

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
CUBE = FIXTURES / "ssb_07459_jsonstat2.json"


@pytest.fixture(scope="module")
def reg() -> Register:
    return Register.load()


def row(df: pd.DataFrame, code: str, year: int, variabel: str | None = None) -> pd.Series:
    sel = (df["kommunenummer"] == code) & (df["aar"] == year)
    if variabel:
        sel &= df["variabel"] == variabel
    assert sel.sum() == 1
    return df.loc[sel].iloc[0]


def test_cube_over_two_structures_is_translated(reg: Register) -> None:
    df = read_raw_table(CUBE, "jsonstat", register=reg, target_year=2024)
    assert list(df.columns) == TIDY_COLUMNS and df["aar"].dtype == "int64"
    assert row(df, "5001", 2019)["verdi"] == 199039 + 6083  # Trondheim + Klæbu on the 2019 structure
    assert row(df, "5001", 2020)["verdi"] == 205163
    assert row(df, "5055", 2020)["verdi"] == 6425
    # Snillfjord 2019 has no split weights: Heim/Hitra/Orkland show the gap rather than a number
    assert row(df, "5056", 2019)["status"] == STATUS_NOT_ALLOCATED
    assert set(df["variabel"]) == {"Personer"}
    # "." on codes that did not exist that year are SSB's placeholders, not data
    assert set(df.attrs["placeholders_dropped"]) == {"5030 2020", "5012 2020", "5055 2019"}
    assert set(df.attrs["excluded_regions"]) == {"0 Hele landet", "50 Trøndelag"}
    report = translation_report(df)
    assert set(report["relasjon"]) == {"n:1 (sammenslåing)", "1:n (deling)"}


def test_status_list_and_several_variables(reg: Register) -> None:
    df = read_jsonstat(FIXTURES / "ssb_12005_jsonstat2_status_list.json", register=reg, target_year=2024)
    assert len(df) == 4
    assert row(df, "5001", 2023, "Reservekapasitet")["verdi"] == pytest.approx(101.3)
    assert row(df, "5043", 2023, "Reservekapasitet")["status"] == ":"
    assert row(df, "5043", 2023, "Personer på venteliste")["status"] == ".."
    assert df["verdi"].isna().sum() == 2  # never 0


def test_accepts_parsed_dict_text_and_json_stat_1_bundle(reg: Register) -> None:
    ds = json.loads(CUBE.read_text(encoding="utf-8"))
    from_dict = read_jsonstat(ds, register=reg, target_year=2024)
    from_text = read_jsonstat(json.dumps(ds), register=reg, target_year=2024)
    pd.testing.assert_frame_equal(from_dict, from_text)
    v1 = {"dataset": {"label": ds["label"], "value": ds["value"], "status": ds["status"],
                      "dimension": {**ds["dimension"], "id": ds["id"], "size": ds["size"], "role": ds["role"]}}}
    pd.testing.assert_frame_equal(read_jsonstat(v1, register=reg, target_year=2024), from_dict)


def test_county_filter_applies_to_the_target_structure(reg: Register) -> None:
    df = read_jsonstat(CUBE, register=reg, target_year=2024, county="Trøndelag")
    assert df["kommunenummer"].str.startswith("50").all() and len(df) > 0
    assert read_jsonstat(CUBE, register=reg, target_year=2024, county="03").empty


@pytest.mark.parametrize(
    ("name", "row_no", "column", "expected", "found"),
    [
        ("bad_jsonstat_truncated_values.json", None, "value", "avkortet", "9 verdier"),
        ("bad_jsonstat_cut_off.json", 43, "tegn 4", "gyldig JSON", "Expecting"),
        ("bad_jsonstat_old_code_negative.json", None,
         "value[0] (Region=1601, ContentsCode=Personer1, Tid=2019)", "gammelt nummer", "1601"),
        ("bad_jsonstat_old_code_negative.json", None,
         "value[3] (Region=5001, ContentsCode=Personer1, Tid=2020)", "negativt", "-5"),
    ],
)
def test_bad_jsonstat(reg: Register, name: str, row_no: int | None, column: str, expected: str,
                      found: str) -> None:
    with pytest.raises(InputError) as err:
        read_jsonstat(FIXTURES / name, register=reg, target_year=2024)
    matches = [p for p in err.value.problems if p.column == column]
    assert matches, str(err.value)
    p = matches[0]
    assert Path(p.file).name == name and p.row == row_no and expected in p.expected and found in p.found


def test_placeholder_on_old_code_is_not_a_problem_but_a_value_is(reg: Register) -> None:
    with pytest.raises(InputError) as err:
        read_jsonstat(FIXTURES / "bad_jsonstat_old_code_negative.json", register=reg, target_year=2024)
    # 1601 with a number in 2019 is reported; 1601 with "." in 2020 is a placeholder
    assert not any("Tid=2020" in (p.column or "") and p.found == "1601" for p in err.value.problems)
