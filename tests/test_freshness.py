"""Stale inputs in a new year: last year's IMDi table, old indicators, criteria not reviewed; --proeve; forms; rates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bosetting_lib import cli
from bosetting_lib.errors import InputError
from bosetting_lib.sources.freshness import (
    imdi_problems,
    indicator_problems,
    partial_imdi_years,
    read_warnings,
    write_warnings,
)
from bosetting_lib.model.indicators import Inputs, delivery
from bosetting_lib.run.new_year import write_new_year
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.run.validate import validate_inputs

IMDI_2026 = "imdi/nokkeltall_bosetting_2026_trondelag.csv"


@pytest.fixture
def year_2027(tmp_path: Path, data_copy: Path) -> Path:
    """`nytt-aar 2027` in a copy of the project's parameters; the analyst has filled in the total."""
    params_dir = tmp_path / "params"
    shutil.copytree(PROJECT_ROOT / "params", params_dir)
    target = write_new_year(2027, params_dir=params_dir)
    target.write_text(target.read_text(encoding="utf-8").replace("totalt: null", "totalt: 1500", 1), encoding="utf-8")
    return target


def add_imdi_2026(data_dir: Path, params_file: Path, *, dated: str) -> None:
    """A 2026 table in data/raw/ (the 2025 figures standing in; test data) with its manifest row, and the params line."""
    raw = data_dir / "raw"
    # One figure changed: an exact copy of 2025 would rightly be refused as last year's file under a new name.
    text = (raw / "imdi/nokkeltall_bosetting_2025_trondelag.csv").read_bytes()
    (raw / IMDI_2026).write_bytes(text.replace(b"Trondheim;355;470;", b"Trondheim;350;470;", 1))
    (raw / "manifest_test_imdi_2026.csv").write_text(
        "fil,datatype,kilde,lisens,referansedato,beskrivelse\n"
        f"{IMDI_2026},eksempel,Testdata (2025-tallene),MIT,{dated},Stand-in for IMDis tabell for 2026\n", encoding="utf-8")
    text = params_file.read_text(encoding="utf-8")
    params_file.write_text(text.replace(f"    # 2026: {IMDI_2026}", f"    2026: {IMDI_2026}  #", 1), encoding="utf-8")


def test_imdi_table_for_last_year(year_2027: Path, data_copy: Path) -> None:
    params = load_params(year_2027)
    [missing] = imdi_problems(params, set(params.inndata_imdi.values()))
    assert missing.column == "inndata.imdi"
    assert f"data/raw/{IMDI_2026}" in missing.expected and f"«2026: {IMDI_2026}»" in missing.expected
    add_imdi_2026(data_copy, year_2027, dated="2026-04-15")
    params = load_params(year_2027)
    [absent] = imdi_problems(params, set())
    assert absent.column == "inndata.imdi.2026" and absent.found == "filen finnes ikke"
    assert imdi_problems(params, set(params.inndata_imdi.values())) == []
    assert imdi_problems(load_params(year=2026), {"imdi/nokkeltall_bosetting_2025_trondelag.csv"}) == []


def test_indicator_age_limit(year_2027: Path) -> None:
    params = load_params(year_2027)
    assert params.maks_alder_indikatorer == 2
    problems = indicator_problems(params, {"folketall": 2026, "fastlege": 2023, "sentralitet": 2024})
    assert [p.column for p in problems] == ["inndata.fastlege"]  # 2026 − 2023 = 3 years > 2
    assert "fastlege_12005_2022_2023.csv har nyeste tall fra 2023, 3 år gamle" in problems[0].expected
    assert indicator_problems(params, {"folketall": 2022}) [0].column == "inndata.folketall"
    assert "bosetting hent --year 2027" in indicator_problems(params, {"folketall": 2022})[0].expected
    assert indicator_problems(load_params(year=2026), {"fastlege": 2010}) == []  # no limit set in 2026.yaml


def test_validate_and_run_stop_and_trial_goes_ahead(year_2027: Path, data_copy: Path, capsys) -> None:
    paths = DataPaths(data_copy)
    with pytest.raises(InputError) as caught:
        validate_inputs(load_params(year_2027), paths)
    columns = [p.column for p in caught.value.problems]
    assert columns[0] == "inndata.imdi" and "inndata.fastlege" in columns
    assert columns.count("nasjonale_kriterier") == 1
    args = ["--year", "2027", "--params", str(year_2027), "--data-dir", str(data_copy)]
    assert cli.main(["run", *args, "--out", str(data_copy.parent / "outputs")]) == 1
    err = capsys.readouterr().err
    assert "IMDis tabell for 2026" in err and f"data/raw/{IMDI_2026}" in err
    assert not (data_copy.parent / "outputs" / "2027").exists()

    warnings: list = []
    summary = validate_inputs(load_params(year_2027), paths, warnings)
    assert "38 kommuner" in summary
    assert [w.column for w in warnings][:1] == ["inndata.imdi"] and len(warnings) == len(columns)
    assert cli.main(["validate", *args, "--proeve"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Prøvekjøring:") and "IMDis tabell for 2026" in out and "inndata.fastlege" in out


def test_trial_does_not_invent_a_total(year_2027: Path, data_copy: Path, capsys) -> None:
    year_2027.write_text(year_2027.read_text(encoding="utf-8").replace("totalt: 1500", "totalt: null"), encoding="utf-8")
    args = ["--year", "2027", "--params", str(year_2027), "--data-dir", str(data_copy), "--proeve"]
    assert cli.main(["validate", *args]) == 1
    assert "parameter «totalt»: forventet fylkets samlede anmodning fra IMDi for 2027" in capsys.readouterr().err


def test_warnings_file_round_trip(tmp_path: Path, year_2027: Path) -> None:
    problems = imdi_problems(load_params(year_2027), set())
    write_warnings(problems, tmp_path)
    assert read_warnings(tmp_path) == [str(problems[0])]
    assert json.loads((tmp_path / "advarsler.json").read_text(encoding="utf-8"))[0]["parameter"] == "inndata.imdi"
    assert read_warnings(tmp_path / "ingen") == []


def _form_years(path: Path) -> list[int]:
    ws = openpyxl.load_workbook(path)["Svar"]
    for row in ws.iter_rows(min_col=2, max_col=6):
        if row[0].value == "Tall fra IMDi for tidligere år":
            return [c.value for c in row[1:] if c.value is not None]
    raise AssertionError("no history block")


def test_forms_prefill_the_latest_year_or_say_why_not(year_2027: Path, data_copy: Path, tmp_path: Path, capsys) -> None:
    # --proeve: the bundled parameters hold a placeholder address, which skjema refuses for real forms
    args = ["skjema", "--year", "2027", "--params", str(year_2027), "--data-dir", str(data_copy), "--proeve"]
    assert cli.main([*args, "--out", str(tmp_path / "uten")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("MERK: skjemaene viser ikke 2026:") and IMDI_2026 in err
    assert _form_years(next((tmp_path / "uten").glob("*5001*.xlsx"))) == [2022, 2024, 2025]
    add_imdi_2026(data_copy, year_2027, dated="2026-04-15")
    assert cli.main([*args, "--out", str(tmp_path / "med")]) == 0
    assert "MERK" not in capsys.readouterr().err
    assert _form_years(next((tmp_path / "med").glob("*5001*.xlsx"))) == [2024, 2025, 2026]


def test_partial_year_never_enters_the_delivery_rate(year_2027: Path, data_copy: Path) -> None:
    paths = DataPaths(data_copy)
    assert partial_imdi_years(load_params(year=2026), DataPaths()) == frozenset()  # 2025's table is dated 31.12.
    add_imdi_2026(data_copy, year_2027, dated="2026-04-15")
    assert partial_imdi_years(load_params(year_2027), paths) == frozenset({2026})
    manifest = data_copy / "raw" / "manifest_test_imdi_2026.csv"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("2026-04-15", "2026-12-31"), encoding="utf-8")
    assert partial_imdi_years(load_params(year_2027), paths) == frozenset()

    rows = [("5001", 2025, "vedtatt", 100.0), ("5001", 2025, "bosatte", 90.0),
            ("5001", 2026, "vedtatt", 100.0), ("5001", 2026, "bosatte", 20.0)]  # April: a fifth of the year
    settlement = pd.DataFrame(rows, columns=["kommunenummer", "aar", "variabel", "verdi"])
    base = {"municipalities": pd.DataFrame({"kommunenummer": ["5001"]}), "population": pd.DataFrame(),
            "settlement": settlement, "year": 2027}
    whole, _ = delivery(Inputs(**base))
    assert whole["5001"] == pytest.approx(110 / 200)
    fixed, info = delivery(Inputs(**base, partial_years=frozenset({2026})))
    assert fixed["5001"] == pytest.approx(0.9) and info.aar == "2025" and "2026 er utelatt" in info.beskrivelse


def test_report_first_screen_lists_the_trial_warnings(bundled_run, tmp_path: Path, year_2027: Path) -> None:
    from bosetting_lib.steps.context import RunContext
    from bosetting_lib.outputs.report import load_report_data, title_block

    processed = tmp_path / "processed"
    shutil.copytree(bundled_run.processed_dir, processed)
    run = RunContext(params=load_params(year=2026), data=DataPaths(bundled_run.processed_dir.parent.parent),
                     processed_dir=processed)
    assert "Prøvekjøring" not in str(title_block(load_report_data(run)))
    write_warnings(imdi_problems(load_params(year_2027), set()), processed)
    html = str(title_block(load_report_data(run)))
    banner = html.index("Prøvekjøring: inndata mangler eller er for gamle")
    assert html.index("<h1>") < banner < html.index("anbefaler at kommunene")  # first thing under the title
    assert "data/raw/manifest_&lt;navn&gt;.csv" in html and "IMDis tabell for 2026" in html  # escaped text
