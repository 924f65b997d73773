"""The whole pipeline through papermill, on a copy of the bundled data in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from bosetting_lib.cli import main
from bosetting_lib.errors import InputError
from bosetting_lib.config.paths import NOTEBOOK_DIR
from bosetting_lib.run.pipeline import NOTEBOOKS, NotebookFailed, run_pipeline


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()} if path.exists() else {}


@pytest.fixture(scope="module")
def finished_run(bundled_run):
    """The session's one full run on a copy of the bundled data; the copy must still equal the bundled raw data."""
    root = bundled_run.output_dir.parent.parent
    return root, bundled_run, _tree(Path(__file__).resolve().parent.parent / "data" / "raw")


def test_run_writes_report_table_manifest_and_notebooks(finished_run):
    root, result, raw_before = finished_run
    out = root / "outputs" / "2026"
    assert result.output_dir == out
    for name in ("anbefaling.html", "anbefaling.csv", "manifest.json"):
        assert (out / name).is_file()
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert (root / "data" / "processed" / "2026" / "anbefaling.csv").is_file()
    assert _tree(root / "data" / "raw") == raw_before, "data/raw must never be modified"
    assert not any(p.name.startswith(".kjoring") for p in (root / "outputs").iterdir()), "staging folder left behind"


def test_recommendation_sums_to_the_county_total_and_follows_the_minimum(finished_run):
    _, result, _ = finished_run
    table = pd.read_csv(result.table, dtype={"kommunenummer": str})
    assert len(table) == 38
    assert table["kommunenummer"].str.fullmatch(r"50\d\d").all()
    assert table["anbefaling"].sum() == 1583
    assert ((table["anbefaling"] == 0) | (table["anbefaling"] >= 10)).all()


def test_report_is_self_contained_without_code(finished_run):
    _, result, _ = finished_run
    html = result.report.read_text(encoding="utf-8")
    assert '<html lang="nb">' in html
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html
    assert "RunContext" not in html and "import " not in html, "code leaked into the report"
    assert "In&nbsp;[" not in html and "jp-InputPrompt" not in html
    assert "Trondheim" in html


def test_manifest_has_checksums_of_every_raw_file(finished_run):
    import json

    root, result, _ = finished_run
    manifest = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    raw = root / "data" / "raw"
    assert set(manifest["inndata_sha256"]) == {p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()}
    assert manifest["parametere"]["totalt"] == 1583
    assert manifest["pakker"]["pandas"].startswith("3.")


def test_invalid_input_writes_nothing(tmp_path, data_copy):
    imdi = data_copy / "raw" / "imdi" / "nokkeltall_bosetting_2024_trondelag.csv"
    imdi.write_bytes(imdi.read_bytes().replace("Trondheim;845".encode(), "Trondhjem;845".encode()))
    out = tmp_path / "outputs"
    with pytest.raises(InputError) as info:
        run_pipeline(2026, data_dir=data_copy, out_dir=out, progress=lambda _: None)
    assert "nokkeltall_bosetting_2024_trondelag.csv" in str(info.value)
    assert not (data_copy / "processed").exists()
    assert not out.exists() or not any(out.iterdir())


def test_failing_notebook_is_named_and_previous_report_is_kept(tmp_path, data_copy, finished_run):
    _, good, _ = finished_run
    out = tmp_path / "outputs"
    shutil.copytree(good.output_dir, out / "2026")
    before = (out / "2026" / "anbefaling.html").read_bytes()
    broken = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, broken)
    import nbformat

    nb = nbformat.read(broken / "03_fordeling.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('tenkt feil')"))
    nbformat.write(nb, broken / "03_fordeling.ipynb")
    with pytest.raises(NotebookFailed) as info:
        run_pipeline(2026, data_dir=data_copy, out_dir=out, notebook_dir=broken, progress=lambda _: None)
    message = str(info.value)
    assert "03_fordeling.ipynb" in message and "celle" in message and "tenkt feil" in message
    assert (out / "2026" / "failed" / "03_fordeling.ipynb").is_file()
    assert (out / "2026" / "anbefaling.html").read_bytes() == before
    assert not (data_copy / "processed" / "2026").exists()


@pytest.mark.parametrize("cell, expected", [
    ("import time\ntime.sleep(30)", ["02_indikatorer.ipynb", "«import time»", "2 sekunder", "--tidsgrense 4"]),
    ("import os\nos._exit(1)", ["02_indikatorer.ipynb", "stoppet uventet", "Kjør på nytt"]),
])
def test_a_cell_over_the_time_limit_or_a_dead_kernel_is_a_norwegian_error(tmp_path, data_copy, cell, expected):
    """Both reach the user as FEIL with what to do, not as nbclient's English exception (a cell timeout is an
    OSError, which the command line would have called a file-system fault); nothing is published."""
    import nbformat

    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, notebooks)
    nb = nbformat.read(notebooks / "02_indikatorer.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cell))
    nbformat.write(nb, notebooks / "02_indikatorer.ipynb")
    out = tmp_path / "outputs"
    with pytest.raises(NotebookFailed) as info:
        run_pipeline(2026, data_dir=data_copy, out_dir=out, notebook_dir=notebooks, timeout=2, progress=lambda _: None)
    for part in expected:
        assert part in str(info.value)
    assert "ikke endret" in str(info.value)
    assert not (out / "2026").exists() and not (data_copy / "processed" / "2026").exists()
    assert not any(p.name.startswith(".kjoring") for p in out.iterdir()), "staging folder left behind"


def test_cli_reports_bad_parameters_with_exit_status_1(tmp_path, params_copy, capsys):
    params_copy.write_text(params_copy.read_text(encoding="utf-8").replace('"50"', "50"), encoding="utf-8")
    status = main(["run", "--year", "2026", "--params", str(params_copy), "--out", str(tmp_path / "out")])
    assert status == 1
    assert "fylkesnummer" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for option in ("--year", "--params", "--data-dir", "--out"):
        assert option in text
