"""What leaves the county, checked as its readers get it: both workbooks opened with openpyxl, the explanation
column's arithmetic, key messages against the table, the report's metadata, the municipality information for IMDi."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from bosetting_lib.formatting import MINUS
from bosetting_lib.run.national import NATIONAL_FOLDER
from bosetting_lib.config.params import load_params
from bosetting_lib.errors import ParameterError

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"(?<!\d)(?:\+47\s?)?\d{2}\s?\d{2}\s?\d{2}\s?\d{2}(?!\d)")


def _sheet(path, name):
    return list(openpyxl.load_workbook(path)[name].iter_rows())


def _explanation_sums(texts: pd.Series) -> list[str]:
    """The explanations whose parts do not add up to their result."""
    bad = []
    for text in texts:
        t = text.replace(MINUS, "-").replace("\u00a0", "")
        # «Anmodet 2025: 355; nytt totaltall for fylket +34; …; resultat 398.» and then, maybe, why it is held or excepted
        m = re.match(r"Anmodet \d{4}: (\d+); (.*?)resultat (\d+)\.", t)
        assert m, text
        parts = sum(int(x) for x in re.findall(r"(?<![\w(])([+-]\d+)", m.group(2)))
        if int(m.group(1)) + parts != int(m.group(3)):
            bad.append(text)
    return bad


def test_the_explanation_parts_add_up_to_the_result(bundled_run, national_run):
    county = pd.read_csv(bundled_run.table, dtype={"kommunenummer": str})
    assert _explanation_sums(county["begrunnelse"]) == []
    national = pd.read_csv(national_run[0] / "out" / "2026" / NATIONAL_FOLDER / "anbefaling.csv", dtype=str)
    assert _explanation_sums(national["begrunnelse"]) == []


def test_county_workbook_is_made_for_people(bundled_run):
    path = bundled_run.output_dir / "anbefaling.xlsx"
    rows = _sheet(path, "Anbefaling")
    headers = [c.value for c in rows[0]]
    assert not [h for h in headers if "_" in h], "machine column names in the workbook"
    assert "Endring fra anmodet 2025" in headers and "Hvorfor (personer)" in headers
    assert not [h for h in headers if h.endswith("status")], "symbols belong in the figure's own cell"
    body = rows[1:-2]
    numbers = [c for r in body for c in r if isinstance(c.value, int)]
    assert numbers and {c.number_format for c in numbers} <= {"#,##0", "+#,##0;-#,##0;0"}
    change = headers.index("Endring fra anmodet 2025")
    assert {r[change].number_format for r in body} == {"+#,##0;-#,##0;0"}
    total = rows[-1]
    assert total[headers.index("Kommune")].value == "Sum" and total[headers.index("Anbefaling 2026")].value == 1583
    assert total[headers.index("Anbefaling 2026")].number_format == "#,##0" and total[1].font.b
    ws = openpyxl.load_workbook(path)["Anbefaling"]
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{len(body) + 1}"
    assert rows[0][0].font.name == "Calibri"
    assert ":" in [r[headers.index("Bosatte 2022")].value for r in body], "a suppressed count shows «:» in its cell"
    assert "-" in [r[headers.index("Vedtatt 2025")].value for r in body], "«-» (not asked) in the figure's own cell"
    method = {r[0].value: r[1].value for r in _sheet(path, "Metode")[1:]}
    assert method["Avsender"] == "Trøndelag fylkeskommune" and method["Status"].startswith("Utkast")
    assert method["Totaltall"] == 1583 and method["År"] == 2026
    assert method["Avrundingsmetode"] == "Sainte-Laguës metode"
    assert not [v for v in method.values() if isinstance(v, str) and re.search(r"\b[a-z]+_[a-z_]+\b", v)]


def test_county_workbook_has_the_municipality_information_for_imdi(bundled_run):
    path = bundled_run.output_dir / "anbefaling.xlsx"
    rows = [[c.value for c in r] for r in _sheet(path, "Kommuneinformasjon")]
    headers = rows[0]
    for wanted in ("Kapasitet og ønske", "Familiegjenforening", "Bolig", "Særlige behov kommunen kan ta imot",
                   "Kvalifiseringstilbud og resultater", "Interkommunalt samarbeid", "Behov for arbeidskraft",
                   "Videregående tilbud (fylket)", "Fylkets kunnskap om kommunen", "Data"):
        assert wanted in headers
    body = [dict(zip(headers, r)) for r in rows[1:]]
    assert len(body) == 38
    trondheim = next(r for r in body if r["Kommunenummer"] == "5001")
    assert "Kapasitet: 400" in trondheim["Kapasitet og ønske"] and "Inntil 30." in trondheim["Enslige mindreårige"]
    assert "Eksempelskole Trondheim" in trondheim["Videregående tilbud (fylket)"]
    assert trondheim["Data"].startswith("EKSEMPELDATA")
    assert "ikke spurt" in trondheim["Bolig"], "version-1 answers say the question was not asked"
    text = " ".join(str(v) for r in rows[1:] for v in r if v)
    assert not EMAIL.search(text) and not PHONE.search(text), "contact details reached the sheet"
    plan = {r[0].value: r[1].value for r in _sheet(path, "Fylkets plan")[1:]}
    assert "EKSEMPELDATA" in plan["Regional plan for kvalifisering"] and plan["Dato"] == "1. mars 2025"
    assert plan["Hovedtiltak 1"]


def test_national_workbook_is_made_for_people(national_run):
    path = national_run[0] / "out" / "2026" / NATIONAL_FOLDER / "anbefaling.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Anbefaling", "Fylker", "Referansenøkler", "Metode", "Kilder"]
    csv = pd.read_csv(path.with_suffix(".csv"), dtype={"kommunenummer": str})
    for name in ("Anbefaling", "Fylker", "Referansenøkler"):
        headers = [c.value for c in next(wb[name].iter_rows())]
        assert not [h for h in headers if "_" in h or h in ("null", "continuity", "population")], (name, headers)
    rows = list(wb["Anbefaling"].iter_rows())
    headers = [c.value for c in rows[0]]
    body, total = rows[1:-2], rows[-1]
    assert len(body) == len(csv) == 1 + 17 + 18
    column = headers.index("Anbefaling 2026")
    assert [r[column].value for r in body] == csv["anbefaling"].tolist()
    assert {r[column].number_format for r in body} == {"#,##0"}
    assert total[headers.index("Kommune")].value == "Sum" and total[column].value == 600 + 559 + 416
    assert wb["Anbefaling"].auto_filter.ref
    counties = list(wb["Fylker"].iter_rows(values_only=True))
    c_headers = counties[0]
    assert "Anmodet 2025" in c_headers and "Anbefalt 0" in c_headers
    assert counties[-1][1] == "Sum" and counties[-1][c_headers.index("Anbefaling 2026")] == 1575
    method = {r[0]: r[1] for r in list(wb["Metode"].iter_rows(values_only=True))[1:]}
    assert method["Personer i alt"] == 1575 and method["Fylker"] == 3
    assert len(list(wb["Kilder"].iter_rows())) > 5


def test_national_overview_links_each_county_report(national_run):
    html = (national_run[0] / "out" / "2026" / NATIONAL_FOLDER / "oversikt.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert links == [f"../{c}/anbefaling.html" for c in ("03", "40", "56")]
    for link in links:
        assert (national_run[0] / "out" / "2026" / NATIONAL_FOLDER / link).resolve().is_file()
    assert "Anbefalt 1–9" not in soup.select_one(".nokkeltall").get_text()


@pytest.fixture(scope="module")
def soup(bundled_run):
    return BeautifulSoup(bundled_run.report.read_text(encoding="utf-8"), "html.parser")


def test_first_screen_says_who_when_and_how_final_and_links_to_the_table(soup):
    meta = {dt.get_text(strip=True): dd.get_text(strip=True) for dt, dd in
            zip(soup.select(".metadata dt"), soup.select(".metadata dd"))}
    assert meta["Avsender"] == "Trøndelag fylkeskommune"
    assert meta["Status"].startswith("Utkast")
    assert re.fullmatch(r"\d{1,2}\. \w+ \d{4}", meta["Datagrunnlag per"])
    assert soup.select_one("p.ingress a[href='#anbefaling']") is not None


def test_every_scroll_box_can_be_reached_by_keyboard(soup):
    boxes = soup.select(".tabellboks, .figurboks")
    assert boxes
    for box in boxes:
        assert box.get("tabindex") == "0" and box.get("role") == "region" and box.get("aria-label")


def test_key_messages_agree_with_the_table(soup, bundled_run):
    table = pd.read_csv(bundled_run.table, dtype={"kommunenummer": str}).set_index("kommune")["anbefaling"]
    text = " ".join(li.get_text(" ", strip=True) for li in soup.find(id="viktigste").find_next("ul").find_all("li"))
    assert not re.search(r"\b1 kommuner\b", text)
    for sentence in re.split(r"(?<=\.)\s", text):
        if "får kommunen 0" in sentence or "får de 0" in sentence:
            names = re.split(r", | og ", sentence.split(" ligger på grensen")[0].split(". ")[-1])
            assert all(table[n] > 0 for n in names), sentence
        if "anbefales 0, men ligger på grensen" in sentence:
            names = re.split(r", | og ", sentence.split(" anbefales 0")[0].split(". ")[-1])
            assert all(table[n] == 0 for n in names), sentence


def test_municipality_information_section_has_a_card_per_municipality(soup):
    section = soup.find(id="kommuneinformasjon")
    assert section is not None
    cards = soup.select("section.profil h3")
    assert len(cards) == 38
    assert "EKSEMPELDATA" in soup.select_one(".eksempelmerknad").get_text()
    assert soup.find(id="kvalifiseringsplan") is not None


def test_report_status_is_validated(params_copy):
    text = params_copy.read_text(encoding="utf-8")
    params_copy.write_text(text.replace("  status: utkast ", "  status: ferdig "), encoding="utf-8")
    with pytest.raises(ParameterError, match="rapport.status"):
        load_params(params_copy)
    params_copy.write_text(text.replace("  status: utkast ", "  status: endelig "), encoding="utf-8")
    with pytest.raises(ParameterError, match="rapport.dato"):
        load_params(params_copy)
    params_copy.write_text(text.replace("  status: utkast ", "  status: endelig ").replace("  dato: null ", "  dato: 2026-05-20 "),
                           encoding="utf-8")
    params = load_params(params_copy)
    assert params.rapport_status == "endelig" and str(params.rapport_dato) == "2026-05-20"
