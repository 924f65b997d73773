"""What the shared outputs must never show: scripts from free text, contact details, small counts of settled persons.

One run on a copy of the bundled data with two planted changes:

* a second survey export in ``tilbakemeldinger/2026/`` (registered in the copy's manifest as example data, like the
  bundled one) whose answers contain HTML that would run in a browser, e-mail addresses, Norwegian phone numbers
  and the contact person's name in the free text;
* IMDi's 2025 table with Frøya's settled persons changed from 15 to 3, a count that must be shown as «:».
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bosetting_lib.config.paths import PROJECT_ROOT

EXPORT_NAME = "skjema_eksport_personvern_EKSEMPELDATA.csv"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EMAILS = ("ola.nordmann@osen.kommune.no", "kari.fjell@leka.kommune.no", "postmottak(at)osen.kommune.no")
PHONES = ("922 33 444", "+47 92233444", "41 22 33 44")
NAMES = ("Ola Nordmann", "Kari Fjell")
EMAIL = re.compile(r"[\w.+-]+(?:@|\s*\(at\)\s*)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
SUPPRESSED_MUNICIPALITY = "Frøya"


def _plant(data_dir: Path) -> None:
    raw = data_dir / "raw"
    bundled = raw / "tilbakemeldinger" / "2026" / "skjema_eksport_EKSEMPELDATA.csv"
    header = next(csv.reader(io.StringIO(bundled.read_text(encoding="utf-8-sig")), delimiter=";"))
    rows = [
        {"ID": "101", "Starttidspunkt": "12.05.2025 09:00:00", "Fullføringstidspunkt": "12.05.2025 09:10:00",
         "E-post": EMAILS[0], "Navn": NAMES[0], "Kommune": "Osen",
         "Hvor mange flyktninger kan kommunen bosette i 2026?": f"10, ring {PHONES[0]}",
         "Kan kommunen bosette enslige mindreårige?": "Nei",
         "Hvordan ønsker kommunen å bosette i 2026, sammenlignet med tidligere år?": "Som før",
         "Har kommunen interkommunalt samarbeid om kvalifisering/integrering?": "Ja",
         "Hvilke kommuner samarbeider dere med?": "Namsos;",
         "Hvilke opplærings- og kvalifiseringstilbud har kommunen, og hvilke resultater kan dere vise til?":
             f"{SCRIPT} Norskopplæring. Kontakt {EMAILS[0]} eller {PHONES[1]}, spør etter {NAMES[0]}.",
         "Hvilke yrker eller hvilken kompetanse har kommunen særlig behov for?": f"{IMG} Helse, skriv til {EMAILS[2]}",
         "Andre kommentarer": f"{SCRIPT} {NAMES[0]} {PHONES[0]}"},
        {"ID": "102", "Starttidspunkt": "13.05.2025 10:00:00", "Fullføringstidspunkt": "13.05.2025 10:05:00",
         "E-post": EMAILS[1], "Navn": NAMES[1], "Kommune": "Leka",
         "Hvor mange flyktninger kan kommunen bosette i 2026?": f"10 (spør {NAMES[1]}, tlf {PHONES[2]})",
         "Kan kommunen bosette enslige mindreårige?": "Nei",
         "Hvordan ønsker kommunen å bosette i 2026, sammenlignet med tidligere år?": "Som før",
         "Har kommunen interkommunalt samarbeid om kvalifisering/integrering?": "Nei",
         "Hvilke opplærings- og kvalifiseringstilbud har kommunen, og hvilke resultater kan dere vise til?":
             f"Kontakt {NAMES[1]} på {EMAILS[1]}",
         "Hvilke yrker eller hvilken kompetanse har kommunen særlig behov for?": "Havbruk",
         "Andre kommentarer": ""},
    ]
    assert all(set(r) <= set(header) for r in rows), "the planted export must use the bundled export's columns"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (bundled.parent / EXPORT_NAME).write_text(out.getvalue(), encoding="utf-8-sig")

    with (raw / "manifest.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            [f"tilbakemeldinger/2026/{EXPORT_NAME}", "eksempel", "Testdata (ikke ekte svar)", "MIT", "2025-05-14",
             "EKSEMPELDATA – to svar med skript, e-post og telefon i fritekst, for personverntesten."])

    imdi = raw / "imdi" / "nokkeltall_bosetting_2025_trondelag.csv"
    text = imdi.read_text(encoding="utf-8-sig")
    assert "\nFrøya;15;20;15;:\n" in text
    imdi.write_text(text.replace("\nFrøya;15;20;15;:\n", "\nFrøya;15;20;3;:\n"), encoding="utf-8-sig")


@pytest.fixture(scope="module")
def planted_run(run_on_copy, tmp_path_factory):
    return run_on_copy(tmp_path_factory.mktemp("personvern"), prepare=_plant)


@pytest.fixture(scope="module")
def report(planted_run):
    html = planted_run.report.read_text(encoding="utf-8")
    return html, BeautifulSoup(html, "html.parser")


def _visible_text(soup: BeautifulSoup) -> str:
    copy = BeautifulSoup(str(soup), "html.parser")
    for tag in copy.find_all(["style", "title"]):
        tag.decompose()
    return copy.get_text(" ")


def _digits_only(text: str) -> str:
    return re.sub(r"[^\d+]", "", text)


def test_planted_answers_reach_the_report(report):
    _, soup = report
    profiles = {h.get_text(strip=True) for h in soup.select("section.profil h3")}
    assert {"Osen", "Leka"} <= profiles, "the planted answers were not read"


def test_html_from_free_text_is_shown_as_text_not_run(report):
    html, soup = report
    assert "<script" not in html.lower()
    assert soup.find_all("script") == []
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.IGNORECASE), "an event-handler attribute in the HTML"
    for tag in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in tag.attrs), f"event handler on <{tag.name}>"
        if tag.name == "img":
            assert tag["src"].startswith("data:image/png;base64,")
    # The text itself is visible, escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    text = _visible_text(soup)
    assert SCRIPT in text and IMG in text


def test_no_contact_details_in_the_report(report):
    html, soup = report
    text = _visible_text(soup)
    attributes = " ".join(str(v) for tag in soup.find_all(True) for k, v in tag.attrs.items() if k != "src")
    for where in (text, attributes):
        assert EMAIL.findall(where) == []
        squeezed = _digits_only(where)
        for phone in PHONES:
            assert _digits_only(phone).lstrip("+") not in squeezed, f"phone number {phone} in the report"
        assert "+47" not in where
        for name in NAMES:
            assert name not in where and name.split()[-1] not in where, f"contact person {name} in the report"
    assert "[kontaktinfo fjernet]" in text


def _output_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                texts.update({f"{name}:{part}": z.read(part).decode("utf-8") for part in z.namelist()})
        else:
            texts[name] = path.read_text(encoding="utf-8")
    return texts


def test_no_contact_details_or_scripts_in_any_shared_output(planted_run):
    """The CSV, the Excel file, the manifest and the executed notebooks (and their HTML) go out with the report."""
    for name, text in _output_texts(planted_run.output_dir).items():
        for email in EMAILS:
            assert email not in text, f"{email} in {name}"
        squeezed = _digits_only(text)
        for phone in PHONES[:2]:
            assert _digits_only(phone).lstrip("+") not in squeezed, f"{phone} in {name}"
        if name.endswith(".html"):
            assert "<script" not in text.lower(), f"a script tag in {name}"
            assert not re.search(r"<[a-z][^>]*\son\w+\s*=", text, re.IGNORECASE), f"an event handler in {name}"


# ----------------------------------------------------------------------------------------------------------------
# Suppression of small counts of settled persons


def _tables_with_settled_persons(soup: BeautifulSoup):
    for table in soup.find_all("table"):
        headers = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")]
        for index, header in enumerate(headers):
            if "bosatt" in header.lower():
                yield table, index, header


def test_settled_count_of_three_is_shown_as_colon(report):
    _, soup = report
    table = soup.find("table", id="tabell-historikk")
    headers = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")]
    column, name_column = headers.index("Bosatte 2025"), headers.index("Kommune")
    rows = {cells[name_column]: cells for cells in
            ([c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.tbody.find_all("tr"))}
    assert rows[SUPPRESSED_MUNICIPALITY][column] == ":"
    assert rows["Trondheim"][column] == "359", "unsuppressed counts are still shown"


def test_no_report_table_shows_one_to_four_settled_persons(report):
    _, soup = report
    found = list(_tables_with_settled_persons(soup))
    assert found, "no table with settled persons: the check below would prove nothing"
    for table, index, header in found:
        for tr in table.tbody.find_all("tr"):
            cell = tr.find_all(["th", "td"])[index].get_text(strip=True)
            assert cell not in {"1", "2", "3", "4"}, f"{header}: {cell} settled persons shown in {table.get('id')}"
    assert "«:» betyr at tallet er skjult" in soup.get_text(" ")


def test_figures_do_not_show_settled_persons(planted_run):
    """The figures show recommendations, requests, criterion contributions and ranges of recommendations: numbers of
    persons to be asked for, not persons settled, so the 1–4 rule does not apply to them. This checks that claim:
    every figure is drawn the same when all settled-person counts are changed to 1, so no figure prints them."""
    from bosetting_lib.outputs import report as rep
    from bosetting_lib.steps.context import RunContext

    run = RunContext.from_notebook(2026, None, str(planted_run.processed_dir.parent.parent), str(planted_run.processed_dir))
    data = rep.load_report_data(run)
    settled = [c for c in data.table.columns if c.startswith("bosatte_") and not c.endswith("_status")]
    assert settled
    changed = dataclasses.replace(data, table=data.table.assign(**{c: 1 for c in settled}))
    figures = (rep.figure_against_last_year, rep.figure_contributions, rep.figure_map, rep.sensitivity_section)
    for draw in figures:
        original, with_small_counts = str(draw(data)), str(draw(changed))
        assert "<figure" in original
        assert original == with_small_counts, f"{draw.__name__} depends on the numbers of settled persons"
        criterion_names = [c.navn.lower() for c in run.params.kriterier]  # e.g. "bosatt andel av vedtaket" is a rate
        for caption in BeautifulSoup(original, "html.parser").find_all(["figcaption", "img"]):
            text = (caption.get("alt", "") + caption.get_text(" ")).lower()
            for name in criterion_names:
                text = text.replace(name, "")
            assert "bosatt" not in text, f"{draw.__name__} describes settled persons"
    # The numbers printed in the figures are recommendations: 0 or at least the minimum, never 1–4 either.
    assert data.table["anbefaling"].map(lambda n: n == 0 or n >= run.params.minstetall).all()


def test_data_folder_of_the_project_is_not_touched(planted_run):
    assert not (PROJECT_ROOT / "data" / "raw" / "tilbakemeldinger" / "2026" / EXPORT_NAME).exists()


# ----------------------------------------------------------------------------------------------------------------
# Text written to Excel is never a formula (unit tests; no pipeline run)

FORMULA_LIKE = ("=HYPERLINK(\"http://x\",\"klikk\")", "=1+1", "+47 922", "-5 fra i fjor", "@SUM(A1)", "=cmd|' /C calc'!A0")


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def _assert_text_not_formula(path: Path, texts) -> None:
    import openpyxl

    assert "<f>" not in _sheet_xml(path) and "<f " not in _sheet_xml(path), f"a formula in {path.name}"
    wb = openpyxl.load_workbook(path)  # formulas as written, not calculated values
    found = {c.value: c.data_type for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in texts}
    assert set(found) == set(texts), f"not written as written: {set(texts) - set(found)}"
    assert set(found.values()) == {"s"}


def test_text_starting_like_a_formula_is_stored_as_text_in_the_workbook_for_imdi(tmp_path):
    import pandas as pd

    from openpyxl import Workbook

    from bosetting_lib.outputs.excel import _write_sheet, write_recommendation_workbook
    from bosetting_lib.xlsx import save_workbook
    from bosetting_lib.config.params import load_params

    table = pd.DataFrame({"kommunenummer": ["5001"] * len(FORMULA_LIKE), "kommune": ["Trondheim"] * len(FORMULA_LIKE),
                          "anbefaling": [10] * len(FORMULA_LIKE), "begrunnelse": list(FORMULA_LIKE)})
    sources = pd.DataFrame({"fil": ["=a.csv"], "datatype": ["ekte"], "kilde": ["@imdi"], "lisens": ["NLOD"],
                            "referansedato": ["2025-01-01"]})
    path = tmp_path / "anbefaling.xlsx"
    write_recommendation_workbook(path, load_params(year=2026), table, {c: c for c in table.columns},
                                  [("=Parameter", "=verdi")], sources)
    _assert_text_not_formula(path, set(FORMULA_LIKE) | {"=a.csv", "@imdi", "=Parameter", "=verdi"})

    plain = tmp_path / "nasjonalt.xlsx"
    wb = Workbook()
    _write_sheet(wb.active, table, list(table.columns))  # the sheet writer the national workbook uses too
    save_workbook(wb, plain)
    _assert_text_not_formula(plain, set(FORMULA_LIKE))


def test_feedback_form_with_a_formula_like_name_or_note_stores_text(tmp_path):
    import datetime as dt

    import pandas as pd

    from bosetting_lib.feedback.form import write_forms

    municipalities = pd.DataFrame({"kommunenummer": ["5001", "5006"], "kommune": ["=Trondheim", "Steinkjer"]})
    paths = write_forms(municipalities, None, year=2026, county_name="=1+1", deadline=dt.date(2025, 5, 14),
                        out_dir=tmp_path, note="=HYPERLINK(\"x\")", contact="@kontakt")
    _assert_text_not_formula(paths[0], {"=Trondheim", "=HYPERLINK(\"x\")"})
