"""The shareable report as a reader gets it: one run on a copy of the bundled data, the HTML parsed and checked.

What is checked is what a county council needs before sending the file on: the numbers (one row per municipality,
the county total, the same as the CSV and the Excel file), accessibility (lang, alt text, captions, header cells,
heading order), that the file works offline and alone (no external references, no scripts), that no code shows,
that example data is announced, the Norwegian number format and the size.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pandas as pd
import pytest

import browser
from bs4 import BeautifulSoup

from bosetting_lib.formatting import MINUS, NBSP
from bosetting_lib.outputs.figures import series_style

TOTAL = 1583
MUNICIPALITIES = 38
MAX_BYTES = 3 * 1024 * 1024
# A whole number, a decimal or a percentage written the Norwegian way: 1 583 (non-breaking space), 12,5, 12,5 %,
# +12 and −5 (real minus sign); «:», «–» and «-» are the symbols for hidden, missing and not applicable.
NORWEGIAN_NUMBER = re.compile(
    rf"^[+{MINUS}]?\d{{1,3}}(?:{NBSP}\d{{3}})*(?:,\d+)?(?:{NBSP}%)?$|^[:–-]$"
)
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
URL_ATTRIBUTES = ("src", "href", "srcset", "action", "data", "poster", "formaction", "xlink:href", "background")


def parse_nb_int(text: str) -> int:
    """'1 583' (non-breaking space) or '−5' -> int."""
    return int(text.strip().replace(NBSP, "").replace(" ", "").replace(MINUS, "-"))


@pytest.fixture(scope="module")
def report(bundled_run):
    html = bundled_run.report.read_text(encoding="utf-8")
    return html, BeautifulSoup(html, "html.parser")


def visible_text(soup: BeautifulSoup) -> str:
    """The text a reader sees: everything but the stylesheet and the title."""
    copy = BeautifulSoup(str(soup), "html.parser")
    for tag in copy.find_all(["style", "title", "script"]):
        tag.decompose()
    return copy.get_text(" ")


def _recommendation_rows(soup: BeautifulSoup) -> tuple[list[str], list[list]]:
    table = soup.find("table", id="tabell-anbefaling")
    assert table is not None, "the recommendation table (id tabell-anbefaling) is missing"
    headers = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")]
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.tbody.find_all("tr")]
    return headers, rows


def test_document_language_is_norwegian_bokmaal(report):
    html, soup = report
    assert '<html lang="nb">' in html
    assert soup.html.get("lang") == "nb"
    assert soup.find("meta", charset=True) is not None


def test_recommendation_table_has_every_municipality_and_sums_to_the_county_total(report, bundled_run):
    _, soup = report
    headers, rows = _recommendation_rows(soup)
    assert len(rows) == MUNICIPALITIES
    column = headers.index("Anbefaling 2026")
    name_column = headers.index("Kommune")
    shown = {row[name_column]: parse_nb_int(row[column]) for row in rows}
    assert sum(shown.values()) == TOTAL
    csv = pd.read_csv(bundled_run.table, dtype={"kommunenummer": str})
    assert shown == dict(zip(csv["kommune"], csv["anbefaling"].astype(int), strict=True))
    number_column = headers.index("Nr.")
    assert [row[number_column] for row in rows] == sorted(csv["kommunenummer"]), "rows in municipality-number order"
    foot = soup.find("table", id="tabell-anbefaling").tfoot.find_all(["th", "td"])
    assert parse_nb_int(foot[column].get_text()) == TOTAL


def test_every_image_has_alt_text_inside_a_captioned_figure(report):
    _, soup = report
    images = soup.find_all("img")
    assert len(images) >= 3
    for img in images:
        assert img.get("alt", "").strip(), f"image without alt text: {str(img)[:120]}"
        figure = img.find_parent("figure")
        assert figure is not None, f"image outside <figure>: alt={img['alt'][:60]!r}"
        caption = figure.find("figcaption")
        assert caption is not None and caption.get_text(strip=True), f"figure without caption: {figure.get('id')}"
        assert img["src"].startswith("data:image/png;base64,")


def test_no_two_series_in_a_figure_share_colour_and_hatch():
    """The contributions figure has one series per part of the model (eight in 2026, more with more criteria); two
    that look alike would let a reader take one part for another."""
    styles = [series_style(i) for i in range(64)]
    assert len(set(styles)) == len(styles)
    assert len({colour for colour, _ in styles[:8]}) == 8  # the first eight differ by colour as well


def test_every_table_has_a_caption_and_scoped_header_cells(report):
    _, soup = report
    tables = soup.find_all("table")
    assert len(tables) >= 5
    for table in tables:
        caption = table.find("caption")
        assert caption is not None and caption.get_text(strip=True), f"table without caption: {table.get('id')}"
        assert table.find("thead") is not None, f"table without header row: {table.get('id')}"
        header_cells = table.find_all("th")
        assert header_cells, f"table without header cells: {table.get('id')}"
        for th in header_cells:
            assert th.get("scope") in ("col", "row", "colgroup", "rowgroup"), f"th without scope in {table.get('id')}: {th}"
        for tr in table.tbody.find_all("tr"):
            assert tr.find("th", scope="row") is not None, f"body row without a row header in {table.get('id')}"


def test_headings_are_in_order_with_exactly_one_h1(report):
    _, soup = report
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels.count(1) == 1
    assert levels[0] == 1, "the first heading must be the h1"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"heading level skipped: h{before} followed by h{after}"


def test_internal_links_point_to_existing_anchors(report):
    _, soup = report
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    assert len(ids) == len(soup.find_all(id=True)), "duplicate ids"
    for a in soup.find_all("a", href=True):
        if a["href"].startswith("#"):
            assert a["href"][1:] in ids, f"link to a missing anchor: {a['href']}"


def _external_references(html: str, soup: BeautifulSoup) -> list[str]:
    found = [m.group(0) for m in re.finditer(r"https?://[^\s\"'<>)]*", html)]
    for tag in soup.find_all(True):
        for attribute in URL_ATTRIBUTES:
            value = tag.get(attribute)
            if isinstance(value, str) and EXTERNAL.match(value):
                found.append(f"<{tag.name} {attribute}={value[:80]}>")
    found += [f"<script {s.attrs}>" for s in soup.find_all("script")]
    found += [f"<link {link.attrs}>" for link in soup.find_all("link")]
    found += [f"<iframe {f.attrs}>" for f in soup.find_all(["iframe", "embed", "object"])]
    found += [m.group(0) for m in re.finditer(r"@import[^;]*|url\(\s*['\"]?(?!data:|#)[^)]*\)", html)]
    return found


def test_no_external_references_or_scripts(report):
    html, soup = report
    assert _external_references(html, soup) == []
    assert "<script" not in html.lower()


def test_no_code_or_prompts(report):
    html, soup = report
    for style in soup.find_all("style"):
        style.decompose()
    rest = str(soup)
    for leak in ("In [", "In&nbsp;[", "In\u00a0[", "Out[", "jp-InputPrompt", "jp-OutputPrompt", "jp-CodeCell",
                 "import ", "report.", "RunContext", "def ", "data = ", "<pre", "<code>from", "Traceback"):
        assert leak not in rest, f"code or a prompt leaked into the report: {leak!r}"


def test_example_data_banner_names_the_feedback_folder(report):
    _, soup = report
    banner = soup.find("div", class_="banner")
    assert banner is not None, "the example-data banner is missing"
    text = banner.get_text(" ", strip=True)
    assert "eksempeldata" in text.lower()
    assert "tilbakemeldinger/2026" in text
    # It comes before the table, on the first screens, not only in the source list at the end.
    assert banner.find_next("table", id="tabell-anbefaling") is not None


def test_numbers_use_the_norwegian_format(report):
    html, soup = report
    assert f"1{NBSP}583" in html
    text = visible_text(soup)
    assert "1583" not in text, "the county total written without a thousands separator"
    assert re.search(rf"\d(?:,\d+)?{NBSP}%", text), "no percentage written as '12,5 %'"
    assert not re.search(r"\d%", text), "a percentage without a space before %"
    assert not re.search(r"\d \%", text), "a percentage with an ordinary (breaking) space before %"
    assert not re.search(r"\d\.\d+\s*%", text), "a percentage with a decimal point"
    # No decimal points anywhere (1.1.2025 is a date and «NLOD 2.0», «CC BY 4.0» are licence names, not numbers).
    numbers = re.sub(r"(?:NLOD|CC BY(?:-SA)?) \d\.\d", "", text)
    assert re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", numbers) == [], "a number with a decimal point"
    cells = soup.select("td.tall") + soup.select(".nokkeltall strong")
    assert len(cells) > 500
    for cell in cells:
        value = cell.get_text(strip=True)
        for suffix in (" personer", f"{NBSP}personer"):
            value = value.removesuffix(suffix)
        if " av " in value:  # «35 av 38»
            parts = value.split(" av ")
        else:
            parts = [value]
        for part in parts:
            if re.search(r"\d", part):
                assert NORWEGIAN_NUMBER.match(part), f"number not in Norwegian format: {part!r}"


def test_file_is_small_enough_to_email(bundled_run):
    assert bundled_run.report.stat().st_size < MAX_BYTES


def test_first_screen_says_the_total_and_that_it_is_a_recommendation(report):
    _, soup = report
    h1 = soup.h1.get_text(" ", strip=True)
    assert "Anbefaling" in h1 and "2026" in h1
    lead = soup.find("p", class_="ingress")
    assert lead is not None and lead.find_previous("h1") is soup.h1
    lead_text = lead.get_text(" ", strip=True)
    assert "anbefaler" in lead_text and f"1{NBSP}583" in lead_text
    key_figures = soup.find("ul", class_="nokkeltall")
    assert key_figures is not None
    assert f"1{NBSP}583" in key_figures.get_text(" ", strip=True)
    assert "anbefaling" in key_figures.get_text(" ", strip=True).lower()
    # h1, lead and key figures are the first things in the document.
    first = [t for t in soup.main.find_all(["h1", "h2", "p", "ul", "table", "figure"], recursive=True)][:3]
    assert first[0] is soup.h1 and first[1] is lead and first[2] is key_figures


def test_excel_file_has_the_three_sheets_and_the_same_numbers(bundled_run):
    import openpyxl

    wb = openpyxl.load_workbook(bundled_run.output_dir / "anbefaling.xlsx", read_only=True)
    assert wb.sheetnames == ["Anbefaling", "Kommuneinformasjon", "Fylkets plan", "Metode", "Kilder"]
    rows = list(wb["Anbefaling"].iter_rows(values_only=True))
    header = list(rows[0])
    body, total = rows[1:-2], rows[-1]  # an empty row separates the Sum row from the data (and its filter)
    assert all(v is None for v in rows[-2])
    assert len(body) == MUNICIPALITIES
    column = header.index("Anbefaling 2026")
    assert sum(r[column] for r in body) == TOTAL
    assert "Sum" in total and total[column] == TOTAL
    assert all(isinstance(r[0], str) and re.fullmatch(r"\d{4}", r[0]) for r in body), "codes as four-digit text"
    csv = pd.read_csv(bundled_run.table, dtype={"kommunenummer": str})
    assert [r[column] for r in body] == csv["anbefaling"].tolist()
    method = [str(v) for row in wb["Metode"].iter_rows(values_only=True) for v in row if v is not None]
    assert len(method) > 10
    assert not [v for v in method if re.search(r"\d ?%", v)], "percentages in the Metode sheet as '30 %' (NBSP)"
    assert len(list(wb["Kilder"].iter_rows())) > 5
    wb.close()


def test_notebook_html_exports_sit_beside_the_notebooks_and_are_offline(bundled_run):
    notebooks = sorted((bundled_run.output_dir / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 4
    for notebook in notebooks:
        export = notebook.with_suffix(".html")
        assert export.is_file(), f"{export.name} is missing"
        html = export.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert soup.html.get("lang") == "nb"
        assert _external_references(html, soup) == [], f"{export.name} refers to something outside the file"


# ----------------------------------------------------------------------------------------------------------------
# The report as a reader sees it: rendered by a real browser.

SCREEN = (1280, 900)


def screenshot_command(chromium: str, page: Path, png: Path, profile: Path, size: tuple[int, int] = SCREEN) -> list[str]:
    """Chromium headless, offline and without a user profile, writing one screenshot of the first screen."""
    return [*browser.base_command(chromium, profile, size), f"--screenshot={png}", page.as_uri()]


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the (filtered) pixel rows of an 8-bit, non-interlaced PNG; checks signature and CRCs."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and interlace == 0
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 1 + width * channels
    assert len(pixels) == stride * height, "pixel data does not match the image size"
    return width, height, [pixels[i:i + stride] for i in range(0, len(pixels), stride)]


def test_report_renders_in_a_browser(bundled_run, tmp_path):
    chromium = browser.chromium()
    if chromium is None:
        pytest.skip("Chromium er ikke installert: installer det med «apt-get install chromium» (Debian/Ubuntu) "
                    "eller sett CHROMIUM til nettleserens sti, så tas et skjermbilde av rapporten")
    png = tmp_path / "rapport.png"
    done = subprocess.run(screenshot_command(chromium, bundled_run.report, png, tmp_path / "profil"),
                          capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    width, height, rows = read_png(png)
    assert (width, height) == SCREEN
    # A blank page is one row repeated; the report's first screen (title, text, key figures) has many different rows.
    assert len(set(rows)) > 100, "the screenshot is (nearly) blank"
    assert png.stat().st_size > 20_000
