"""Reading returned forms and survey exports, duplicates, the processed table and the privacy scrub."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bosetting_lib.feedback.read import (
    FEEDBACK_COLUMNS,
    combine_feedback,
    default_column_map,
    feedback_table,
    public_feedback_table,
    read_feedback_folder,
    read_returned_forms,
    read_survey_export,
)
from bosetting_lib.feedback.form import write_forms
from bosetting_lib.config.paths import PROJECT_ROOT

from conftest import load_tool

example_feedback = load_tool("make_example_feedback")

YEAR = 2026
DEADLINE = dt.date(2025, 5, 14)
FIXTURES = Path(__file__).parent / "fixtures" / "feedback"
MUNICIPALITIES = pd.DataFrame({
    "kommunenummer": ["5001", "5006", "5041", "5043", "5059"],
    "kommune": ["Trondheim", "Steinkjer", "Snåsa", "Røyrvik", "Orkland"],
    "offisielt_navn": ["Trondheim - Tråante", "Steinkjer", "Snåase - Snåsa", "Raarvihke - Røyrvik", "Orkland"],
})
HISTORY = pd.DataFrame({"kommunenummer": ["5001"], "aar": [2025], "variabel": ["anmodet"],
                        "verdi": pd.array([355.0], dtype="Float64"), "status": pd.array([pd.NA], dtype="str")})


def make_forms(folder: Path, year: int = YEAR, codes: list[str] | None = None) -> dict[str, Path]:
    chosen = MUNICIPALITIES if codes is None else MUNICIPALITIES.loc[MUNICIPALITIES["kommunenummer"].isin(codes)]
    paths = write_forms(chosen, HISTORY, year=year, county_name="Trøndelag", deadline=DEADLINE, out_dir=folder)
    return dict(zip(chosen["kommunenummer"], paths, strict=True))


def fill(path: Path, values: dict[str, object], *, target: Path | None = None) -> Path:
    """Fill answer cells as a spreadsheet user would: find each label in column B and type into column C."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Svar"]
    rows = {c.value: c.row for (c,) in ws.iter_rows(min_col=2, max_col=2) if isinstance(c.value, str)}
    for label, value in values.items():
        ws.cell(rows[label], 3).value = value
    target = target or path
    wb.save(target)
    return target


CAPACITY = f"Hvor mange flyktninger kan kommunen bosette i {YEAR}?"
EM_COUNT = f"Hvor mange enslige mindreårige kan kommunen bosette i {YEAR}?"
WISH = f"Hvordan ønsker kommunen å bosette i {YEAR}, sammenlignet med tidligere år?"
FULL_ANSWER = {
    CAPACITY: 25,
    "Kommentar til antallet": "Forutsetter nye boliger",
    WISH: "Flere enn før",
    "Kan kommunen bosette enslige mindreårige?": "Ja",
    EM_COUNT: 4,
    "Hvilke opplærings- og kvalifiseringstilbud for flyktninger har kommunen som gir gode resultater?":
        "Bransjeskole i helse; 70 % i arbeid",
    "Har kommunen interkommunalt samarbeid om kvalifisering/integrering?": "Nei",
    "Samarbeidskommune 1": "Snåsa",
    "Samarbeidskommune 2": "Orkland",
    "Beskriv samarbeidet": "Felles voksenopplæring",
    "Hvilke yrker eller hvilken kompetanse har kommunen og det lokale arbeidslivet særlig behov for, som bosatte "
    "flyktninger kan fylle?": "Helsefagarbeidere",
    "Andre opplysninger fylkeskommunen bør kjenne til": "Ingen",
    "Navn på kontaktperson": "Kari Nordmann",
    "E-post til kontaktperson": "kari@example.com",
    "Telefon til kontaktperson": 92233444,
    "Dato for svaret": dt.datetime(2025, 5, 10),
}


def problem_texts(result) -> list[str]:
    return [str(p) for p in result.problems]


# --- returned forms -------------------------------------------------------------------------------------------


def test_round_trip_reads_back_what_was_typed(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    fill(path, FULL_ANSWER)
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    [row] = result.answers.to_dict("records")
    assert row["kommunenummer"] == "5006" and row["kommune"] == "Steinkjer"
    assert row["kapasitet_tekst"] == "25"
    assert row["kapasitet_kommentar"] == "Forutsetter nye boliger"
    assert row["onske"] == "Flere enn før"
    assert row["em_kan_bosette"] is True
    assert row["em_kapasitet_tekst"] == "4"
    assert row["interkommunalt_samarbeid"] is False
    assert row["samarbeid"] == "Snåsa; Orkland"
    assert row["samarbeid_tekst"] == "Felles voksenopplæring"
    assert row["kvalifiseringstilbud"] == "Bransjeskole i helse; 70 % i arbeid"
    assert row["arbeidskraftbehov"] == "Helsefagarbeidere"
    assert (row["kontaktperson"], row["kontakt_epost"], row["kontakt_telefon"]) == ("Kari Nordmann", "kari@example.com", "92233444")
    assert row["svardato"] == pd.Timestamp("2025-05-10")
    assert row["kilde"] == path.name
    assert sorted(result.missing) == ["5001", "5041", "5043", "5059"]

    table = feedback_table(result)
    steinkjer = table.set_index("kommunenummer").loc["5006"]
    assert (steinkjer["kapasitet_min"], steinkjer["kapasitet_maks"], steinkjer["em_kapasitet"]) == (25, 25, 4)
    assert steinkjer["flagg"] == ""


def test_malformed_forms_are_reported_and_the_rest_still_read(tmp_path):
    paths = make_forms(tmp_path, codes=["5001", "5006", "5041", "5059"])
    fill(paths["5001"], {CAPACITY: 40, "Dato for svaret": dt.datetime(2025, 5, 2)})
    fill(paths["5006"], {CAPACITY: "tretti", WISH: "Kanskje"})
    # A municipality outside the county: someone typed over the (locked) code cell.
    wb = openpyxl.load_workbook(paths["5041"])
    wb["Svar"]["C6"] = "0301"
    wb.save(paths["5041"])
    fill(paths["5059"], {CAPACITY: 10})
    # Last year's form, returned by mistake.
    old = make_forms(tmp_path / "old", year=2025, codes=["5043"])["5043"]
    fill(old, {"Hvor mange flyktninger kan kommunen bosette i 2025?": 12}, target=tmp_path / old.name)
    (tmp_path / "tilbakemelding_2026_5043_Røyrvik_ødelagt.xlsx").write_bytes(b"dette er ingen xlsx")
    (tmp_path / "~$tilbakemelding_2026_5001_Trondheim.xlsx").write_bytes(b"lock file")  # Excel's lock file: ignored

    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    texts = problem_texts(result)
    trondheim, steinkjer, snasa = paths["5001"].name, paths["5006"].name, paths["5041"].name
    assert f"{steinkjer}, celle C18: forventet et heltall ≥ 0 («{CAPACITY}»), fant «tretti»" in texts
    assert any(t.startswith(f"{steinkjer}, celle C20: forventet ett av valgene") and "«Kanskje»" in t for t in texts)
    assert f"{snasa}, celle C6: forventet et kommunenummer i fylket, fant «0301»" in texts
    assert any(t.startswith(f"{old.name}, celle C9: forventet et skjema for 2026") and "/2025/" in t for t in texts)
    assert any(t.startswith("tilbakemelding_2026_5043_Røyrvik_ødelagt.xlsx: forventet en Excel-arbeidsbok") for t in texts)
    assert len(texts) == 5
    assert not any(trondheim in t or paths["5059"].name in t for t in texts)

    # The good forms, and the one with a bad cell, are read; wrong year/municipality are left out.
    assert list(result.answers["kommunenummer"]) == ["5001", "5006", "5059"]
    assert result.missing == ["5041", "5043"]
    table = feedback_table(result).set_index("kommunenummer")
    assert table.loc["5001", "kapasitet_maks"] == 40
    # "tretti" is still kept as text and parsed by the tolerant parser, flagged.
    assert table.loc["5006", "kapasitet_tekst"] == "tretti"
    assert table.loc["5006", "kapasitet_maks"] == 30
    assert "ugyldig verdi i C18" in table.loc["5006", "flagg"]
    assert pd.isna(table.loc["5006", "onske"])


def test_blank_returned_form_is_reported_not_counted(tmp_path):
    make_forms(tmp_path, codes=["5001"])
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.answers.empty
    assert "5001" in result.missing
    assert problem_texts(result) == ["tilbakemelding_2026_5001_Trondheim.xlsx: forventet et utfylt skjema, fant «ingen svar er fylt ut»"]


def test_duplicate_forms_latest_wins(tmp_path):
    first = make_forms(tmp_path, codes=["5001"])["5001"]
    fill(first, {CAPACITY: 100, "Dato for svaret": dt.datetime(2025, 5, 12)})
    second = fill(first, {CAPACITY: 80, "Dato for svaret": dt.datetime(2025, 5, 3)},
                  target=tmp_path / "tilbakemelding_2026_5001_Trondheim_v2.xlsx")
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    # The later answer date counts even though its file sorts first.
    assert list(result.answers["kapasitet_tekst"]) == ["100"]
    assert list(result.duplicates["kilde"]) == [second.name]
    assert list(result.duplicates["erstattet_av"]) == [first.name]
    assert "svarte 2 ganger" in feedback_table(result).set_index("kommunenummer").loc["5001", "flagg"]


def test_duplicate_forms_same_date_later_file_wins(tmp_path):
    first = make_forms(tmp_path, codes=["5001"])["5001"]
    fill(first, {CAPACITY: 100, "Dato for svaret": dt.datetime(2025, 5, 12)})
    fill(first, {CAPACITY: 90}, target=tmp_path / "tilbakemelding_2026_5001_Trondheim_v2.xlsx")
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert list(result.answers["kapasitet_tekst"]) == ["90"]
    assert list(result.duplicates["kapasitet_tekst"]) == ["100"]


# --- survey exports -------------------------------------------------------------------------------------------


def test_ms_forms_export_cp1252_comma(tmp_path):
    result = read_survey_export(FIXTURES / "ms_forms_eksport_cp1252.csv", year=YEAR, municipalities=MUNICIPALITIES)
    assert problem_texts(result) == [
        "ms_forms_eksport_cp1252.csv, rad 5, kolonne «Kommune»: forventet en kommune i fylket (navn eller kommunenummer), fant «Oslo»"
    ]
    answers = result.answers.set_index("kommunenummer")
    assert sorted(answers.index) == ["5001", "5041", "5043"]
    assert result.missing == ["5006", "5059"]
    # Trondheim: the later answer (row 6, «som i fjor») replaces row 4.
    assert answers.loc["5001", "kapasitet_tekst"] == "som i fjor"
    assert answers.loc["5001", "kilde_rad"] == 6
    assert answers.loc["5001", "samarbeid"] == "Steinkjer; Orkland"
    # Snåsa: rows 2 and 7 finished at the same minute, so the later row counts.
    assert answers.loc["5041", "kapasitet_tekst"] == "15"
    assert answers.loc["5041", "svardato"] == pd.Timestamp("2025-05-02 09:10:00")  # month first, as MS Forms writes
    assert answers.loc["5043", "onske"] == "Ønsker ikke å bosette"
    assert sorted(result.duplicates["kilde_rad"].tolist()) == [2, 4]

    table = feedback_table(result, last_year_request=pd.Series({"5001": 355.0, "5043": 0.0}))
    t = table.set_index("kommunenummer")
    assert (t.loc["5001", "kapasitet_min"], t.loc["5001", "kapasitet_maks"]) == (355, 355)
    assert "«som i fjor» er tolket som fjorårets anmodning (355)" in t.loc["5001", "flagg"]
    assert t.loc["5043", "avslar"] == True and t.loc["5043", "kapasitet_maks"] == 0  # noqa: E712
    assert t.loc["5001", "svart"] and not t.loc["5006", "svart"]


def _export_rows() -> list[list[str]]:
    return [
        ["ID", "Fullføringstidspunkt", "Navn", "E-post", "Kommune", f"Hvor mange flyktninger kan kommunen bosette i {YEAR}?",
         f"Hvordan ønsker kommunen å bosette i {YEAR}, sammenlignet med tidligere år?", "Andre kommentarer"],
        ["1", "02.05.2025 10:00:00", "Kari", "kari@example.com", "Snåase - Snåsa", "ca. 15 personer", "Som før", "Takk, ok"],
        ["2", "03.05.2025 11:00:00", "Ola", "ola@example.com", "Orkland kommune", "20-25", "som før", ""],
        ["3", "04.05.2025 12:00:00", "Per", "per@example.com", "raarvihke - røyrvik", "nei", "Ønsker ikke å bosette", ""],
    ]


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("utf-8", ","), ("cp1252", ";"), ("utf-8-sig", "\t")])
def test_export_encodings_and_separators(tmp_path, encoding, delimiter):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(_export_rows())
    path = tmp_path / "eksport.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    result = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    answers = result.answers.set_index("kommunenummer")
    assert list(answers["kapasitet_tekst"]) == ["ca. 15 personer", "20-25", "nei"]
    assert list(answers.index) == ["5041", "5059", "5043"]
    assert answers.loc["5059", "onske"] == "Som før"  # case-insensitive choice
    assert answers.loc["5041", "kontaktperson"] == "Kari" and answers.loc["5041", "kontakt_epost"] == "kari@example.com"


def test_export_as_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    rows = _export_rows()
    for r in rows:
        wb.active.append(r)
    wb.active["B2"] = dt.datetime(2025, 5, 2, 10, 0)  # a real date cell, as Microsoft Forms' xlsx has
    wb.active["F3"] = 20  # a number cell
    path = tmp_path / "eksport.xlsx"
    wb.save(path)
    result = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    answers = result.answers.set_index("kommunenummer")
    assert answers.loc["5041", "svardato"] == pd.Timestamp("2025-05-02 10:00")
    assert answers.loc["5059", "kapasitet_tekst"] == "20"


def test_export_for_another_year_is_rejected(tmp_path):
    rows = _export_rows()
    rows[0][5] = "Hvor mange flyktninger kan kommunen bosette i 2025?"
    path = tmp_path / "eksport_2025.csv"
    path.write_text("\n".join(";".join(r) for r in rows), encoding="utf-8")
    result = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.answers.empty
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith("eksport_2025.csv, rad 1, kolonne «Hvor mange flyktninger kan kommunen bosette i 2025?»: forventet spørsmål om bosetting i 2026")


def test_export_with_column_map_and_missing_municipality_column(tmp_path):
    path = tmp_path / "nettskjema.csv"
    path.write_text("$submission_id;$created;Hvem svarer;Antall neste år\n7;2025-05-03T12:00:00;5006;inntil 40\n",
                    encoding="utf-8")
    without = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES)
    assert without.answers.empty
    assert "forventet en kolonne for kommune" in str(without.problems[0])
    mapped = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES,
                                column_map={"kommune": "Hvem svarer", "kapasitet": "Antall neste år"})
    assert mapped.problems == []
    row = mapped.answers.iloc[0]
    assert (row["kommunenummer"], row["kapasitet_tekst"], row["svardato"]) == ("5006", "inntil 40", pd.Timestamp("2025-05-03 12:00"))
    bad_map = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES, column_map={"kommune": "Finnes ikke"})
    assert any("kolonnen «Finnes ikke»" in str(p) for p in bad_map.problems)


def test_default_column_map_recognises_typical_questions():
    headers = list(example_feedback.EXPORT_HEADER)
    mapping = default_column_map(headers)
    assert mapping["kommune"] == "Kommune"
    assert mapping["tidspunkt"] == "Fullføringstidspunkt"
    assert mapping["kapasitet"] == f"Hvor mange flyktninger kan kommunen bosette i {YEAR}?"
    assert mapping["em_kapasitet"] == f"Hvor mange enslige mindreårige kan kommunen bosette i {YEAR}?"
    assert mapping["em_kan_bosette"] == "Kan kommunen bosette enslige mindreårige?"
    assert mapping["interkommunalt_samarbeid"].startswith("Har kommunen interkommunalt")
    assert mapping["samarbeid"] == "Hvilke kommuner samarbeider dere med?"
    assert mapping["kvalifiseringstilbud"].startswith("Hvilke opplærings-")
    assert mapping["arbeidskraftbehov"].startswith("Hvilke yrker")
    assert mapping["kontakt_epost"] == "E-post" and mapping["kontaktperson"] == "Navn"
    assert mapping["kommentar"] == "Andre kommentarer"
    english = default_column_map(["ID", "Start time", "Completion time", "Email", "Name", "Kommune"])
    assert english["tidspunkt"] == "Completion time" and english["kontakt_epost"] == "Email"


# --- combining, the processed table, privacy ----------------------------------------------------------------


def test_combine_forms_and_export_latest_wins_across_sources(tmp_path):
    path = make_forms(tmp_path, codes=["5059"])["5059"]
    fill(path, {CAPACITY: 50, "Dato for svaret": dt.datetime(2025, 5, 1)})
    forms = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    export_path = tmp_path / "eksport.csv"
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(_export_rows())
    export_path.write_text(buf.getvalue(), encoding="utf-8")
    export = read_survey_export(export_path, year=YEAR, municipalities=MUNICIPALITIES)
    both = combine_feedback(forms, export)
    answers = both.answers.set_index("kommunenummer")
    assert answers.loc["5059", "kapasitet_tekst"] == "20-25"  # the export answer (3 May) is later than the form (1 May)
    assert list(both.duplicates["kilde"]) == [path.name]
    assert both.duplicates["erstattet_av"].iloc[0] == "eksport.csv, rad 3"
    assert both.missing == ["5001", "5006"]

    folder = read_feedback_folder(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert folder.answers.equals(both.answers)


def test_feedback_table_one_row_per_municipality_with_flags(tmp_path):
    path = tmp_path / "svar.csv"
    path.write_text(
        "Kommune;Fullføringstidspunkt;Hvor mange flyktninger kan kommunen bosette i 2026?;"
        "Hvordan ønsker kommunen å bosette i 2026, sammenlignet med tidligere år?;"
        "Kan kommunen bosette enslige mindreårige?;Hvor mange enslige mindreårige kan kommunen bosette i 2026?\n"
        "Trondheim;02.05.2025 10:00;30;Ønsker ikke å bosette;Nei;5\n"
        "Steinkjer;02.05.2025 11:00;som i fjor;;;\n"
        "Snåsa;02.05.2025 12:00;20 (herav 5 enslige mindreårige);;Ja;\n"
        "Røyrvik;02.05.2025 13:00;ønsker ikke å bosette;Som før;Nei;\n",
        encoding="utf-8",
    )
    result = read_survey_export(path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    table = feedback_table(result)
    assert list(table.columns) == list(FEEDBACK_COLUMNS)
    assert list(table["kommunenummer"]) == ["5001", "5006", "5041", "5043", "5059"]
    t = table.set_index("kommunenummer")
    assert table["kommunenummer"].dtype == "str" and table["flagg"].dtype == "str"
    assert t["svart"].tolist() == [True, True, True, True, False]
    assert t.loc["5059", "flagg"] == "har ikke svart" and pd.isna(t.loc["5059", "kapasitet_maks"])
    # Declining wins over a stated number, and says so.
    assert (t.loc["5001", "kapasitet_min"], t.loc["5001", "kapasitet_maks"], t.loc["5001", "avslar"]) == (0, 0, True)
    assert "ønsker ikke å bosette, men oppgir kapasitet «30»" in t.loc["5001", "flagg"]
    assert "svarer nei til enslige mindreårige, men oppgir 5" in t.loc["5001", "flagg"]
    # «som i fjor» without last year's figure stays empty and flagged.
    assert pd.isna(t.loc["5006", "kapasitet_maks"])
    assert "fjorårets anmodning er ukjent" in t.loc["5006", "flagg"]
    # Minors counted inside the capacity text.
    assert (t.loc["5041", "kapasitet_maks"], t.loc["5041", "em_kapasitet"]) == (20, 5)
    assert (t.loc["5043", "avslar"], t.loc["5043", "kapasitet_maks"], t.loc["5043", "em_kapasitet"]) == (True, 0, 0)
    assert "men ønsket er «Som før»" in t.loc["5043", "flagg"]
    assert table["kapasitet_maks"].dtype == "Int64" and table["avslar"].dtype == "boolean"


def test_public_table_drops_contact_columns_and_scrubs_free_text():
    df = pd.DataFrame({
        "kommunenummer": ["5001", "5006"],
        "kommune": ["Trondheim", "Steinkjer"],
        "kapasitet_tekst": ["20-25 (ring 922 33 444)", "inntil 30"],
        "kommentar": ["Kontakt Kari Nordmann på +47 92233444 eller kari.nordmann@trondheim.kommune.no",
                      "Sentralbord 73 00 00 00; vedtak 14.05.2025; <b>fet</b> &amp; «sitat»"],
        "flagg": ["", ""],
        "kontaktperson": ["Kari Nordmann", pd.NA],
        "kontakt_epost": ["kari@example.com", pd.NA],
        "kontakt_telefon": ["922 33 444", pd.NA],
    }).astype("str")
    public = public_feedback_table(df)
    assert not {"kontaktperson", "kontakt_epost", "kontakt_telefon"} & set(public.columns)
    assert public.loc[0, "kapasitet_tekst"] == "20-25 (ring [kontaktinfo fjernet])"
    assert public.loc[0, "kommentar"] == "Kontakt [kontaktinfo fjernet] på [kontaktinfo fjernet] eller [kontaktinfo fjernet]"
    # Dates survive, and HTML is left exactly as written (the report escapes it).
    assert public.loc[1, "kommentar"] == "Sentralbord [kontaktinfo fjernet]; vedtak 14.05.2025; <b>fet</b> &amp; «sitat»"
    assert public.loc[1, "kapasitet_tekst"] == "inntil 30"
    assert df.loc[0, "kontaktperson"] == "Kari Nordmann"  # the input is not changed


# --- the bundled example ------------------------------------------------------------------------------------


EXAMPLE_DIR = PROJECT_ROOT / "data" / "raw" / example_feedback.FOLDER


def test_bundled_example_reads_cleanly():
    municipalities = example_feedback.county_municipalities()
    result = read_feedback_folder(EXAMPLE_DIR, year=YEAR, municipalities=municipalities)
    assert result.problems == []
    assert result.missing == list(example_feedback.NOT_ANSWERING)
    assert sorted(result.duplicates["kommunenummer"]) == ["5031", "5059"]
    assert len(result.answers) == 38 - len(example_feedback.NOT_ANSWERING)
    table = public_feedback_table(feedback_table(result))
    assert not table.map(lambda v: isinstance(v, str) and ("@" in v or "922 33 444" in v)).any().any()
    for path in EXAMPLE_DIR.glob("*.xlsx"):
        assert openpyxl.load_workbook(path)["Svar"]["F1"].value == "EKSEMPELDATA – ikke ekte svar"
    assert all("EKSEMPELDATA" in p.name for p in EXAMPLE_DIR.glob("*.csv"))


def test_bundled_example_regenerates_byte_identical(tmp_path):
    files = example_feedback.write_example(tmp_path)
    assert sorted(p.name for p in files) == sorted(p.name for p in EXAMPLE_DIR.iterdir())
    for path in files:
        assert path.read_bytes() == (EXAMPLE_DIR / path.name).read_bytes(), path.name


def test_example_manifest_rows_are_listed_once(tmp_path):
    manifest = tmp_path / example_feedback.EXAMPLE_MANIFEST
    shutil.copyfile(PROJECT_ROOT / "data" / "raw" / example_feedback.EXAMPLE_MANIFEST, manifest)
    before = manifest.read_bytes()
    rows = example_feedback.manifest_rows(sorted(EXAMPLE_DIR.iterdir()), PROJECT_ROOT / "data" / "raw")
    assert example_feedback.append_manifest(manifest, rows) == 0  # already listed in the bundled manifest
    assert manifest.read_bytes() == before
    listed = pd.read_csv(manifest, dtype=str)
    mine = listed.loc[listed["fil"].str.startswith("tilbakemeldinger/")]
    assert len(mine) == len(rows) and set(mine["datatype"]) == {"eksempel"}
    assert mine["beskrivelse"].str.startswith("EKSEMPELDATA").all()


# --- a form's identity, formulas and answers in the wrong cell (issue 15) -------------------------------------


def test_form_under_another_municipalitys_file_name_is_refused(tmp_path):
    paths = make_forms(tmp_path / "made", codes=["5001", "5006"])
    fill(paths["5006"], {CAPACITY: 12})
    # Steinkjer's answer saved under the file name the round gave Trondheim's form.
    renamed = tmp_path / "in" / paths["5001"].name
    renamed.parent.mkdir()
    shutil.copyfile(paths["5006"], renamed)
    result = read_returned_forms(renamed.parent, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.answers.empty
    assert problem_texts(result) == [(
        f"{renamed.name}, celle C6: forventet samme kommune i filnavnet (5001 Trondheim) og i cellen C6 (rett skjemaet "
        "eller filnavnet, eller be kommunen sende skjemaet på nytt), fant «5006 Steinkjer»")]


@pytest.mark.parametrize("name", ["Kopi av tilbakemelding_2026_5006_Steinkjer.xlsx",
                                  "tilbakemelding_2026_5006_Steinkjer (2).xlsx", "Svar fra Steinkjer.xlsx"])
def test_renamed_but_matching_file_names_are_read(tmp_path, name):
    path = make_forms(tmp_path / "made", codes=["5006"])["5006"]
    target = tmp_path / "in" / name
    target.parent.mkdir()
    fill(path, {CAPACITY: 12}, target=target)
    result = read_returned_forms(target.parent, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    assert list(result.answers["kommunenummer"]) == ["5006"]


def test_code_cell_contradicting_the_name_cell_is_refused(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    wb = openpyxl.load_workbook(path)
    wb["Svar"]["C6"] = "5041"  # someone typed over the locked code cell; the name still says Steinkjer
    wb.save(path)
    fill(path, {CAPACITY: 12})
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    texts = problem_texts(result)
    assert result.answers.empty
    assert any(t.startswith(f"{path.name}, celle C6: forventet samme kommune i filnavnet (5006 Steinkjer)") for t in texts)
    assert any(t.startswith(f"{path.name}, celle C7: forventet kommunenavnet for 5041 Snåsa (cellen C6)")
               and t.endswith("fant «Steinkjer»") for t in texts)


def test_name_cell_in_another_spelling_of_the_same_municipality_is_accepted(tmp_path):
    path = make_forms(tmp_path, codes=["5041"])["5041"]
    wb = openpyxl.load_workbook(path)
    wb["Svar"]["C7"] = "Snåase - Snåsa"
    wb.save(path)
    fill(path, {CAPACITY: 3})
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == [] and list(result.answers["kommunenummer"]) == ["5041"]


def test_formula_without_a_cached_value_is_flagged_not_dropped(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    # openpyxl, like many scripts and web tools, saves a formula without calculating it.
    fill(path, {CAPACITY: "=10+5", "Kommentar til antallet": "regnet ut"})
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    row = feedback_table(result).set_index("kommunenummer").loc["5006"]
    assert pd.isna(row["kapasitet_maks"]) and not row["avslar"]
    assert "formel uten utregnet verdi i C18 («=10+5»" in row["flagg"]


def test_only_a_formula_is_not_a_blank_form(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    fill(path, {CAPACITY: "=SUM(C12:E12)"})
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == [] and list(result.answers["kommunenummer"]) == ["5006"]
    assert "formel uten utregnet verdi i C18" in feedback_table(result).set_index("kommunenummer").loc["5006", "flagg"]


@pytest.mark.parametrize(("cell", "answer_cell"), [("D18", "C18"), ("E22", "C22"), ("C23", "C22"), ("C45", "C44"),
                                                    ("G19", "C19")])
def test_answer_in_the_wrong_cell_is_flagged_not_dropped(tmp_path, cell, answer_cell):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    wb = openpyxl.load_workbook(path)
    wb["Svar"][cell] = 17
    wb.save(path)
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == [], "a value typed beside the answer cells is not a blank form"
    flags = feedback_table(result).set_index("kommunenummer").loc["5006", "flagg"]
    assert f"svar i feil celle: {cell} har «17»" in flags and f"skal stå i {answer_cell}" in flags


def test_a_correctly_filled_form_has_no_wrong_cell_flags(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    fill(path, FULL_ANSWER)
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    flags = feedback_table(result).set_index("kommunenummer").loc["5006", "flagg"]
    assert "feil celle" not in flags and "formel" not in flags


def _edit_form_sheet(path: Path, edit) -> None:
    """Rewrite the «Svar» sheet's XML (what Excel or LibreOffice may save, but openpyxl cannot write)."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    rid = re.search(r'<sheet [^>]*name="Svar"[^>]*r:id="([^"]+)"', parts["xl/workbook.xml"].decode()).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"|<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"',
                       parts["xl/_rels/workbook.xml.rels"].decode())
    sheet = "xl/" + (target.group(1) or target.group(2)).removeprefix("/xl/").removeprefix("/")
    parts[sheet] = edit(parts[sheet].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_formula_with_a_cached_value_is_read_as_that_value(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    fill(path, {CAPACITY: 1, "Kommentar til antallet": "regnet ut"})
    # As Excel saves it: the formula and the value it calculated; also one beside the answer cells.
    _edit_form_sheet(path, lambda xml: re.sub(r'<c r="C18"[^>]*>.*?</c>', '<c r="C18"><f>10+5</f><v>15</v></c>', xml,
                                              count=1, flags=re.S)
                     .replace('<c r="F18"', '<c r="D18"><f>C18+2</f><v>17</v></c><c r="F18"', 1))
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    assert result.problems == []
    row = feedback_table(result).set_index("kommunenummer").loc["5006"]
    assert row["kapasitet_maks"] == 15 and "formel uten" not in row["flagg"]
    assert "svar i feil celle: D18 har «17»" in row["flagg"]


def test_a_value_hidden_by_merged_cells_is_not_read(tmp_path):
    path = make_forms(tmp_path, codes=["5006"])["5006"]
    fill(path, {CAPACITY: 12, "Kommentar til antallet": "synlig"})
    # LibreOffice can keep the text of the cells a merge hides; Excel shows (and reads) only the first cell.
    _edit_form_sheet(path, lambda xml: re.sub(r'(<row r="19"[^>]*>.*?)(</row>)',
                                              r'\1<c r="D19" t="inlineStr"><is><t>skjult</t></is></c>\2', xml,
                                              count=1, flags=re.S))
    result = read_returned_forms(tmp_path, year=YEAR, municipalities=MUNICIPALITIES)
    row = feedback_table(result).set_index("kommunenummer").loc["5006"]
    assert result.problems == [] and row["kapasitet_kommentar"] == "synlig"
    assert "skjult" not in str(row["flagg"])
