"""Telemark's real municipal labour-market and immigrant-share data, end to end; other counties get the missing rule."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pandas as pd
import pytest

from bosetting_lib.cli import main
from bosetting_lib.steps.context import RunContext
from bosetting_lib.run.counties import county_override_file, resolve_county_params
from bosetting_lib.errors import InputError
from bosetting_lib.model.indicators import IndicatorUnavailable, Inputs, immigrant_share, unemployment
from bosetting_lib.steps.ingest import TIDY_COLUMNS, ingest
from bosetting_lib.config.params import Criterion, load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.sources.readers.nav import read_nav_monthly
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv
from bosetting_lib.steps.allocate import recommend
from bosetting_lib.steps.key_step import compute_criteria
from bosetting_lib.steps.tables import read_document, read_table
from bosetting_lib.sources.register import Register
from bosetting_lib.sources.raw_manifest import read_manifest

RAW = PROJECT_ROOT / "data" / "raw"
NAV_FILE = "nav/helt_ledige_telemark_kommuner_2022_2026_maaned.csv"
SSB_FILE = "ssb/09817_innvandrerandel_telemark_2024_2026.csv"
TELEMARK = ["4001", "4003", "4005", "4010", "4012", "4014", "4016", "4018", "4020", "4022", "4024", "4026", "4028",
            "4030", "4032", "4034", "4036"]


@pytest.fixture(scope="module")
def register():
    return Register.load(RAW / "reference")


def _run(root, params) -> RunContext:
    run = RunContext(dataclasses.replace(params, usikkerhet_trekk=200), DataPaths(), root)
    run.processed_dir.mkdir(parents=True)
    ingest(run)
    compute_criteria(run)
    recommend(run)
    return run


@pytest.fixture(scope="module")
def telemark(tmp_path_factory):
    """Telemark through the same parameter resolution as `bosetting run --fylke 40` (its own file), in-process."""
    workdir = tmp_path_factory.mktemp("telemark")
    params = resolve_county_params(2026, "40", None, DataPaths(), workdir)
    return _run(workdir / "processed", params)


@pytest.fixture(scope="module")
def trondelag(tmp_path_factory):
    """Trøndelag with the two new criteria and the Telemark files named: the files hold none of its municipalities."""
    base = load_params(year=2026)
    criteria = base.kriterier + (
        Criterion("ledighet", "Arbeid i kommunen (lav ledighet)", "", "ledighet", 0.05, "flere", "rang",
                  "mer vekt på arbeid enn før"),
        Criterion("innvandrerandel", "Lav innvandrerandel", "", "innvandrerandel", 0.05, "flere", "rang",
                  "unngå bosetting i områder med høy innvandrerandel"))
    params = dataclasses.replace(base, kriterier=criteria, inndata_valgfrie={
        **base.inndata_valgfrie, "ledighet": NAV_FILE, "innvandrerandel": SSB_FILE})
    return _run(tmp_path_factory.mktemp("trondelag") / "processed", params)


# --- the raw files ----------------------------------------------------------------------------------------------

def test_nav_monthly_file_gives_annual_means_of_whole_years(register):
    frame = read_nav_monthly(RAW / NAV_FILE, register=register, structure_year=2024)
    assert list(frame.columns) == TIDY_COLUMNS
    assert sorted(frame["kommunenummer"].unique()) == TELEMARK
    assert sorted(frame["aar"].unique()) == [2022, 2023, 2024, 2025]  # January 2026 alone gives no annual figure
    assert frame.attrs["incomplete_years"] == ("2026 (1 måned)",)
    assert set(frame["variabel"]) == {"helt_ledige_prosent", "helt_ledige"}
    assert len(frame) == 17 * 4 * 2 and frame["verdi"].notna().all() and frame["status"].isna().all()
    # the mean of the twelve monthly percentages, checked against the raw rows
    with (RAW / NAV_FILE).open(encoding="utf-8") as handle:
        months = [float(r["value"]) for r in csv.DictReader(handle) if r["kommunenummer"] == "4001" and r["year"] == "2025"]
    assert len(months) == 12
    rate = frame.set_index(["kommunenummer", "aar", "variabel"])["verdi"]
    assert rate[("4001", 2025, "helt_ledige_prosent")] == pytest.approx(sum(months) / 12)
    assert round(rate[("4001", 2025, "helt_ledige_prosent")], 1) == 2.8


def test_nav_symbol_in_one_month_makes_the_year_a_symbol_not_a_mean(register, tmp_path):
    rows = list(csv.reader((RAW / NAV_FILE).open(encoding="utf-8")))
    header = rows[0]
    target = next(r for r in rows[1:] if r[0] == "4030" and r[2] == "2024" and r[3] == "7")
    target[header.index("value")], target[header.index("helt_ledige_count")] = "", ""
    target[header.index("status_symbol")] = ":"
    path = tmp_path / "nav.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    frame = read_nav_monthly(path, register=register, structure_year=2024).set_index(["kommunenummer", "aar", "variabel"])
    cell = frame.loc[("4030", 2024, "helt_ledige_prosent")]
    assert pd.isna(cell["verdi"]) and cell["status"] == ":"
    assert frame.loc[("4030", 2025, "helt_ledige_prosent"), "verdi"] > 0  # other years untouched


def test_ssb_immigrant_share_reads_as_a_statbank_download_with_values_as_published(register, tmp_path):
    frame = read_statbank_csv(RAW / SSB_FILE, register=register, target_year=2026, county="40")
    assert sorted(frame["kommunenummer"].unique()) == TELEMARK
    assert sorted(frame["aar"].unique()) == [2024, 2025, 2026] and len(frame) == 51
    assert set(frame["variabel"]) == {"Andel av befolkningen (prosent), Innvandrere"}
    assert frame.attrs["title"].startswith("09817:") and frame.attrs["encoding"] == "utf-8-sig"
    # whole percentages as published (truncated by the source), not rounded or turned into interval midpoints
    assert (frame["verdi"] == frame["verdi"].round()).all()
    values = frame.set_index(["kommunenummer", "aar"])["verdi"]
    assert values[("4010", 2025)] == 7 and values[("4020", 2025)] == 16
    # a symbol stays a symbol
    row = '"4030 Nissedal";"Innvandrere";"Andel av befolkningen (prosent)";"2025";'
    text = (RAW / SSB_FILE).read_bytes().decode("utf-8-sig")
    assert row + "13\r\n" in text
    text = text.replace(row + "13\r\n", row + "..\r\n")
    (tmp_path / "09817.csv").write_text(text, encoding="utf-8")
    changed = read_statbank_csv(tmp_path / "09817.csv", register=register, target_year=2026, county="40")
    cell = changed.set_index(["kommunenummer", "aar"]).loc[("4030", 2025)]
    assert pd.isna(cell["verdi"]) and cell["status"] == ".."


def test_manifest_describes_both_files_as_real_and_the_annual_mean_as_derived():
    manifest = read_manifest(DataPaths(RAW.parent)).set_index("fil")
    assert manifest.loc[NAV_FILE, "datatype"] == "ekte" and "AVLEDET" in manifest.loc[NAV_FILE, "beskrivelse"]
    assert manifest.loc[SSB_FILE, "datatype"] == "ekte" and "avkortet" in manifest.loc[SSB_FILE, "beskrivelse"]


def test_immigrant_share_on_an_old_structure_is_refused_not_summed(tmp_path, data_copy):
    # Trondheim and Klæbu merged in 2020: their 2019 shares cannot be added up into Trondheim's
    (data_copy / "raw" / "andel.csv").write_text(
        '"region";"innvandringskategori";"statistikkvariabel";"år";"09817: Innvandrere"\n'
        '"5001 Trondheim";"Innvandrere";"Andel av befolkningen (prosent)";"2019";11,8\n'
        '"5030 Klæbu";"Innvandrere";"Andel av befolkningen (prosent)";"2019";6,1\n', encoding="utf-8")
    base = load_params(year=2026)
    params = dataclasses.replace(base, inndata_valgfrie={**base.inndata_valgfrie, "innvandrerandel": "andel.csv"})
    run = RunContext(params, DataPaths(data_copy), tmp_path / "processed")
    run.processed_dir.mkdir()
    with pytest.raises(InputError, match="kan ikke legges sammen"):
        ingest(run)


# --- the parameter file and the indicators -----------------------------------------------------------------------

def test_telemark_has_its_own_parameter_file_with_both_new_criteria():
    params = load_params(county_override_file(2026, "40"), year=2026)
    assert params.fylkesnummer == "40" and params.totalt == 559 and params.fylke == "Telemark"
    indicators = {c.indikator: c for c in params.kriterier}
    assert indicators["ledighet"].styrke > 0 and indicators["innvandrerandel"].styrke > 0
    # both are turned round in the indicator (low share or unemployment gives a high value), so a higher value gives more
    assert indicators["ledighet"].retning == "flere" and indicators["innvandrerandel"].retning == "flere"
    assert "innvandrerandel" in indicators["innvandrerandel"].tjener
    assert {"ledighet", "innvandrerandel"} <= set(params.inndata_valgfrie)
    assert sorted(params.inndata_imdi) == [2022, 2024, 2025]


def test_telemark_processed_tables_are_tidy_and_limited_to_the_county(telemark):
    for name, variables in (("ledighet", {"helt_ledige_prosent", "helt_ledige"}), ("innvandrerandel", {"innvandrerandel"})):
        table = read_table(telemark.processed_dir, name)
        assert list(table.columns) == TIDY_COLUMNS
        assert sorted(table["kommunenummer"].unique()) == TELEMARK
        assert set(table["variabel"]) == variables and table["verdi"].notna().all()


def test_telemark_indicators_come_from_the_real_data(telemark):
    values = pd.read_csv(telemark.processed_dir / "indikatorer.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")
    info = pd.read_csv(telemark.processed_dir / "indikatorer_beskrivelse.csv", dtype=str).set_index("id")
    assert info.loc["ledighet", "aar"] == "2025" and info.loc["innvandrerandel", "aar"] == "2025"
    assert info.loc["ledighet", "datatype"] == "ekte" and info.loc["innvandrerandel", "datatype"] == "ekte"
    # immigrant share 1.1.2025: Siljan 7 % (lowest), Midt-Telemark 16 % (highest); turned round: 16 + 7 − share
    assert values.loc["4010", "innvandrerandel"] == pytest.approx(16.0)
    assert values.loc["4020", "innvandrerandel"] == pytest.approx(7.0)
    assert values.loc["4001", "innvandrerandel"] == pytest.approx(9.0)  # Porsgrunn 14 %
    # unemployment 2025 (mean of the months): lowest gets the highest score, and the order is reversed exactly
    rate = read_table(telemark.processed_dir, "ledighet").query("aar == 2025 and variabel == 'helt_ledige_prosent'")
    rate = rate.set_index("kommunenummer")["verdi"].astype(float)
    assert np.allclose(values["ledighet"].reindex(rate.index), rate.max() + rate.min() - rate)
    assert values["ledighet"].idxmax() == rate.idxmin()
    meta = read_document(telemark.processed_dir, "kriterier")
    assert meta["utelatte_indikatorer"] == {} and meta["merknader"] == []
    # every national criterion on the immigrant share and on work is covered in Telemark
    covered = {item["tekst"][:20]: item["dekket_av"] for item in meta["nasjonale_kriterier"]}
    assert covered["Ta hensyn til sekund"] == ["innvandrerandel"] and covered["Mest vekt på kommune"] == ["ledighet"]


def test_trondelag_reports_both_as_unavailable_and_lists_what_is_not_covered(trondelag):
    meta = read_document(trondelag.processed_dir, "kriterier")
    assert set(meta["utelatte_indikatorer"]) == {"ledighet", "innvandrerandel"}
    used = {c["id"]: c["brukt"] for c in meta["kriterier"]}
    assert used == {"spredning": True, "ledighet": False, "innvandrerandel": False}
    notes = " ".join(meta["merknader"])
    assert "Arbeid i kommunen (lav ledighet)" in notes and "Lav innvandrerandel" in notes and "vipper ingen" in notes
    not_covered = [item["tekst"] for item in meta["nasjonale_kriterier"] if not item["dekket_av"]]
    assert any("innvandrerandel" in text for text in not_covered)
    # the model runs with the criteria that have data only
    assert read_document(trondelag.processed_dir, "modell")["kriterier_brukt"] == ["spredning"]
    # the tables exist but are empty for the county: never zeros
    assert read_table(trondelag.processed_dir, "ledighet").empty and read_table(trondelag.processed_dir, "innvandrerandel").empty
    values = pd.read_csv(trondelag.processed_dir / "indikatorer.csv", dtype={"kommunenummer": str})
    assert "ledighet" not in values.columns and "innvandrerandel" not in values.columns
    table = read_table(trondelag.processed_dir, "anbefaling")
    assert table["anbefaling"].sum() == 1583


def test_indicators_raise_unavailable_without_county_data_and_missing_values_stay_missing():
    municipalities = pd.DataFrame({"kommunenummer": ["0001", "0002", "0003"], "kommune": ["A", "B", "C"]})
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(TIDY_COLUMNS, ["str", "str", "int64", "str", "Float64", "str"])})
    inputs = Inputs(municipalities, empty, empty, 2026, labour=empty, immigrant_share=None)
    for indicator in (unemployment, immigrant_share):
        with pytest.raises(IndicatorUnavailable):
            indicator(inputs)
    shares = pd.DataFrame({"kommunenummer": ["0001", "0002", "0003", "0001"], "kommune": ["A", "B", "C", "A"],
                           "aar": [2025, 2025, 2025, 2026], "variabel": "innvandrerandel",
                           "verdi": pd.array([10.0, 20.0, pd.NA, 99.0], dtype="Float64"), "status": [pd.NA, pd.NA, ":", pd.NA]})
    values, info = immigrant_share(dataclasses.replace(inputs, immigrant_share=shares))
    # 2026 is the analysed year, so 1 January 2025 is used; C's ":" stays missing (the key gives it the neutral share)
    assert info.aar == "2025" and values["0001"] == 20.0 and values["0002"] == 10.0 and pd.isna(values["0003"])


# --- reference keys and the recommendation ----------------------------------------------------------------------

def test_danish_and_swedish_keys_exist_for_telemark_and_sum_to_the_total(telemark):
    ref = pd.read_csv(telemark.processed_dir / "referansenokler.csv", dtype={"kommunenummer": str, "merknad": str})
    available = ref.dropna(subset=["kommunenummer"])
    assert {"sweden", "denmark", "population", "continuity"} <= set(available["nokkel"])
    sums = available.groupby("nokkel")["antall"].sum()
    assert sums["sweden"] == 559 and sums["denmark"] == 559
    for key in ("sweden", "denmark"):
        numbers = available.loc[available["nokkel"] == key, "antall"]
        assert len(numbers) == 17 and ((numbers == 0) | (numbers >= 10)).all()
    notes = available.drop_duplicates("nokkel").set_index("nokkel")["merknad"]
    assert "ledighet 2025" in notes["sweden"] and "innvandrerandelen 1. januar 2025" in notes["denmark"]


def test_danish_and_swedish_keys_stay_left_out_elsewhere_with_the_reason(trondelag):
    ref = pd.read_csv(trondelag.processed_dir / "referansenokler.csv", dtype={"kommunenummer": str, "merknad": str})
    left_out = ref.loc[ref["kommunenummer"].isna()].set_index("nokkel")["merknad"]
    assert {"sweden", "denmark"} <= set(left_out.index)
    assert "mangler" in left_out["sweden"] and "folketall × (1 − ledighet)" in left_out["sweden"]
    assert "mangler" in left_out["denmark"] and "09817" in left_out["denmark"]


def test_telemark_recommendation_sums_to_the_total_and_keeps_the_minimum_rule(telemark):
    table = read_table(telemark.processed_dir, "anbefaling")
    assert sorted(table["kommunenummer"]) == TELEMARK
    assert table["anbefaling"].sum() == 559
    assert ((table["anbefaling"] == 0) | (table["anbefaling"] >= 10)).all()
    parts = read_table(telemark.processed_dir, "bidrag")
    assert {"tilt_ledighet", "tilt_innvandrerandel"} <= set(parts.columns)
    assert parts["tilt_innvandrerandel"].abs().sum() > 0
    whole = parts.drop(columns="tekst")
    assert (whole.sum(axis=1) == table.set_index("kommunenummer")["anbefaling"].reindex(whole.index)).all()
    # the criteria the backtest cannot measure (no nationwide data) are left out of «Slik har modellen truffet før»
    notes = read_document(telemark.processed_dir, "modell")["etterproving"]
    assert set(notes["utelatte_kriterier"]) == {"Arbeid i kommunen (lav ledighet)", "Lav innvandrerandel"}


def test_cli_run_for_telemark_uses_its_own_file_and_the_real_data(tmp_path, data_copy, capsys):
    assert main(["run", "--year", "2026", "--fylke", "40", "--data-dir", str(data_copy), "--out", str(tmp_path / "out")]) == 0
    folder = tmp_path / "out" / "2026" / "40"
    table = pd.read_csv(folder / "anbefaling.csv", dtype={"kommunenummer": str})
    assert table["anbefaling"].sum() == 559 and ((table["anbefaling"] == 0) | (table["anbefaling"] >= 10)).all()
    html = (folder / "anbefaling.html").read_text(encoding="utf-8")
    assert "Lav innvandrerandel" in html and "SSB, tabell 09817" in html and "Dansk modell" in html
    assert (data_copy / "processed" / "2026" / "40" / "ledighet.csv").is_file()
