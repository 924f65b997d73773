"""What the analyst sees in the notebooks: Norwegian tables, «ingen» for nothing, each output stored once, and the
report's styles in Lab without the notebook-only cells reaching the report."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd

from bosetting_lib.formatting import NBSP
from bosetting_lib.outputs import notebook_view as vis
from bosetting_lib.outputs.export import NOTEBOOK_ONLY_TAG, notebook_to_report_html, report_css
from bosetting_lib.outputs.html import Html


def test_an_html_section_is_stored_once_with_a_short_text_beside_it():
    from IPython.core.interactiveshell import InteractiveShell

    section = Html("<p>" + "x" * 5000 + "</p>")
    data, _ = InteractiveShell.instance().display_formatter.format(section)
    assert data["text/html"] == str(section)
    assert data["text/plain"] == "<HTML>"  # not the whole section a second time


def test_tables_use_norwegian_numbers_full_text_and_no_index():
    frame = pd.DataFrame({"kommune": ["Trondheim", "Tydal"], "antall": [np.int64(1583), np.int64(-5)],
                          "andel": [0.3158, np.nan], "tekst": ["Etter folketall alene: 704; " * 4, "kort"]},
                         index=pd.Index(["5001", "5033"], name="kommunenummer"))
    html = vis.table(frame, {"kommunenummer": "Nr.", "kommune": "Kommune", "antall": "Antall", "andel": "Andel",
                             "tekst": "Begrunnelse"}, percent={"andel": 1})
    assert f"1{NBSP}583" in html and "\u22125" in html and f"31,6{NBSP}%" in html and ">–<" in html
    assert "Etter folketall alene: 704; " * 4 in html  # never cut to 50 characters
    assert "np.int64" not in html and html.count("<th ") == 5  # no index column besides the named code
    assert "5001" in html


def test_an_empty_table_says_so_in_words():
    empty = pd.DataFrame(columns=["kommunenummer", "flagg"])
    assert vis.table(empty, {"kommunenummer": "Nr.", "flagg": "Flagg"}, empty="Ingen flagg.") == "<p>Ingen flagg.</p>"
    assert vis.table(pd.DataFrame()) == "<p>Ingen.</p>"
    assert vis.bullets([], empty="Ingen merknader.") == "<p>Ingen merknader.</p>"


def test_the_reports_css_is_scoped_to_rendered_outputs_in_lab():
    css = vis.scoped_css(report_css())
    rules = re.findall(r"([^{}]+)\{[^{}]*\}", css)
    assert rules
    for selectors in rules:
        for selector in selectors.split(","):
            assert selector.strip().startswith(vis.LAB_SCOPES), selector
    assert "@media" not in css and "@page" not in css and "max-width: 68rem" not in css  # page layout left to Lab
    assert vis.lab_styles().startswith("<style>")


def test_cells_tagged_for_the_notebook_only_stay_out_of_the_report(tmp_path):
    nb = nbformat.v4.new_notebook()
    only = nbformat.v4.new_markdown_cell("Forklaring bare for analytikeren")
    only.metadata["tags"] = [NOTEBOOK_ONLY_TAG]
    shown = nbformat.v4.new_markdown_cell("Avsnitt i rapporten")
    nb.cells = [only, shown]
    path = tmp_path / "rapport.ipynb"
    nbformat.write(nb, path)
    html = notebook_to_report_html(path, "Test")
    assert "Avsnitt i rapporten" in html and "Forklaring bare for analytikeren" not in html
