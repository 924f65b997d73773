"""The reports as a browser shows and prints them: axe-core in headless Chromium, and print to PDF.

Needs Chromium, poppler-utils and axe-core (``make browser``); skips with a message when they are missing.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

import browser
from bosetting_lib.run.national import NATIONAL_FOLDER

# Table 1 on at most two landscape pages, the rest on A4 portrait: the Trøndelag report prints on about 30 pages
# (the two stacked per-municipality figures and the wide tables take most of them); 39 before the print CSS was fixed.
MAX_PRINT_PAGES = 34


def _require_browser() -> None:
    if browser.chromium() is None or not browser.AXE.is_file():
        pytest.skip("Chromium eller axe-core " + browser.MISSING)


@pytest.fixture(scope="module")
def pages(bundled_run, national_run):
    root = national_run[0]
    return {
        "Trøndelag": bundled_run.report,
        "Telemark": root / "out" / "2026" / "40" / "anbefaling.html",
        "hele landet": root / "out" / "2026" / NATIONAL_FOLDER / "oversikt.html",
    }


@pytest.mark.parametrize("viewport", sorted(browser.VIEWPORTS))
@pytest.mark.parametrize("page", ["Trøndelag", "Telemark", "hele landet"])
def test_axe_core_finds_no_violations(pages, page, viewport):
    _require_browser()
    violations = browser.axe_violations(pages[page], browser.VIEWPORTS[viewport])
    assert violations == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']} – {v['nodes'][:5]}" for v in violations)


@pytest.fixture(scope="module")
def printed(bundled_run, tmp_path_factory):
    _require_browser()
    pdf = browser.print_pdf(bundled_run.report, tmp_path_factory.mktemp("utskrift") / "rapport.pdf")
    return pdf, browser.pdf_info(pdf), browser.pdf_pages_text(pdf)


def test_print_is_a4_and_within_the_page_bound(printed):
    pdf, info, texts = printed
    pages = int(info["Pages"])
    assert len(texts) == pages
    assert 10 <= pages <= MAX_PRINT_PAGES, f"{pages} sider"
    # A4: 595 × 842 pt, portrait or landscape (pdfinfo gives the first page).
    width, height = map(float, re.findall(r"[\d.]+", info["Page size"])[:2])
    assert sorted((round(width), round(height))) == [595, 842], info["Page size"]


def test_no_printed_page_holds_only_a_heading(printed, bundled_run):
    _, _, texts = printed
    soup = BeautifulSoup(bundled_run.report.read_text(encoding="utf-8"), "html.parser")
    headings = {" ".join(h.get_text(" ").split()) for h in soup.find_all(["h1", "h2", "h3"])}
    for number, text in enumerate(texts, start=1):
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        assert lines, f"side {number} er tom"
        assert not all(line in headings for line in lines), f"side {number} har bare en overskrift: {lines}"


def test_table_1_prints_on_at_most_two_pages(printed, bundled_run):
    _, _, texts = printed
    soup = BeautifulSoup(bundled_run.report.read_text(encoding="utf-8"), "html.parser")
    rows = soup.find("table", id="tabell-anbefaling").tbody.find_all("tr")
    first, last = rows[0].th.get_text(strip=True), rows[-1].th.get_text(strip=True)
    caption = soup.find("table", id="tabell-anbefaling").caption.get_text(" ", strip=True)
    start = next(i for i, t in enumerate(texts) if " ".join(caption.split()[:4]) in " ".join(t.split()))
    end = next(i for i in range(start, len(texts)) if re.search(rf"\b{re.escape(last)}\b", texts[i]))
    assert re.search(rf"\b{re.escape(first)}\b", texts[start] + texts[min(start + 1, end)])
    assert end - start + 1 <= 2, f"tabell 1 går over {end - start + 1} sider"
