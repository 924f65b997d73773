"""The generated feedback form: layout, validations, protection, prefilled history and reproducible bytes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bosetting_lib.errors import InputError
from bosetting_lib.feedback.form import (
    QUESTIONS,
    WISH_CHOICES,
    answer_cells,
    form_id,
    slug,
    write_forms,
)

YEAR = 2026
DEADLINE = dt.date(2025, 5, 14)
MUNICIPALITIES = pd.DataFrame({
    "kommunenummer": ["5001", "5014", "5041", "5043"],
    "kommune": ["Trondheim", "Frøya", "Snåase - Snåsa", "Røyrvik"],
})


def history() -> pd.DataFrame:
    """IMDi history for two municipalities; Frøya's 2025 «bosatte» is suppressed, Røyrvik had no decision in 2025."""
    rows = [
        ("5001", 2022, "anmodet", 740.0, None), ("5001", 2024, "anmodet", 845.0, None),
        ("5001", 2025, "anmodet", 355.0, None), ("5001", 2025, "vedtatt", 470.0, None),
        ("5001", 2025, "bosatte", 359.0, None), ("5001", 2021, "anmodet", 600.0, None),
        ("5014", 2025, "anmodet", 15.0, None), ("5014", 2025, "vedtatt", 20.0, None),
        ("5014", 2025, "bosatte", None, ":"),
        ("5043", 2025, "anmodet", 0.0, None), ("5043", 2025, "vedtatt", None, "-"),
        ("5001", 2026, "anmodet", 999.0, None),  # the form's own year is never shown as history
    ]
    df = pd.DataFrame(rows, columns=["kommunenummer", "aar", "variabel", "verdi", "status"])
    return df.astype({"kommunenummer": "str", "verdi": "Float64", "status": "str"})


@pytest.fixture
def forms(tmp_path: Path) -> list[Path]:
    return write_forms(MUNICIPALITIES, history(), year=YEAR, county_name="Trøndelag", deadline=DEADLINE,
                       out_dir=tmp_path / "skjema", contact="bosetting@example.com")


def label_row(ws, label: str) -> int:
    for (cell,) in ws.iter_rows(min_col=2, max_col=2):
        if cell.value == label:
            return cell.row
    raise AssertionError(f"fant ikke {label!r}")


def test_one_form_per_municipality_with_safe_names(forms):
    assert [p.name for p in forms] == [
        "tilbakemelding_2026_5001_Trondheim.xlsx", "tilbakemelding_2026_5014_Frøya.xlsx",
        "tilbakemelding_2026_5041_Snåase_Snåsa.xlsx", "tilbakemelding_2026_5043_Røyrvik.xlsx",
    ]
    assert all(p.exists() for p in forms)


@pytest.mark.parametrize(("name", "expected"), [
    ("Snåase - Snåsa", "Snåase_Snåsa"), ("Midtre Gauldal", "Midtre_Gauldal"), ("Nordlánnda", "Nordlannda"),
    ("Herøy (Nordland)", "Herøy_Nordland"), ("Porsanger/Porsáŋgu", "Porsanger_Porsangu"),
])
def test_slug(name, expected):
    assert slug(name) == expected


def test_sheets_identity_and_hidden_form_id(forms):
    wb = openpyxl.load_workbook(forms[0])
    assert wb.sheetnames == ["Veiledning", "Svar", "Lister"]
    assert wb["Lister"].sheet_state == "hidden"
    ws = wb["Svar"]
    assert ws.cell(label_row(ws, "Kommunenummer"), 3).value == "5001"  # text, not the number 5001
    assert ws.cell(label_row(ws, "Kommune"), 3).value == "Trondheim"
    assert ws.cell(label_row(ws, "Skjemaet gjelder året"), 3).value == YEAR
    id_row = label_row(ws, "Skjema-ID (ikke endre)")
    assert ws.cell(id_row, 3).value == form_id(YEAR)
    assert ws.row_dimensions[id_row].hidden


def test_protection_answer_cells_unlocked_everything_else_locked(forms):
    ws = openpyxl.load_workbook(forms[0])["Svar"]
    assert ws.protection.sheet is True
    assert openpyxl.load_workbook(forms[0])["Lister"].protection.sheet is True
    cells = answer_cells(ws, YEAR)
    assert set(cells) == {q.key for q in QUESTIONS}
    for ref in cells.values():
        assert ws[ref].protection.locked is False
        assert ws[ref].fill.fgColor.rgb.endswith("FFF2CC")
    for label in ("Kommunenummer", "Kommune", "Skjemaet gjelder året", "Skjema-ID (ikke endre)"):
        assert ws.cell(label_row(ws, label), 3).protection.locked is True
    assert ws.cell(label_row(ws, "Kommune"), 2).protection.locked is True  # labels cannot be edited away


def test_data_validations_on_answer_cells(forms):
    wb = openpyxl.load_workbook(forms[0])
    ws = wb["Svar"]
    cells = answer_cells(ws, YEAR)
    rules = {ref: dv for dv in ws.data_validations.dataValidation for ref in str(dv.sqref).split()}

    for key in ("kapasitet", "em_kapasitet"):
        dv = rules[cells[key]]
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        assert dv.showErrorMessage

    def listed(dv) -> list[str]:
        sheet, rng = dv.formula1.split("!")
        return [c.value for (c,) in wb[sheet][rng.replace("$", "")]]

    assert rules[cells["onske"]].type == "list" and listed(rules[cells["onske"]]) == list(WISH_CHOICES)
    for key in ("em_kan_bosette", "interkommunalt_samarbeid"):
        assert listed(rules[cells[key]]) == ["Ja", "Nei"]
    partners = listed(rules[cells["samarbeid_1"]])
    assert partners == ["Frøya", "Røyrvik", "Snåase - Snåsa"]  # the others, in Norwegian order; not Trondheim itself
    assert all(cells[f"samarbeid_{i}"] in rules for i in range(1, 6))
    assert rules[cells["svardato"]].type == "date"
    assert cells["kvalifiseringstilbud"] not in rules  # free text


def test_history_prefilled_with_symbols_explained(forms):
    ws = openpyxl.load_workbook(forms[1])["Svar"]  # Frøya
    head = label_row(ws, "Tall fra IMDi for tidligere år")
    assert [ws.cell(head, c).value for c in (3, 4, 5)] == [2022, 2024, 2025]  # the three latest before 2026
    bosatte = label_row(ws, "Bosatte")
    assert ws.cell(bosatte, 5).value == ":"
    assert ws.cell(label_row(ws, "Vedtatt å bosette"), 5).value == 20
    assert ws.cell(bosatte, 3).value == ".."  # no 2022 figure for Frøya in the history
    legend = ws.cell(bosatte + 1, 2).value
    assert "«:» = prikket (færre enn 5)" in legend and "«..» = tall mangler" in legend

    ws = openpyxl.load_workbook(forms[3])["Svar"]  # Røyrvik: request 0, so no decision
    assert ws.cell(label_row(ws, "Vedtatt å bosette"), 5).value == "-"
    assert ws.cell(label_row(ws, "Anmodet om å bosette"), 5).value == 0


def test_guide_explains_purpose_deadline_and_publication(forms):
    ws = openpyxl.load_workbook(forms[0])["Veiledning"]
    text = "\n".join(str(c.value) for (c,) in ws.iter_rows(max_col=1) if c.value)
    assert "14. mai 2025" in text
    assert "bosetting@example.com" in text
    assert "IMDi" in text and "integreringsloven § 4" in text
    assert "offentlig rapport" in text and "unntatt kontaktopplysningene" in text
    assert ws.protection.sheet is True


def test_same_inputs_give_identical_bytes(tmp_path):
    a = write_forms(MUNICIPALITIES, history(), year=YEAR, county_name="Trøndelag", deadline=DEADLINE, out_dir=tmp_path / "a")
    b = write_forms(MUNICIPALITIES, history(), year=YEAR, county_name="Trøndelag", deadline=DEADLINE, out_dir=tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    props = openpyxl.load_workbook(a[0]).properties
    assert props.created == props.modified == dt.datetime(YEAR - 1, 1, 1)


def test_note_is_shown_on_both_visible_sheets(tmp_path):
    [path] = write_forms(MUNICIPALITIES.iloc[:1], history(), year=YEAR, county_name="Trøndelag", deadline=DEADLINE,
                         out_dir=tmp_path, note="EKSEMPELDATA – ikke ekte svar")
    wb = openpyxl.load_workbook(path)
    assert wb["Veiledning"]["A1"].value == "EKSEMPELDATA – ikke ekte svar"
    assert wb["Svar"]["F1"].value == "EKSEMPELDATA – ikke ekte svar"


def test_works_without_history(tmp_path):
    [path] = write_forms(MUNICIPALITIES.iloc[:1], pd.DataFrame(), year=YEAR, county_name="Trøndelag",
                         deadline=DEADLINE, out_dir=tmp_path)
    ws = openpyxl.load_workbook(path)["Svar"]
    assert label_row(ws, "Ingen tall fra tidligere år er tilgjengelige.")


def test_codes_must_be_four_digit_text(tmp_path):
    bad = pd.DataFrame({"kommunenummer": [301, "5001"], "kommune": ["Oslo", "Trondheim"]})
    with pytest.raises(InputError) as err:
        write_forms(bad, history(), year=YEAR, county_name="Trøndelag", deadline=DEADLINE, out_dir=tmp_path)
    assert "«301»" in str(err.value) and "fire sifre" in str(err.value)


def test_question_keys_and_labels_are_unique():
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    assert len({q.text(YEAR) for q in QUESTIONS}) == len(QUESTIONS)
