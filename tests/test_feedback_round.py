"""`bosetting skjema` end to end: the county's forms, prefilled from the bundled IMDi tables, read back unchanged."""

from bosetting_lib.cli import main
from bosetting_lib.feedback.read import read_returned_forms
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.register import Register


def test_skjema_writes_one_form_per_municipality_that_reads_back_as_unanswered(tmp_path, capsys):
    assert main(["skjema", "--year", "2026", "--out", str(tmp_path), "--frist", "2025-05-14"]) == 0
    forms = sorted(tmp_path.glob("*.xlsx"))
    assert len(forms) == 38
    assert forms[0].name == "tilbakemelding_2026_5001_Trondheim.xlsx"
    municipalities = Register.load(DataPaths().reference).municipalities(2026, county="50")
    result = read_returned_forms(tmp_path, year=2026, municipalities=municipalities)
    # blank forms are not answers: every municipality is still listed as not having answered
    assert sorted(result.missing) == sorted(municipalities["kommunenummer"])


def test_skjema_without_deadline_is_a_parameter_error(tmp_path, params_copy, capsys):
    text = params_copy.read_text(encoding="utf-8").replace("  frist: 2025-05-14\n", "")
    params_copy.write_text(text, encoding="utf-8")
    assert load_params(params_copy).tilbakemelding_frist is None
    assert main(["skjema", "--year", "2026", "--params", str(params_copy), "--out", str(tmp_path)]) == 1
    assert "tilbakemelding.frist" in capsys.readouterr().err
