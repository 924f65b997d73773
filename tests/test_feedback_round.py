"""`bosetting skjema` end to end: the county's forms, prefilled from the bundled IMDi tables, read back unchanged;
and the checks that stop forms going out with a past deadline or an address nobody reads."""

import datetime as dt
import re

import openpyxl

from bosetting_lib.cli import main
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.feedback.form import QUESTIONS, SHEET_FORM, label_rows
from bosetting_lib.feedback.read import read_returned_forms
from bosetting_lib.run.feedback_round import TEST_NOTE, check_sendable
from bosetting_lib.sources.register import Register

FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def _set_feedback(params_file, deadline: str, contact: str) -> None:
    text = params_file.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  frist: .*$", f"  frist: {deadline}", text)
    text = re.sub(r"(?m)^  kontakt: .*$", f"  kontakt: {contact}", text)
    params_file.write_text(text, encoding="utf-8")


def test_skjema_writes_one_form_per_municipality_that_reads_back_as_unanswered(tmp_path, params_copy, capsys):
    _set_feedback(params_copy, FUTURE, "bosetting@trondelagfylke.no")
    assert main(["skjema", "--year", "2026", "--params", str(params_copy), "--out", str(tmp_path)]) == 0
    forms = sorted(tmp_path.glob("*.xlsx"))
    assert len(forms) == 38
    assert forms[0].name == "tilbakemelding_2026_5001_Trondheim.xlsx"
    guide = openpyxl.load_workbook(forms[0])["Veiledning"]
    texts = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "bosetting@trondelagfylke.no" in texts and "PRØVE" not in texts
    municipalities = Register.load(DataPaths().reference).municipalities(2026, county="50")
    result = read_returned_forms(tmp_path, year=2026, municipalities=municipalities)
    # blank forms are not answers: every municipality is still listed as not having answered
    assert sorted(result.missing) == sorted(municipalities["kommunenummer"])


def test_skjema_with_the_bundled_parameters_refuses_the_past_deadline_and_the_example_address(tmp_path, capsys):
    assert main(["skjema", "--year", "2026", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Svarfristen 14. mai 2025 er passert" in err and "tilbakemelding.frist" in err
    assert "bosetting@example.no" in err and "tilbakemelding.kontakt" in err and "--proeve" in err
    assert not list(tmp_path.glob("*.xlsx")), "nothing is written when refused"


def test_a_test_run_writes_forms_marked_as_a_test(tmp_path, capsys):
    assert main(["skjema", "--year", "2026", "--out", str(tmp_path), "--proeve"]) == 0
    form = openpyxl.load_workbook(sorted(tmp_path.glob("*.xlsx"))[0])
    assert form[SHEET_FORM]["F1"].value == TEST_NOTE


def test_check_sendable_accepts_a_real_address_and_a_future_deadline(tmp_path):
    today = dt.date(2026, 3, 1)
    check_sendable(dt.date(2026, 3, 1), "bosetting@ostfylke.no", tmp_path / "p.yaml", today)
    for deadline, contact in ((dt.date(2026, 2, 28), "bosetting@ostfylke.no"), (dt.date(2026, 4, 1), "a@example.com"),
                              (dt.date(2026, 4, 1), "post@sub.example.no"), (dt.date(2026, 4, 1), None)):
        try:
            check_sendable(deadline, contact, tmp_path / "p.yaml", today)
        except Exception as exc:  # noqa: BLE001
            assert "Skjemaene er ikke laget" in str(exc)
        else:
            raise AssertionError(f"{deadline} {contact} was accepted")


def test_skjema_for_another_county(tmp_path, capsys):
    assert main(["skjema", "--year", "2026", "--fylke", "40", "--out", str(tmp_path), "--proeve"]) == 0
    forms = sorted(tmp_path.glob("*.xlsx"))
    assert len(forms) == 17 and all(f.name.startswith("tilbakemelding_2026_40") for f in forms)


def test_skjema_without_deadline_is_a_parameter_error(tmp_path, params_copy, capsys):
    text = re.sub(r"(?m)^  frist: .*\n", "", params_copy.read_text(encoding="utf-8"))
    params_copy.write_text(text, encoding="utf-8")
    assert load_params(params_copy).tilbakemelding_frist is None
    assert main(["skjema", "--year", "2026", "--params", str(params_copy), "--out", str(tmp_path)]) == 1
    assert "tilbakemelding.frist" in capsys.readouterr().err


# What a county's spring letter asks each municipality (domain.md, «What the county asks each municipality»),
# plus what the letter's readers found missing: family reunification, housing and special needs.
LETTER_POINTS = {
    "kapasitet for neste år (antall)": ["kapasitet"],
    "ønske om bosetting": ["onske"],
    "enslige mindreårige: kan og hvor mange": ["em_kan_bosette", "em_kapasitet"],
    "kvalifiseringstilbud med resultater": ["kvalifiseringstilbud"],
    "interkommunalt samarbeid": ["interkommunalt_samarbeid", "samarbeid_1", "samarbeid_tekst"],
    "behov for arbeidskraft": ["arbeidskraftbehov"],
    "ventet familiegjenforening": ["familiegjenforente", "familiegjenforening_kommentar"],
    "bolig": ["bolig"],
    "særlige behov (helse, nedsatt funksjonsevne)": ["saerlige_behov"],
    "kontaktperson (publiseres ikke)": ["kontaktperson", "kontakt_epost", "kontakt_telefon"],
}
WORDS = {"kvalifiseringstilbud": "resultat", "familiegjenforente": "familiegjenforen", "bolig": "bolig",
         "saerlige_behov": "særlige behov", "arbeidskraftbehov": "behov", "em_kapasitet": "enslige mindreårige"}


def test_the_form_asks_every_point_of_the_letter(tmp_path, params_copy):
    _set_feedback(params_copy, FUTURE, "bosetting@trondelagfylke.no")
    assert main(["skjema", "--year", "2026", "--params", str(params_copy), "--out", str(tmp_path)]) == 0
    ws = openpyxl.load_workbook(sorted(tmp_path.glob("*.xlsx"))[0])[SHEET_FORM]
    labels = label_rows(ws)
    by_key = {q.key: q for q in QUESTIONS}
    for point, keys in LETTER_POINTS.items():
        for key in keys:
            question = by_key[key]
            assert question.text(2026) in labels, f"«{point}»: the form does not ask «{question.text(2026)}»"
            row = labels[question.text(2026)]
            asked = (ws[f"B{row}"].value + " " + (ws[f"F{row}"].value or "")).lower()
            if key in WORDS:
                assert WORDS[key] in asked, f"«{point}»: «{asked}» does not mention {WORDS[key]}"
