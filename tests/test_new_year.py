"""`bosetting nytt-aar`: next year's parameter file from last year's, with the comments kept, and the checklist."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bosetting_lib import cli
from bosetting_lib.errors import BosettingError, ParameterError
from bosetting_lib.sources.freshness import REVIEW_MARK
from bosetting_lib.run.new_year import latest_params_file, write_new_year
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    target = tmp_path / "params"
    shutil.copytree(PROJECT_ROOT / "params", target)
    return target


def test_new_year_file_from_last_year(params_dir: Path) -> None:
    assert latest_params_file(2027, params_dir).name == "2026.yaml"  # not the county file 2026_fylke_40.yaml
    target = write_new_year(2027, params_dir=params_dir)
    assert target == params_dir / "2027.yaml"
    old_text = (params_dir / "2026.yaml").read_text(encoding="utf-8")
    text = target.read_text(encoding="utf-8")
    new = load_params(target, year=2027, allow_missing_total=True)
    old = load_params(params_dir / "2026.yaml")
    assert new.aar == 2027 and new.totalt is None
    assert new.tilbakemelding_frist == dt.date(2026, 5, 14) and old.tilbakemelding_frist == dt.date(2025, 5, 14)
    assert new.usikkerhet_startverdi == 2027 and new.maks_alder_indikatorer == 2
    assert len(new.nasjonale_kriterier) == len(old.nasjonale_kriterier)
    for before, after in zip(old.nasjonale_kriterier, new.nasjonale_kriterier):
        assert after == f"({REVIEW_MARK} 2027) {before}"
    # IMDi's 2026 table is listed where it belongs, commented out until the file is there
    assert new.inndata_imdi == old.inndata_imdi
    assert "    # 2026: imdi/nokkeltall_bosetting_2026_trondelag.csv" in text
    assert "    # 2026: imdi/nokkeltall_bosetting_2026.html" in text
    # last year's answers are not read as this year's
    assert "tilbakemeldinger" not in new.inndata_valgfrie and "data/raw/tilbakemeldinger/2027/" in text
    assert new.raw["nasjonalt"]["fylkestotaler"] == "imdi/fylker_anmodet_2027.csv"
    assert new.kriterier == old.kriterier and new.scenarier == old.scenarier
    # every comment of last year's file is still there (the edited value lines carry new ones)
    old_comments = [line for line in old_text.splitlines() if line.lstrip().startswith("#")]
    new_lines = text.splitlines()
    for line in old_comments:
        assert line.replace("2026 (forberedt våren 2025)", "2027 (forberedt våren 2026)") in new_lines
    assert "totalt: null" in text and "FYLL INN" in text


def test_the_missing_total_is_refused_by_name(params_dir: Path) -> None:
    target = write_new_year(2027, params_dir=params_dir)
    with pytest.raises(ParameterError) as caught:
        load_params(target, year=2027)
    assert [p.column for p in caught.value.problems] == ["totalt"]
    message = str(caught.value)
    assert "2027.yaml, parameter «totalt»: forventet fylkets samlede anmodning fra IMDi for 2027" in message
    assert "fyll inn tallet" in message


def test_never_overwrites(params_dir: Path) -> None:
    target = write_new_year(2027, params_dir=params_dir)
    target.write_text(target.read_text(encoding="utf-8").replace("totalt: null", "totalt: 1400"), encoding="utf-8")
    before = target.read_bytes()
    with pytest.raises(BosettingError, match="finnes allerede og skrives ikke over"):
        write_new_year(2027, params_dir=params_dir)
    assert target.read_bytes() == before
    with pytest.raises(BosettingError, match="gjelder 2026, ikke 2028"):
        write_new_year(2029, source=params_dir / "2026.yaml")  # a gap year is not guessed


def test_cli_prints_the_checklist(params_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["nytt-aar", "2027", "--fra", str(params_dir / "2026.yaml")])
    out = capsys.readouterr().out
    assert status == 0 and (params_dir / "2027.yaml").is_file()
    for needed in ("IMDis tabell for 2026", "data/raw/imdi/nokkeltall_bosetting_2026_trondelag.csv",
                   "nasjonale kriterier for 2027", "totaltall for 2027", "data/raw/tilbakemeldinger/2027/",
                   "bosetting hent --year 2027"):
        assert needed in out
    assert cli.main(["nytt-aar", "2027", "--fra", str(params_dir / "2026.yaml")]) == 1
    assert "finnes allerede" in capsys.readouterr().err
