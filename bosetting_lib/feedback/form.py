"""The municipal feedback form: the question list (one source of truth) and the Excel form sent to each municipality.

The county asks every municipality for short feedback before it recommends settlement figures to IMDi.
This module writes one fillable xlsx per municipality; :mod:`bosetting_lib.feedback.read` reads the returned forms
back by looking up the same question labels, so the two never drift apart.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.xlsx import save_workbook

# Version 2 asks all of the county's letter (family reunification, housing, special needs) and prints on A4;
# version 1 forms (the bundled example answers) are still read: the questions added later are simply absent.
FORM_VERSION = 2
FORM_ID_PREFIX = "BOSETTING-TILBAKEMELDING"
FORM_ID_PATTERN = re.compile(rf"{FORM_ID_PREFIX}/(?P<year>\d{{4}})/v(?P<version>\d+)")

SHEET_GUIDE = "Veiledning"
SHEET_FORM = "Svar"
SHEET_LISTS = "Lister"

# Identity block labels (column B of the "Svar" sheet); the reader looks these up.
LABEL_CODE = "Kommunenummer"
LABEL_NAME = "Kommune"
LABEL_YEAR = "Skjemaet gjelder året"
LABEL_FORM_ID = "Skjema-ID (ikke endre)"

LABEL_COLUMN = "B"
ANSWER_COLUMN = "C"
HELP_COLUMN = "F"

WISH_CHOICES = ("Flere enn før", "Som før", "Færre enn før", "Ønsker ikke å bosette")
WISH_DECLINES = "Ønsker ikke å bosette"
YES_NO = ("Ja", "Nei")
PARTNER_ROWS = 5

# What IMDi's and SSB's symbols mean, as shown under the prefilled history.
SYMBOL_TEXT = {
    ":": "prikket (færre enn 5)",
    "-": "ikke vedtak fordi anmodningen var 0",
    "..": "tall mangler",
    ".": "kan ikke oppgis",
    "…": "ikke tilgjengelig ennå",
}
HISTORY_LABELS = {"anmodet": "Anmodet om å bosette", "vedtatt": "Vedtatt å bosette", "bosatte": "Bosatte"}
HISTORY_YEARS = 3
HISTORY_COLUMNS = ("kommunenummer", "aar", "variabel", "verdi", "status")

QuestionKind = Literal["heltall", "valg", "janei", "kommune", "tekst", "dato"]


@dataclass(frozen=True)
class Question:
    """One question on the form: where it is shown, what kind of answer it takes and how it is validated."""

    key: str
    label: str  # may contain {year}
    kind: QuestionKind
    section: str
    help: str = ""
    choices: tuple[str, ...] = ()
    private: bool = False  # contact details: kept in processed data, never published
    lines: int = 1  # height of the answer cell in text lines
    group: str = ""  # questions answered in several cells (partner municipalities) share a group
    since: int = 1  # the form version that first asked it; older forms are read without it

    def text(self, year: int) -> str:
        """The label as printed on the form for ``year``."""
        return self.label.format(year=year)

    @property
    def expected(self) -> str:
        """What a valid answer is, in Norwegian, for error messages."""
        return {
            "heltall": "et heltall ≥ 0",
            "valg": "ett av valgene " + ", ".join(f"«{c}»" for c in self.choices),
            "janei": "«Ja» eller «Nei»",
            "kommune": "en kommune i fylket fra listen",
            "tekst": "tekst",
            "dato": "en dato (dd.mm.åååå)",
        }[self.kind]


_S_CAPACITY = "Kapasitet og ønske om bosetting"
_S_NEEDS = "Familiegjenforening, bolig og særlige behov"
_S_QUALIFICATION = "Kvalifisering og samarbeid"
_S_LABOUR = "Behov for arbeidskraft"
_S_OTHER = "Annet"
_S_CONTACT = "Kontaktperson (publiseres ikke)"

QUESTIONS: tuple[Question, ...] = (
    Question(
        "kapasitet", "Hvor mange flyktninger kan kommunen bosette i {year}?", "heltall", _S_CAPACITY,
        help="Antall personer i alt, medregnet enslige mindreårige. Familiegjenforente regnes ikke med. "
        "Skriv 0 hvis kommunen ikke kan bosette.",
    ),
    Question(
        "kapasitet_kommentar", "Kommentar til antallet", "tekst", _S_CAPACITY, lines=3,
        help="For eksempel et spenn, forbehold, eller når kommunestyret behandler saken.",
    ),
    Question(
        "onske", "Hvordan ønsker kommunen å bosette i {year}, sammenlignet med tidligere år?", "valg", _S_CAPACITY,
        choices=WISH_CHOICES, help="Velg fra listen.",
    ),
    Question("em_kan_bosette", "Kan kommunen bosette enslige mindreårige?", "janei", _S_CAPACITY, choices=YES_NO),
    Question(
        "em_kapasitet", "Hvor mange enslige mindreårige kan kommunen bosette i {year}?", "heltall", _S_CAPACITY,
        help="En del av antallet over (herav enslige mindreårige). Skriv 0 hvis ingen.",
    ),
    Question(
        "familiegjenforente", "Hvor mange familiegjenforente venter kommunen å bosette i {year}?", "heltall", _S_NEEDS,
        help="Familiemedlemmer som kommer til flyktninger som allerede bor i kommunen. De regnes ikke med i antallet "
        "over. La cellen stå tom hvis dere ikke vet.", since=2,
    ),
    Question(
        "familiegjenforening_kommentar", "Begrenser familiegjenforening hvor mange flyktninger kommunen kan ta imot?",
        "tekst", _S_NEEDS, lines=3, help="For eksempel at mange ventede familiegjenforente tar boliger eller "
        "barnehageplasser.", since=2,
    ),
    Question(
        "bolig", "Hvordan er boligsituasjonen for bosetting i {year}?", "tekst", _S_NEEDS, lines=4,
        help="Hvor mange egnede boliger kommunen har eller venter å skaffe, og om boliger begrenser antallet.",
        since=2,
    ),
    Question(
        "saerlige_behov",
        "Hvilke særlige behov (helse, nedsatt funksjonsevne) kan kommunen ta imot flyktninger med?",
        "tekst", _S_NEEDS, lines=4,
        help="For eksempel tilrettelagte boliger, helse- og omsorgstjenester eller spesialisert oppfølging. "
        "Ikke skriv om enkeltpersoner.", since=2,
    ),
    Question(
        "kvalifiseringstilbud",
        "Hvilke opplærings- og kvalifiseringstilbud for flyktninger har kommunen som gir gode resultater?",
        "tekst", _S_QUALIFICATION, lines=6,
        help="Beskriv tilbudene og resultatene dere kan vise til, for eksempel andel i arbeid eller utdanning "
        "etter introduksjonsprogrammet.",
    ),
    Question(
        "interkommunalt_samarbeid", "Har kommunen interkommunalt samarbeid om kvalifisering/integrering?",
        "janei", _S_QUALIFICATION, choices=YES_NO,
    ),
    *(
        Question(
            f"samarbeid_{i}", f"Samarbeidskommune {i}", "kommune", _S_QUALIFICATION, group="samarbeid",
            help="Velg kommuner i fylket fra listen, én per celle." if i == 1 else "",
        )
        for i in range(1, PARTNER_ROWS + 1)
    ),
    Question(
        "samarbeid_tekst", "Beskriv samarbeidet", "tekst", _S_QUALIFICATION, lines=4,
        help="Hva dere samarbeider om, og eventuelt samarbeid med kommuner utenfor fylket.",
    ),
    Question(
        "arbeidskraftbehov",
        "Hvilke yrker eller hvilken kompetanse har kommunen og det lokale arbeidslivet særlig behov for, "
        "som bosatte flyktninger kan fylle?",
        "tekst", _S_LABOUR, lines=5,
    ),
    Question("kommentar", "Andre opplysninger fylkeskommunen bør kjenne til", "tekst", _S_OTHER, lines=4),
    Question("kontaktperson", "Navn på kontaktperson", "tekst", _S_CONTACT, private=True),
    Question("kontakt_epost", "E-post til kontaktperson", "tekst", _S_CONTACT, private=True),
    Question("kontakt_telefon", "Telefon til kontaktperson", "tekst", _S_CONTACT, private=True),
    Question("svardato", "Dato for svaret", "dato", _S_CONTACT, help="Skriv datoen som dd.mm.åååå."),
)
QUESTION_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
PRIVATE_KEYS: tuple[str, ...] = tuple(q.key for q in QUESTIONS if q.private)

# Look: a light yellow fill for what the municipality fills in, grey for what is prefilled.
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
_PREFILLED_FILL = PatternFill("solid", fgColor="E7E6E6")
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_UNLOCKED = Protection(locked=False)
_WIDTHS = {"A": 5, "B": 52, "C": 16, "D": 16, "E": 16, "F": 60}
_CHARS_PER_LINE = {"B": 48, "F": 56, "C": 44}
_LINE_HEIGHT = 15


def form_id(year: int, version: int = FORM_VERSION) -> str:
    """The text in the form's hidden ID cell; the reader uses it to reject forms from another year."""
    return f"{FORM_ID_PREFIX}/{year}/v{version}"


def questions_for(version: int = FORM_VERSION) -> tuple[Question, ...]:
    """The questions a form of ``version`` asks."""
    return tuple(q for q in QUESTIONS if q.since <= version)


def form_file_name(year: int, code: str, name: str) -> str:
    """``tilbakemelding_<year>_<code>_<slug>.xlsx``; the slug keeps æøå but drops other accents and punctuation."""
    return f"tilbakemelding_{year}_{code}_{slug(name)}.xlsx"


def slug(name: str) -> str:
    """A file-name-safe version of a municipality name ("Snåase - Snåsa" → "Snåase_Snåsa")."""
    # Sámi letters that do not decompose into a base letter plus an accent.
    name = name.translate(str.maketrans({"ŋ": "n", "Ŋ": "N", "đ": "d", "Đ": "D", "ŧ": "t", "Ŧ": "T", "ʒ": "z", "Ʒ": "Z"}))
    kept = []
    for ch in name:
        if ch in "æøåÆØÅ":
            kept.append(ch)
        else:
            kept.append("".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)))
    return re.sub(r"[^A-Za-z0-9æøåÆØÅ]+", "_", "".join(kept)).strip("_") or "kommune"


def nb_sort_key(text: str) -> str:
    """Sort key for Norwegian alphabetical order (æ, ø, å after z)."""
    return text.casefold().translate(str.maketrans({"æ": "{", "ø": "|", "å": "}", "ä": "{", "ö": "|"}))


def county_label(county_name: str) -> str:
    """«Trøndelag» → «Trøndelag fylkeskommune»; a name that already says fylkeskommune is kept."""
    return county_name if "fylkeskommune" in county_name.casefold() else f"{county_name} fylkeskommune"


def _norwegian_date(day: dt.date) -> str:
    months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
              "november", "desember"]
    return f"{day.day}. {months[day.month - 1]} {day.year}"


def _check_municipalities(municipalities: pd.DataFrame, what: str = "kommunelisten") -> list[tuple[str, str]]:
    missing = [c for c in ("kommunenummer", "kommune") if c not in municipalities.columns]
    if missing:
        raise InputError(Problem(what, "kolonnene «kommunenummer» og «kommune»",
                                 found=", ".join(map(str, municipalities.columns))))
    pairs = []
    problems = []
    for i, (code, name) in enumerate(zip(municipalities["kommunenummer"], municipalities["kommune"], strict=True)):
        code_s = "" if pd.isna(code) else str(code)
        if not re.fullmatch(r"\d{4}", code_s):
            problems.append(Problem(what, "kommunenummer med fire sifre (som tekst)", found=code_s, row=i + 2,
                                    column="kommunenummer"))
            continue
        pairs.append((code_s, str(name)))
    if problems:
        raise InputError(problems)
    return pairs


def _history_block(history: pd.DataFrame, code: str, year: int, n_years: int) -> tuple[list[int], dict[tuple[str, int], object]]:
    """The last ``n_years`` years before ``year`` that the history has, and each (variable, year) cell's content."""
    if history is None or history.empty:
        return [], {}
    years = sorted({int(a) for a in history["aar"].dropna() if int(a) < year})[-n_years:]
    mine = history.loc[history["kommunenummer"].astype(str) == code]
    cells: dict[tuple[str, int], object] = {}
    for var in HISTORY_LABELS:
        for yr in years:
            hit = mine.loc[(mine["variabel"] == var) & (mine["aar"].astype(int) == yr)]
            if hit.empty:
                cells[(var, yr)] = ".."  # the year exists for the county but not for this municipality
                continue
            value = hit["verdi"].iloc[0]
            status = hit["status"].iloc[0] if "status" in hit.columns else pd.NA
            if pd.isna(value):
                cells[(var, yr)] = str(status) if not pd.isna(status) and str(status) else ".."
            else:
                v = float(value)
                cells[(var, yr)] = int(v) if v.is_integer() else v
    return years, cells


def _set(ws: Worksheet, ref: str, value: object, *, bold: bool = False, size: int | None = None,
         fill: PatternFill | None = None, italic: bool = False, color: str | None = None, wrap: bool = True) -> None:
    cell = ws[ref]
    cell.value = value
    cell.font = Font(bold=bold, italic=italic, size=size, color=color)
    if wrap:
        cell.alignment = _WRAP
    if fill is not None:
        cell.fill = fill


def _lines(text: str, column: str) -> int:
    return max(1, sum(math.ceil(max(len(part), 1) / _CHARS_PER_LINE[column]) for part in text.split("\n")))


def _add_list_validation(ws: Worksheet, source: str, prompt: str, error: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True, showInputMessage=True)
    dv.errorTitle, dv.error, dv.promptTitle, dv.prompt = "Ugyldig svar", error, "Velg fra listen", prompt
    ws.add_data_validation(dv)
    return dv


def _build_lists(wb: Workbook, partners: list[str]) -> dict[str, str]:
    """The hidden sheet with the choice lists; returns each list's range for data validation."""
    ws = wb.create_sheet(SHEET_LISTS)
    columns = {"valg": ("Ønske", list(WISH_CHOICES)), "janei": ("Ja/Nei", list(YES_NO)),
               "kommune": ("Kommuner i fylket", partners or ["(ingen)"])}
    ranges = {}
    for i, (kind, (title, values)) in enumerate(columns.items(), start=1):
        col = get_column_letter(i)
        ws[f"{col}1"] = title
        ws[f"{col}1"].font = Font(bold=True)
        for r, v in enumerate(values, start=2):
            ws[f"{col}{r}"] = v
        ranges[kind] = f"{SHEET_LISTS}!${col}$2:${col}${len(values) + 1}"
        ws.column_dimensions[col].width = 30
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return ranges


def _build_guide(wb: Workbook, *, year: int, code: str, name: str, county: str, deadline: dt.date,
                 contact: str | None, note: str | None, version: int = FORM_VERSION) -> None:
    ws = wb.active
    ws.title = SHEET_GUIDE
    ws.column_dimensions["A"].width = 100
    send = f"Send det utfylte skjemaet til {contact} innen {_norwegian_date(deadline)}." if contact else (
        f"Send det utfylte skjemaet tilbake til {county} innen {_norwegian_date(deadline)}.")
    blocks: list[tuple[str, str]] = [
        ("title", f"Tilbakemelding om bosetting av flyktninger i {year}"),
        ("text", f"Til {name} kommune ({code}) fra {county}."),
        ("heading", "Hva er dette?"),
        ("text", f"{county} skal gi IMDi (Integrerings- og mangfoldsdirektoratet) en anbefaling om hvor mange "
                 f"flyktninger hver kommune i fylket bør bli bedt om å bosette i {year} (integreringsloven § 4). "
                 "Før vi gir anbefalingen, ber vi alle kommunene i fylket om en kort tilbakemelding. Vi spør også "
                 "kommuner som ikke bosetter flyktninger i dag."),
        ("heading", "Hvorfor spør vi?"),
        ("text", "Anbefalingen bygger på de nasjonale kriteriene, fylkets samlede anmodning fra IMDi og kunnskapen "
                 "vår om kommunene. Kommunens egen vurdering av kapasitet og ønske om bosetting, "
                 + ("ventet familiegjenforening, boliger, hvilke særlige behov kommunen kan ta imot, " if version >= 2 else "")
                 + "kvalifiseringstilbud, interkommunalt samarbeid og behov for arbeidskraft gjør anbefalingen bedre."
                 + (" IMDi bruker også opplysningene i det daglige bosettingsarbeidet, når flyktninger skal bosettes "
                    "i en kommune." if version >= 2 else "")),
        ("heading", "Svarfrist"),
        ("text", send),
        ("heading", "Slik fyller du ut skjemaet"),
        ("text", "• Skriv bare i de gule cellene på arket «Svar». De grå cellene er fylt ut på forhånd."),
        ("text", "• Antall skal være hele tall (0 eller mer). Vil dere oppgi et spenn eller et forbehold, skriv det i "
                 "«Kommentar til antallet»."),
        ("text", "• Celler med en liste: velg fra nedtrekkslisten. Samarbeidskommuner velger du én per celle."),
        ("text", "• Tallene for tidligere år er hentet fra IMDi. «:» betyr at tallet er prikket fordi det gjelder færre "
                 "enn 5 personer; «-» betyr at det ikke var noe vedtak fordi anmodningen var 0."),
        ("text", "• Ikke gi arkene nytt navn, og ikke flytt eller slett rader: svarene leses inn maskinelt. Arket er "
                 "låst (uten passord) for å hindre at det skjer ved et uhell."),
        ("text", "• Lagre som Excel-arbeidsbok (.xlsx) og send filen tilbake. Behold gjerne filnavnet."),
        ("heading", "Hvordan svarene brukes"),
        ("text", f"Svarene brukes i {county}s anbefaling til IMDi. Svarene kan bli gjengitt i en offentlig rapport, "
                 "unntatt kontaktopplysningene (navn, e-post og telefon). Dem bruker vi bare til å kontakte dere "
                 "om svaret. Ikke skriv opplysninger om enkeltpersoner som er bosatt eller skal bosettes."),
        ("small", f"Skjema-ID: {form_id(year, version)}"),
    ]
    if note:
        blocks.insert(0, ("note", note))
    for r, (kind, text) in enumerate(blocks, start=1):
        cell = ws.cell(row=r, column=1, value=text)
        cell.alignment = _WRAP
        if kind == "title":
            cell.font = Font(bold=True, size=14)
        elif kind == "heading":
            cell.font = Font(bold=True, size=12)
        elif kind == "note":
            cell.font = Font(bold=True, size=14, color="C00000")
        elif kind == "small":
            cell.font = Font(italic=True, color="595959")
        ws.row_dimensions[r].height = _LINE_HEIGHT * max(1, math.ceil(len(text) / 95)) + (6 if kind == "title" else 0)
    ws.protection.sheet = True


def _build_form(wb: Workbook, *, year: int, code: str, name: str, county: str, deadline: dt.date,
                history: pd.DataFrame, ranges: dict[str, str], note: str | None, version: int = FORM_VERSION) -> None:
    ws = wb.create_sheet(SHEET_FORM)
    for col, width in _WIDTHS.items():
        ws.column_dimensions[col].width = width
    _set(ws, "B1", f"Tilbakemelding om bosetting av flyktninger i {year} – {name}", bold=True, size=14, wrap=False)
    _set(ws, "B2", f"{county} ber om svar innen {_norwegian_date(deadline)}. Les arket «{SHEET_GUIDE}» først.", wrap=False)
    _set(ws, "B3", "Fyll ut de gule cellene. Grå celler er fylt ut på forhånd og kan ikke endres.", italic=True, wrap=False)
    if note:
        _set(ws, f"{HELP_COLUMN}1", note, bold=True, size=14, color="C00000", wrap=False)

    row = 5
    _set(ws, f"B{row}", "Kommunen", bold=True, fill=_SECTION_FILL)
    identity = [(LABEL_CODE, code), (LABEL_NAME, name), (LABEL_YEAR, year), (LABEL_FORM_ID, form_id(year, version))]
    for label, value in identity:
        row += 1
        _set(ws, f"B{row}", label, bold=True)
        _set(ws, f"C{row}", value, fill=_PREFILLED_FILL, wrap=False)
        ws[f"C{row}"].border = _BOX
        ws[f"C{row}"].alignment = Alignment(horizontal="left")
        if label == LABEL_FORM_ID:
            ws.row_dimensions[row].hidden = True  # technical: identifies the form version and year
    # Codes are text: a number format would turn 0301 into 301.
    ws[f"C{row - 3}"].number_format = "@"

    years, cells = _history_block(history, code, year, HISTORY_YEARS)
    row += 2
    _set(ws, f"B{row}", "Tall fra IMDi for tidligere år", bold=True, fill=_SECTION_FILL)
    if years:
        for j, yr in enumerate(years):
            ref = f"{get_column_letter(3 + j)}{row}"
            _set(ws, ref, yr, bold=True, fill=_SECTION_FILL, wrap=False)
            ws[ref].alignment = Alignment(horizontal="right")
        symbols: set[str] = set()
        for var, label in HISTORY_LABELS.items():
            row += 1
            _set(ws, f"B{row}", label)
            for j, yr in enumerate(years):
                value = cells[(var, yr)]
                ref = f"{get_column_letter(3 + j)}{row}"
                _set(ws, ref, value, fill=_PREFILLED_FILL, wrap=False)
                ws[ref].alignment = Alignment(horizontal="right")
                ws[ref].border = _BOX
                if isinstance(value, str):
                    symbols.add(value)
        row += 1
        legend = "; ".join(f"«{s}» = {SYMBOL_TEXT.get(s, 'se kilden')}" for s in sorted(symbols))
        text = "Kilde: IMDi, Nøkkeltall bosetting." + (f" Symboler: {legend}." if legend else "")
        gaps = [y for y in range(min(years), max(years)) if y not in years]
        if gaps and version >= 2:
            text += (f" IMDi har ikke publisert tabellen per kommune for {', '.join(map(str, gaps))}, så "
                     f"{'det året' if len(gaps) == 1 else 'de årene'} mangler.")
        _set(ws, f"B{row}", text, italic=True, color="595959")
        ws.row_dimensions[row].height = _LINE_HEIGHT * _lines(text, "B")
    else:
        row += 1
        _set(ws, f"B{row}", "Ingen tall fra tidligere år er tilgjengelige.", italic=True)

    section = None
    number = 0
    validations: dict[str, DataValidation] = {}
    for q in questions_for(version):
        if q.section != section:
            section = q.section
            row += 2
            _set(ws, f"B{row}", section, bold=True, fill=_SECTION_FILL)
        row += 1
        if not q.group or q.key.endswith("_1"):
            number += 1
            _set(ws, f"A{row}", f"{number}.", bold=True)
        label = q.text(year)
        _set(ws, f"B{row}", label, bold=True)
        answer = f"{ANSWER_COLUMN}{row}"
        if q.kind not in ("heltall", "dato"):
            ws.merge_cells(f"C{row}:E{row}")  # room for text; the value lives in C
            for col in "DE":  # Excel checks every cell of a merged area against the protection
                ws[f"{col}{row}"].protection = _UNLOCKED
                ws[f"{col}{row}"].fill = _ANSWER_FILL
                ws[f"{col}{row}"].border = _BOX
        cell = ws[answer]
        cell.fill = _ANSWER_FILL
        cell.border = _BOX
        cell.protection = _UNLOCKED
        cell.alignment = _WRAP
        if q.kind == "heltall":
            cell.number_format = "0"
        elif q.kind == "dato":
            cell.number_format = "DD.MM.YYYY"
        elif q.kind == "tekst":
            cell.number_format = "@"
        if q.help:
            _set(ws, f"{HELP_COLUMN}{row}", q.help, italic=True, color="595959")
        ws.row_dimensions[row].height = _LINE_HEIGHT * max(
            q.lines, _lines(label, "B"), _lines(q.help, "F") if q.help else 1)
        if q.kind not in validations:
            validations[q.kind] = _validation_for(ws, q, year, ranges)
        if validations[q.kind] is not None:
            validations[q.kind].add(answer)

    ws.protection.sheet = True
    ws.protection.formatRows = False  # let users make a text row taller
    ws.protection.formatColumns = False
    ws.freeze_panes = "A5"
    ws.sheet_view.zoomScale = 100


def _validation_for(ws: Worksheet, q: Question, year: int, ranges: dict[str, str]) -> DataValidation | None:
    if q.kind == "heltall":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, showInputMessage=True)
        dv.errorTitle = "Ugyldig tall"
        dv.error = "Skriv et helt tall som er 0 eller større. Bruk kommentarfeltet for spenn og forbehold."
        dv.promptTitle, dv.prompt = "Antall personer", "Et helt tall, 0 eller større."
    elif q.kind == "dato":
        # Answers come in the year before the settlement year, or early in that year.
        dv = DataValidation(type="date", operator="between", formula1=f"DATE({year - 1},1,1)",
                            formula2=f"DATE({year},12,31)", allow_blank=True, showErrorMessage=True)
        dv.errorTitle, dv.error = "Ugyldig dato", f"Skriv en dato mellom 01.01.{year - 1} og 31.12.{year} (dd.mm.åååå)."
    elif q.kind == "valg":
        dv = _add_list_validation(ws, ranges["valg"], "Velg ett av svarene.", "Velg et svar fra listen.")
        return dv
    elif q.kind == "janei":
        return _add_list_validation(ws, ranges["janei"], "Velg Ja eller Nei.", "Svar Ja eller Nei.")
    elif q.kind == "kommune":
        return _add_list_validation(ws, ranges["kommune"], "Velg en kommune i fylket.",
                                    "Velg en kommune fra listen. Andre samarbeidspartnere kan beskrives i feltet under.")
    else:
        return None
    ws.add_data_validation(dv)
    return dv


def build_workbook(code: str, name: str, *, partners: list[str], history: pd.DataFrame, year: int,
                   county_name: str, deadline: dt.date, contact: str | None = None, note: str | None = None,
                   version: int = FORM_VERSION) -> Workbook:
    """The form for one municipality as an openpyxl workbook (sheets Veiledning, Svar and the hidden Lister).

    ``version`` 1 rebuilds the first form exactly (the bundled example answers were filled in on it).
    """
    county = county_label(county_name)
    wb = openpyxl.Workbook()
    _build_guide(wb, year=year, code=code, name=name, county=county, deadline=deadline, contact=contact, note=note,
                 version=version)
    ranges = _build_lists(wb, sorted(partners, key=nb_sort_key))
    _build_form(wb, year=year, code=code, name=name, county=county, deadline=deadline, history=history,
                ranges=ranges, note=note, version=version)
    wb.move_sheet(SHEET_FORM, offset=-1)  # Veiledning, Svar, Lister
    wb.active = 0
    if version >= 2:
        _print_setup(wb)
    wb.properties.title = f"Tilbakemelding om bosetting {year} – {name}"
    wb.properties.creator = county
    wb.properties.lastModifiedBy = county
    return wb


def _print_setup(wb: Workbook) -> None:
    """A4 portrait, one page wide, the form's columns only, title rows repeated; and a named font everywhere, so
    LibreOffice does not fall back to a serif font. Municipalities print the form for political handling."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.has_style and cell.font is not None and cell.font.name is None:
                    font = copy(cell.font)
                    font.name = "Calibri"
                    cell.font = font
        if ws.title == SHEET_LISTS:
            continue
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.print_area = f"A1:{HELP_COLUMN}{ws.max_row}"
        if ws.title == SHEET_FORM:
            ws.print_title_rows = "1:3"


def fixed_timestamp(year: int) -> dt.datetime:
    """The created/modified time written into generated workbooks, so the same inputs give the same bytes."""
    return dt.datetime(year - 1, 1, 1, 0, 0, 0)


def write_forms(
    municipalities: pd.DataFrame,
    history: pd.DataFrame,
    *,
    year: int,
    county_name: str,
    deadline: dt.date,
    out_dir: Path,
    contact: str | None = None,
    note: str | None = None,
    version: int = FORM_VERSION,
) -> list[Path]:
    """Write one feedback form (xlsx) per municipality into ``out_dir``; returns the paths in the input order.

    ``history`` is tidy (kommunenummer, aar, variabel in {anmodet, vedtatt, bosatte}, verdi, status); the last
    three years before ``year`` are prefilled, with symbols such as «:» where a figure is suppressed.
    ``note`` is shown in red on both visible sheets (for example «EKSEMPELDATA – ikke ekte svar»).
    """
    pairs = _check_municipalities(municipalities)
    if history is not None and len(history.columns) and not set(HISTORY_COLUMNS) <= set(history.columns):
        raise InputError(Problem("historikk", "kolonnene " + ", ".join(HISTORY_COLUMNS),
                                 found=", ".join(map(str, history.columns))))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [n for _, n in pairs]
    paths = []
    for code, name in pairs:
        wb = build_workbook(
            code, name, partners=[n for n in names if n != name], history=history, year=year,
            county_name=county_name, deadline=deadline, contact=contact, note=note, version=version,
        )
        paths.append(save_workbook(wb, out_dir / form_file_name(year, code, name), timestamp=fixed_timestamp(year),
                                   author=None))
    return paths


def label_rows(sheet: Worksheet | Mapping[tuple[int, int], object]) -> dict[str, int]:
    """Map each label text in column B of the form sheet to its row number (first occurrence).

    ``sheet`` is a worksheet, or its cells as a mapping of (row, column) to value (how returned forms are read).
    """
    cells = sheet if isinstance(sheet, Mapping) else {
        (cell.row, 2): cell.value for (cell,) in sheet.iter_rows(min_col=2, max_col=2)}
    rows: dict[str, int] = {}
    for r, value in sorted((r, v) for (r, c), v in cells.items() if c == 2 and isinstance(v, str)):
        rows.setdefault(value.strip(), r)
    return rows


def answer_cells(ws: Worksheet, year: int) -> dict[str, str]:
    """Cell reference of each question's answer, found by looking its label up in column B (missing labels left out)."""
    rows = label_rows(ws)
    return {q.key: f"{ANSWER_COLUMN}{rows[q.text(year)]}" for q in QUESTIONS if q.text(year) in rows}


def fill_form(path: Path, answers: Mapping[str, object], *, year: int, out_path: Path | None = None) -> Path:
    """Fill a generated form's answer cells (as a municipality would) and save it deterministically.

    ``answers`` maps question keys to values; ``"samarbeid"`` may be a list spread over the partner cells.
    Used for the bundled example answers.
    """
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_FORM]
    cells = answer_cells(ws, year)
    for key, value in answers.items():
        if key == "samarbeid" and not isinstance(value, str) and isinstance(value, Iterable):
            for i, partner in enumerate(value, start=1):
                ws[cells[f"samarbeid_{i}"]] = partner
            continue
        if key not in cells:
            raise KeyError(f"ukjent spørsmål: {key}")
        ws[cells[key]] = value
    target = Path(out_path) if out_path else Path(path)
    return save_workbook(wb, target, timestamp=fixed_timestamp(year), author=None)
