"""Any county and the whole country, through the same runner the CLI uses, on two small counties."""

from __future__ import annotations


import pandas as pd
import pytest

from bosetting_lib.cli import main
from bosetting_lib.run.counties import county_parameters, county_totals
from bosetting_lib.run.national import NATIONAL_FOLDER, run_all_counties
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.sources.register import Register

RAW = PROJECT_ROOT / "data" / "raw"
TWO_SMALL_COUNTIES = ["03", "56"]  # Oslo (one municipality) and Finnmark (18, renumbered in 2024)
# The session fixture ``national_run`` (conftest) runs these and Telemark.
RUN_COUNTIES = ["03", "40", "56"]


def test_every_county_has_a_total_in_the_bundled_file():
    register = Register.load(RAW / "reference")
    totals = county_totals(RAW / "imdi" / "fylker_anmodet_2026.csv", register, 2026)
    assert sorted(totals) == sorted(register.counties(2026)["fylkesnummer"])
    assert totals["50"] == 1583 and totals["46"] == 1474
    assert sum(totals.values()) == 13_000  # IMDi's national request for 2026


def test_county_parameters_share_criteria_and_drop_trondelag_only_inputs():
    base = load_params(year=2026)
    raw = county_parameters(base, "46", DataPaths())
    assert raw["fylkesnummer"] == "46" and raw["fylke"] == "Vestland" and raw["totalt"] == 1474
    assert raw["modell"] == base.raw["modell"] and "kriterier" not in raw
    assert raw["unntak"] == []  # the shared file's exceptions name its own municipalities
    assert "tilbakemeldinger" not in raw["inndata"]
    assert raw["inndata"]["imdi"] == base.raw["nasjonalt"]["imdi"]


def test_national_run_writes_each_county_and_a_national_table(national_run):
    root, result, messages = national_run
    assert result.succeeded == RUN_COUNTIES and not result.failed
    assert any("03 Oslo: ferdig" in m for m in messages) and any("56 Finnmark: ferdig" in m for m in messages)
    for county in RUN_COUNTIES:
        assert (root / "out" / "2026" / county / "anbefaling.html").is_file()
        assert (root / "data" / "processed" / "2026" / county / "parametere.yaml").is_file()
    table = pd.read_csv(root / "out" / "2026" / NATIONAL_FOLDER / "anbefaling.csv", dtype={"kommunenummer": str, "fylkesnummer": str})
    assert len(table) == 1 + 17 + 18
    assert {"kommunenummer", "kommune", "fylkesnummer", "fylke", "anbefaling"} <= set(table.columns)
    sums = table.groupby("fylkesnummer")["anbefaling"].sum().to_dict()
    assert sums == {"03": 600, "40": 559, "56": 416}
    assert table["kommunenummer"].str.fullmatch(r"\d{4}").all()
    assert table.loc[table["fylkesnummer"] == "56", "kommunenummer"].str.startswith("56").all()
    html = (root / "out" / "2026" / NATIONAL_FOLDER / "oversikt.html").read_text(encoding="utf-8")
    assert '<html lang="nb">' in html and "<script" not in html and "https://" not in html
    assert "Finnmark" in html and "Oslo" in html


def test_a_failing_county_is_named_and_does_not_stop_the_others(tmp_path, data_copy, capsys):
    # Remove Finnmark's total: its run fails, Oslo's still succeeds, and the exit status says so.
    totals = data_copy / "raw" / "imdi" / "fylker_anmodet_2026.csv"
    totals.write_text("".join(line for line in totals.read_text(encoding="utf-8").splitlines(keepends=True)
                              if "Finnmark" not in line), encoding="utf-8")
    result = run_all_counties(2026, counties=TWO_SMALL_COUNTIES, data_dir=data_copy, out_dir=tmp_path / "out",
                              progress=lambda _: None)
    assert result.succeeded == ["03"]
    assert "56" in result.failed and "fylke 56" in result.failed["56"]
    national = pd.read_csv(tmp_path / "out" / "2026" / NATIONAL_FOLDER / "anbefaling.csv")
    assert len(national) == 1


def test_cli_runs_one_county_into_its_own_folder(tmp_path, data_copy, capsys):
    assert main(["run", "--year", "2026", "--fylke", "03", "--data-dir", str(data_copy), "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "2026" / "03" / "anbefaling.csv", dtype={"kommunenummer": str})
    assert table[["kommunenummer", "anbefaling"]].values.tolist() == [["0301", 600]]


def test_unknown_county_is_a_clear_error(tmp_path, data_copy, capsys):
    assert main(["run", "--year", "2026", "--fylke", "99", "--data-dir", str(data_copy), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "--fylke" in err and "99" in err and "46 Vestland" in err
    assert not (tmp_path / "out").exists()


def test_national_backtest_per_county_and_for_the_whole_country():
    from bosetting_lib.run.national import national_backtest

    table = pd.DataFrame({
        "fylkesnummer": ["01", "01", "01", "02", "02"], "fylke": ["A", "A", "A", "B", "B"],
        "kommunenummer": ["0101", "0102", "0103", "0201", "0202"],
        "anbefaling": [30, 20, 10, 40, 0], "anmodet_2025": [30, 20, 10, 0, 40],
    })
    result = national_backtest(DataPaths(), 2025, ["01", "02"], table).set_index("fylkesnummer")
    assert result.loc["01", "rangkorrelasjon"] == pytest.approx(1.0)
    assert result.loc["01", "gjennomsnittlig_absolutt_avvik"] == 0
    assert result.loc["02", "rangkorrelasjon"] == pytest.approx(-1.0)
    assert result.loc["00", "fylke"] == "Hele landet" and result.loc["00", "kommuner"] == 5
    assert national_backtest(DataPaths(), 2026, ["01"], table.drop(columns="anmodet_2025")) is None


def test_the_overview_shows_how_the_model_hit_before_beside_continuity(national_run):
    root, _, _ = national_run
    folder = root / "out" / "2026" / NATIONAL_FOLDER
    history = pd.read_csv(folder / "modelltreff.csv", dtype={"fylkesnummer": str})
    assert sorted(history["aar"].unique()) == [2024, 2025]
    for year, part in history.groupby("aar"):
        counties = part.loc[part["fylkesnummer"] != "00"]
        assert sorted(counties["fylkesnummer"]) == RUN_COUNTIES
        country = part.loc[part["fylkesnummer"] == "00"].iloc[0]
        assert country["kommuner"] == counties["kommuner"].sum() == 36
        # the country's MAE is the mean over its municipalities, so the county MAEs weighted by their size
        weighted = (counties["modell_avvik"] * counties["kommuner"]).sum() / counties["kommuner"].sum()
        assert country["modell_avvik"] == pytest.approx(weighted, abs=1e-3)
        assert (counties["kontinuitet_avvik"] > 0).any()
    html = (folder / "oversikt.html").read_text(encoding="utf-8")
    assert "Slik har modellen truffet før" in html and "Fylker der modellen traff dårligere enn kontinuitet" in html
