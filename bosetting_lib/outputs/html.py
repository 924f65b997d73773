"""Small, escaped HTML building blocks for the report: sections, accessible tables, key figures."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from bosetting_lib.formatting import format_int


class Html(str):
    """A piece of trusted HTML (built here, with every data value escaped) that notebooks display as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # Without this IPython also stores the whole HTML again as the str's repr (text/plain): every section twice.
        printer.text("<HTML>")


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute use."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Column:
    """One table column: the data column, its header text and how its cells are formatted."""

    key: str
    header: str
    formatter: Callable[[pd.Series], str] | None = None
    numeric: bool = True
    css: str = ""


def table(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    caption: str,
    row_header: str,
    table_id: str,
    total_row: dict[str, str] | None = None,
    note: str | None = None,
) -> Html:
    """An accessible table: caption, column header cells, one row header cell per row, numbers right-aligned."""
    numeric_class = ' class="tall"'
    head = "".join(f'<th scope="col"{numeric_class if c.numeric else ""}>{esc(c.header)}</th>' for c in columns)
    body_rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            text = c.formatter(row) if c.formatter else (format_int(row[c.key]) if c.numeric else esc(row[c.key]))
            classes = " ".join(x for x in ("tall" if c.numeric else "", c.css) if x)
            attr = f' class="{classes}"' if classes else ""
            if c.key == row_header:
                cells.append(f'<th scope="row"{attr}>{text}</th>')
            else:
                cells.append(f"<td{attr}>{text}</td>")
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    foot = ""
    if total_row:
        cells = []
        for c in columns:
            text = total_row.get(c.key, "")
            if c.key == row_header:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td{numeric_class if c.numeric else ""}>{text}</td>')
        foot = '<tfoot><tr class="sum">' + "".join(cells) + "</tr></tfoot>"
    note_html = f'<p class="merknad">{esc(note)}</p>' if note else ""
    # The box scrolls sideways on narrow screens; tabindex lets keyboard users scroll it, and the region is named
    # after the table so a screen reader says what it holds.
    return Html(
        f'<div class="tabellboks" tabindex="0" role="region" aria-label="{esc(caption)}">'
        f'<table id="{esc(table_id)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody>{foot}</table></div>{note_html}"
    )


def heading(level: int, text: str, anchor: str) -> Html:
    """A heading with an id for the table of contents."""
    return Html(f'<h{level} id="{esc(anchor)}">{esc(text)}</h{level}>')


def paragraph(text: str, css: str | None = None) -> Html:
    """An escaped paragraph."""
    cls = f' class="{esc(css)}"' if css else ""
    return Html(f"<p{cls}>{esc(text)}</p>")


def bullet_list(items: Sequence[str]) -> Html:
    """An escaped unordered list."""
    return Html("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def short_label(name: str) -> str:
    """A long descriptive name cut to a column header: up to the first parenthesis, colon or dash (the full name
    belongs in a note under the table)."""
    for mark in (" (", ":", " – "):
        if mark in name:
            return name.split(mark)[0]
    return name
