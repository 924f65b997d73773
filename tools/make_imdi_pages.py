"""Rebuild the bundled national IMDi pages and the split weights from their published sources (deterministic).

IMDi publishes "Nøkkeltall bosetting <year>" only as a web page: one table per county under a heading. The bundled
``data/raw/imdi/nokkeltall_bosetting_<year>.html`` are reconstructions of those pages as an analyst would save them:
the numbers, symbols and texts in every cell are IMDi's, transcribed cell by cell and checked (the shared reference
tables ``imdi_bosetting_<year>.csv`` and ``imdi_fylker_<year>.csv``); the HTML markup is ours. What the real pages
are known to look like is kept:

* one ``<h2>`` heading per county with its table below, first column ``Kommune``, IMDi's long column headers;
* the county's own row (its totals) as the last row of each table;
* rows in municipality-number order in 2022 and 2024, alphabetical (Norwegian order) from 2025 — the reference
  tables list the municipalities in the page's order, which is kept as is;
* 2022: the heading over Rogaland's table says "Rogaland 2023"; the page's headline gives the national totals;
* 2024: only Oslo's table has the two ``avtalt`` columns; the tables are dated 15 January 2025;
* 2025: the ``h1`` text is repeated in an ``h2`` above the county tables;
* every page ends with a JSON copy of its tables in a script (a plain text parser sees every row twice).

Oslo's 2024 county row: IMDi's county table has no ``avtalt`` figures; the county is one municipality, so the
county row repeats Oslo's own ``avtalt`` cells (the sum of the county's one row).

``data/raw/reference/delingsvekter.csv`` holds split weights for municipalities that were split without an exact
code translation, derived from SSB's population on the first 1 January on which both parts existed (bundled
``data/raw/ssb/07459_folkemengde_kommuner_2020_2026.csv``). Only 1507 Ålesund (split in 2024 into 1508 Ålesund and
1580 Haram) is included: no population split of 5012 Snillfjord (split in 2020) has been published.

Files under data/raw are never changed once bundled: an existing file with different content is left alone and
reported, unless ``--overwrite`` is given.

    .venv/bin/python tools/make_imdi_pages.py [--source /work/shared/reference/imdi_national] [--overwrite]
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DEFAULT_SOURCE = Path("/work/shared/reference/imdi_national")
YEARS = (2022, 2024, 2025)

VARIABLES = ("anmodet", "vedtatt", "bosatte", "herav_kollektiv_beskyttelse")
AVTALT = ("avtalt", "avtalt_herav_kollektiv_beskyttelse")
LONG_HEADERS = {
    "anmodet": "Antall personer kommunen har blitt anmodet om å bosette:",
    "vedtatt": "Antall personer kommunen har vedtatt å bosette:",
    "bosatte": "Antall bosatte personer:",
    "herav_kollektiv_beskyttelse": "Antall bosatte personer med kollektiv beskyttelse:",
    "avtalt": "Antall personer kommunen har avtalt å bosette:",
    "avtalt_herav_kollektiv_beskyttelse": "Antall personer med kollektiv beskyttelse kommunen har avtalt å bosette:",
}
# What is known about each page beyond its tables (see the shared reference README).
HEADING_QUIRKS = {(2022, "Rogaland"): "Rogaland 2023"}
TABLES_DATED = {2024: "15. januar 2025"}

POPULATION_FILE = RAW / "ssb" / "07459_folkemengde_kommuner_2020_2026.csv"
SPLITS = (
    # (source code, source name, first year both parts exist, [(target code, target name), ...])
    ("1507", "Ålesund", 2024, [("1508", "Ålesund"), ("1580", "Haram")]),
)


@dataclass(frozen=True)
class CountyTable:
    """One county's table as it stands on the page."""

    county: str
    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # municipality rows in page order: name, then one cell per column
    total: tuple[str, ...]  # the county row


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def county_tables(year: int, source: Path) -> list[CountyTable]:
    """The page's county tables, in the order the reference table lists the counties and municipalities."""
    rows = _read_csv(source / f"imdi_bosetting_{year}.csv")
    totals = {r["fylke"]: r for r in _read_csv(source / f"imdi_fylker_{year}.csv")}
    tables = []
    for county in dict.fromkeys(r["fylke"] for r in rows):
        mine = [r for r in rows if r["fylke"] == county]
        columns = list(VARIABLES)
        if any(r.get(v, "").strip() for r in mine for v in AVTALT):
            columns += AVTALT
        total = [totals[county][v] for v in VARIABLES]
        for v in columns[len(VARIABLES):]:
            cells = [r[v] for r in mine]
            if not all(c.isdigit() for c in cells):
                raise ValueError(f"{year} {county}: kan ikke summere «{v}»: {cells}")
            total.append(str(sum(int(c) for c in cells)))
        tables.append(CountyTable(
            county=county,
            heading=HEADING_QUIRKS.get((year, county), county),
            columns=tuple(columns),
            rows=tuple((r["kommune"], *(r[v] for v in columns)) for r in mine),
            total=(county, *total),
        ))
    return tables


def _table_html(t: CountyTable) -> str:
    out = ['<div class="table-scroll"><table class="imdi-table">', "<thead><tr>",
           '<th scope="col">Kommune</th>',
           *(f'<th scope="col">{html.escape(LONG_HEADERS[c])}</th>' for c in t.columns),
           "</tr></thead>", "<tbody>"]
    for row in t.rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append('<tr class="imdi-table__sum">' + "".join(f"<td><strong>{html.escape(c)}</strong></td>"
                                                          for c in t.total) + "</tr>")
    out += ["</tbody></table></div>"]
    return "\n".join(out)


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def page_html(year: int, tables: list[CountyTable]) -> bytes:
    """The saved page for ``year``."""
    title = f"Nøkkeltall bosetting {year}"
    intro = [f'<p class="ingress">Tabellene viser hvor mange personer hver kommune er anmodet om å bosette, '
             f"hvor mange kommunen har vedtatt å bosette, og hvor mange som er bosatt i {year}, fylke for fylke.</p>"]
    if year in TABLES_DATED:
        intro.append(f"<p>Tallene i tabellene er per {TABLES_DATED[year]}.</p>")
    if year == 2022:
        # the headline of the 2022 page: the national totals (= the sum of the county rows)
        sums = {v: sum(int(t.total[1 + t.columns.index(v)]) for t in tables) for v in ("anmodet", "vedtatt",
                                                                                        "bosatte")}
        intro.append('<ul class="key-figures">'
                     f"<li><span>{_thousands(sums['anmodet'])}</span> anmodet</li>"
                     f"<li><span>{_thousands(sums['vedtatt'])}</span> vedtatt</li>"
                     f"<li><span>{_thousands(sums['bosatte'])}</span> bosatt</li></ul>")
    sections = []
    for t in tables:
        sections.append(f'<section class="county-table">\n<h2>{html.escape(t.heading)}</h2>\n{_table_html(t)}\n'
                        "</section>")
    json_copy = {"props": {"pageProps": {"page": {"title": title, "blocks": [
        {"type": "table", "heading": t.heading, "columns": ["Kommune", *(LONG_HEADERS[c] for c in t.columns)],
         "rows": [list(r) for r in (*t.rows, t.total)]} for t in tables]}}}}
    script = json.dumps(json_copy, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    parts = [
        "<!DOCTYPE html>",
        "<!-- Rekonstruksjon av IMDis nettside «" + title + "»: tallene er IMDis (NLOD, Kilde: IMDi), "
        "HTML-oppmerkingen er laget av tools/make_imdi_pages.py i bosetting-prosjektet. -->",
        '<html lang="nb">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} | IMDi</title>",
        "</head>",
        "<body>",
        '<header class="site-header"><a href="/" class="logo">IMDi</a>'
        '<nav aria-label="Hovedmeny"><ul><li><a href="/bosetting/">Bosetting</a></li>'
        '<li><a href="/tall-og-statistikk/">Tall og statistikk</a></li></ul></nav></header>',
        '<main id="main">',
        '<nav aria-label="Brødsmulesti" class="breadcrumbs"><ol><li><a href="/">Forside</a></li>'
        '<li><a href="/bosetting/">Bosetting</a></li><li>' + title + "</li></ol></nav>",
        f"<h1>{title}</h1>",
        *([f"<h2>{title}</h2>"] if year == 2025 else []),
        *intro,
        *sections,
        "</main>",
        '<footer class="site-footer"><p>Kilde: IMDi</p></footer>',
        f'<script id="__NEXT_DATA__" type="application/json">{script}</script>',
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def split_weight_rows(population_file: Path = POPULATION_FILE) -> list[dict[str, str]]:
    """delingsvekter.csv: each split's shares from SSB population on the first 1 January both parts existed."""
    population: dict[tuple[str, str], int] = {}
    with population_file.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        header = next(reader)
        if header[:3] != ["region", "statistikkvariabel", "år"]:
            raise ValueError(f"{population_file}: uventet overskrift {header}")
        for region, _, year, value in reader:
            if value.isdigit():
                population[(region.split()[0], year)] = int(value)
    out = []
    for src, src_name, year, targets in SPLITS:
        counts = [population[(code, str(year))] for code, _ in targets]
        whole = sum(counts)
        # shares to 10 decimals; the last is the remainder so the written shares add up to exactly 1
        shares = [round(Fraction(c, whole), 10) for c in counts[:-1]]
        shares.append(1 - sum(shares))
        parts = " og ".join(f"{code} {name} ({_thousands(c)})" for (code, name), c in zip(targets, counts))
        for (code, name), count, share in zip(targets, counts, shares):
            out.append({
                "fra_kode": src,
                "fra_navn": src_name,
                "til_kode": code,
                "til_navn": name,
                "andel": f"{float(share):.10f}",
                "folketall": str(count),
                "folketall_sum": str(whole),
                "referansedato": f"{year}-01-01",
                "grunnlag": f"Folkemengde 1. januar {year} i {parts}, første dato med tall for begge delene; "
                            f"andel = {_thousands(count)} / {_thousands(whole)}",
                "kilde": "SSB, statistikkbanken tabell 07459 (NLOD 2.0, Kilde: SSB), "
                         "data/raw/ssb/07459_folkemengde_kommuner_2020_2026.csv",
            })
    return out


def split_weights_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _write(path: Path, data: bytes, overwrite: bool) -> bool:
    """Write unless a different file is already bundled there (raw files are never changed silently)."""
    if path.exists() and path.read_bytes() != data and not overwrite:
        print(f"ENDRES IKKE: {path.relative_to(ROOT)} finnes med annet innhold (bruk --overwrite)", file=sys.stderr)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"skrev {path.relative_to(ROOT)} ({len(data)} byte)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="mappen med imdi_bosetting_<år>.csv og imdi_fylker_<år>.csv")
    parser.add_argument("--overwrite", action="store_true", help="skriv over filer med annet innhold")
    args = parser.parse_args(argv)
    ok = True
    for year in YEARS:
        ok &= _write(RAW / "imdi" / f"nokkeltall_bosetting_{year}.html",
                     page_html(year, county_tables(year, args.source)), args.overwrite)
    ok &= _write(RAW / "reference" / "delingsvekter.csv", split_weights_csv(split_weight_rows()), args.overwrite)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
