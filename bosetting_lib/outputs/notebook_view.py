"""Tables and short texts as the analyst sees them in the notebooks: Norwegian numbers, full-width text, no index.

Every function returns :class:`~bosetting_lib.outputs.html.Html`, which JupyterLab shows as HTML and an executed
notebook stores once (with a short text beside it, never a second copy). An empty table says «ingen» in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent, norwegian_text
from bosetting_lib.outputs.html import Html, esc

# Lab right-aligns and narrows table cells; text columns are set back to normal, full-width text.
_TEXT_CELL = ' style="text-align:left; white-space:normal; min-width:12rem; max-width:48rem"'
_NUMBER_CELL = ' style="text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums"'
_NAME_CELL = ' style="text-align:left; white-space:nowrap"'


def _cell(value: object, column: str, *, percent: Mapping[str, int], decimals: Mapping[str, int],
          change: Iterable[str]) -> tuple[str, str]:
    """(formatted text, cell style) for one value."""
    if isinstance(value, (bool, np.bool_)):
        return ("ja" if value else "nei"), _NAME_CELL
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–", _NUMBER_CELL
    if isinstance(value, (int, float, np.integer, np.floating)):
        if column in percent:
            return format_percent(value, percent[column]), _NUMBER_CELL
        if column in change:
            return format_change(value), _NUMBER_CELL
        if column in decimals:
            return format_decimal(value, decimals[column]), _NUMBER_CELL
        if float(value).is_integer():
            return format_int(value), _NUMBER_CELL
        return format_decimal(value, 1), _NUMBER_CELL
    text = norwegian_text(value)
    return esc(text), (_TEXT_CELL if len(text) > 30 else _NAME_CELL)


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    percent: Mapping[str, int] | None = None,
    decimals: Mapping[str, int] | None = None,
    change: Iterable[str] = (),
    empty: str = "Ingen.",
    caption: str | None = None,
    max_rows: int | None = None,
) -> Html:
    """A table with Norwegian numbers (``1 583``, ``12,5 %``, ``+12``), text in full, and no index column.

    ``columns`` picks and names the columns (data column → header); ``percent`` and ``decimals`` give the number of
    decimals for shares shown as percentages and for other decimals; ``change`` columns get a sign. A named index
    (such as ``kommunenummer``) becomes an ordinary column first. An empty table gives the sentence ``empty``.
    """
    if frame.index.name is not None and frame.index.name not in frame.columns:
        frame = frame.reset_index()
    if frame.empty:
        return paragraph(empty)
    columns = dict(columns) if columns is not None else {c: str(c) for c in frame.columns}
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"kolonnene {', '.join(missing)} finnes ikke i tabellen ({', '.join(map(str, frame.columns))})")
    shown = frame if max_rows is None else frame.head(max_rows)
    percent, decimals, change = dict(percent or {}), dict(decimals or {}), set(change)
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in columns}
    head = "".join(f"<th{_NUMBER_CELL if numeric[c] else _NAME_CELL}>{esc(h)}</th>" for c, h in columns.items())
    rows = []
    for record in shown[list(columns)].itertuples(index=False, name=None):
        cells = [_cell(v, c, percent=percent, decimals=decimals, change=change) for v, c in zip(record, columns)]
        rows.append("<tr>" + "".join(f"<td{style}>{text}</td>" for text, style in cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f'<p class="merknad">Viser {format_int(max_rows)} av {format_int(len(frame))} rader.</p>'
    cap = f'<caption style="text-align:left; font-weight:600">{esc(caption)}</caption>' if caption else ""
    return Html(f'<table class="notatbok">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}')


def paragraph(text: str) -> Html:
    """One escaped sentence or paragraph."""
    return Html(f"<p>{esc(norwegian_text(text))}</p>")


def bullets(items: Iterable[str], *, empty: str = "Ingen.") -> Html:
    """An escaped list, or the sentence ``empty`` when there is nothing to list."""
    items = [norwegian_text(i) for i in items]
    if not items:
        return paragraph(empty)
    return Html("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def number(value: object) -> str:
    """A single number the Norwegian way (``1 583``), for a sentence; never ``np.int64(1583)``."""
    return format_int(value)


# ---------------------------------------------------------------------------------------------------------------
# The report's stylesheet for JupyterLab
# ---------------------------------------------------------------------------------------------------------------

# Rendered HTML outputs in JupyterLab (and Notebook 7) and in classic Jupyter; the report's rules apply only there.
LAB_SCOPES = (".jp-RenderedHTMLCommon", ".rendered_html")
# The report's page-level selectors become the output itself; the page layout (body, main) stays Lab's.
_PAGE_SELECTORS = {":root", "html"}
_PAGE_LAYOUT = {"body", "main"}
# Lab's own table look (right-aligned cells, stripes, fixed layout) set back to the report's, before its rules.
_LAB_TABLE_RESET = ("th, td {text-align: left;}\n"
                    "tbody tr:nth-child(odd) {background: transparent;}\n"
                    "table {table-layout: auto; margin-left: 0; margin-right: 0;}\n")
_RULE = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}", re.S)


def _scope_rules(css: str, scopes: tuple[str, ...]) -> str:
    out = []
    for selectors, body in _RULE.findall(css):
        scoped = []
        for selector in (s.strip() for s in selectors.split(",")):
            if selector in _PAGE_LAYOUT:
                continue
            for scope in scopes:
                scoped.append(scope if selector in _PAGE_SELECTORS else f"{scope} {selector}")
        if scoped:
            out.append(f"{', '.join(scoped)} {{{body.strip()}}}")
    return "\n".join(out)


def scoped_css(css: str, scopes: tuple[str, ...] = LAB_SCOPES) -> str:
    """The report's CSS with every rule limited to rendered outputs, so it styles the report and not JupyterLab.

    ``:root`` and ``html`` apply to the output itself; ``body`` and ``main`` (the page layout), ``@media print`` and
    ``@page`` are left out (Lab is not printed as the report). Lab's own table look is set back first.
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    kept = []
    pos = 0
    # Drop at-rules: @page { … } and @media … { … { … } … } (one level of nesting).
    for m in re.finditer(r"@[a-z-]+[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", css):
        kept.append(css[pos:m.start()])
        pos = m.end()
    kept.append(css[pos:])
    return _scope_rules(_LAB_TABLE_RESET + "".join(kept), scopes)


def lab_styles(css: str) -> Html:
    """A ``<style>`` element with the report's CSS scoped to rendered outputs, for the top of the report notebook.

    Lab keeps every open notebook in one page, so while the report notebook is open these rules also style the
    rendered outputs of other open notebooks; they never touch Lab's own interface.
    """
    return Html(f"<style>\n{scoped_css(css)}\n</style>")
