"""Reading the municipalities' feedback (returned xlsx forms and survey-tool exports) into one processed table.

Readers never stop at the first bad file: each problem is collected (file, cell or row and column, what was
expected, what was found) and returned together with the answers that could be read; the caller decides whether
to stop. When a municipality answered more than once, the latest answer counts and the others are reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import coordinate_to_tuple, get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser  # the parser openpyxl's own workbooks use (see _FormBook)

from bosetting_lib.feedback.capacity_text import (
    CONTACT_REPLACEMENT,
    SAME_AS_LAST_YEAR_NOTE,
    parse_capacity,
    remove_contact_info,
)
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.names import MunicipalityLookup
from bosetting_lib.feedback.form import (
    ANSWER_COLUMN,
    FORM_ID_PATTERN,
    HELP_COLUMN,
    LABEL_CODE,
    LABEL_FORM_ID,
    LABEL_NAME,
    QUESTIONS,
    SHEET_FORM,
    WISH_CHOICES,
    WISH_DECLINES,
    FORM_VERSION,
    form_id,
    label_rows,
)

# The answers table: one row per answer read, in reading order. Capacities stay text here; they are parsed
# (and flagged) when the processed table is built, the same way for forms and exports.
TEXT_KEYS = ("kapasitet_kommentar", "samarbeid_tekst", "kvalifiseringstilbud", "arbeidskraftbehov", "kommentar",
             "familiegjenforening_kommentar", "bolig", "saerlige_behov",
             "kontaktperson", "kontakt_epost", "kontakt_telefon")
ANSWER_COLUMNS = (
    "kommunenummer", "kommune", "svardato", "kapasitet_tekst", "kapasitet_kommentar", "onske", "em_kan_bosette",
    "em_kapasitet_tekst", "interkommunalt_samarbeid", "samarbeid", "samarbeid_tekst", "kvalifiseringstilbud",
    "arbeidskraftbehov", "kommentar", "kontaktperson", "kontakt_epost", "kontakt_telefon", "kilde", "kilde_rad",
    "innlest_flagg", "familiegjenforente_tekst", "familiegjenforening_kommentar", "bolig", "saerlige_behov",
    "skjemaversjon",
)
CONTACT_COLUMNS = ("kontaktperson", "kontakt_epost", "kontakt_telefon")
# The processed table (see feedback_table); contact columns last, since public_feedback_table drops them.
FEEDBACK_COLUMNS = (
    "kommunenummer", "kommune", "svart", "svardato", "kapasitet_min", "kapasitet_maks", "kapasitet_tekst",
    "kapasitet_kommentar", "avslar", "onske", "em_kan_bosette", "em_kapasitet", "interkommunalt_samarbeid",
    "samarbeid", "samarbeid_tekst", "kvalifiseringstilbud", "arbeidskraftbehov", "kommentar", "kilde", "flagg",
    "familiegjenforente", "familiegjenforening_kommentar", "bolig", "saerlige_behov", "skjemaversjon",
    *CONTACT_COLUMNS,
)
_BOOL_COLUMNS = ("em_kan_bosette", "interkommunalt_samarbeid")


def _empty_answers() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in ANSWER_COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Give the answers table its dtypes: codes and texts as str, yes/no as boolean, the time as datetime."""
    df = df.reindex(columns=list(ANSWER_COLUMNS))
    for c in ANSWER_COLUMNS:
        if c == "svardato":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
        elif c in _BOOL_COLUMNS:
            df[c] = df[c].astype("boolean")
        elif c == "kilde_rad":
            df[c] = df[c].astype("Int64")
        else:
            df[c] = df[c].astype("str")
    return df.reset_index(drop=True)


@dataclass
class FeedbackReadResult:
    """What a reader found: the answers it could read, every problem, who did not answer, and superseded answers."""

    answers: pd.DataFrame
    problems: list[Problem]
    missing: list[str]
    duplicates: pd.DataFrame
    municipalities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"kommunenummer": [], "kommune": []}))

    def raise_for_problems(self) -> None:
        """Raise :class:`InputError` listing every problem, if there are any."""
        if self.problems:
            raise InputError(self.problems)


# ---------------------------------------------------------------------------------------------------------------
# Municipality names


# ---------------------------------------------------------------------------------------------------------------
# Cell values


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y") if value.time() == dt.time() else value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def _as_whole_number(value: object) -> int | None:
    """An integer ≥ 0 from a cell value, or None when it is not one (the caller reports it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


def _yes_no(value: object) -> bool | None:
    s = _cell_text(value).casefold()
    if re.match(r"^(?:ja|j|yes)\b", s):
        return True
    if re.match(r"^(?:nei|n|no)\b", s):
        return False
    return None


def _choice(value: object, choices: Iterable[str]) -> str | None:
    s = re.sub(r"\s+", " ", _cell_text(value)).casefold().rstrip(".")
    for c in choices:
        if s == c.casefold():
            return c
    return None


_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M:%S", "%d.%m.%y %H:%M", "%d.%m.%y",
    # Microsoft Forms in an English locale writes month first.
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%Y",
)


def parse_timestamp(value: object) -> pd.Timestamp | None:
    """A naive timestamp from a date/time cell or text in the usual Norwegian and export formats, else None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).tz_localize(None) if value.tzinfo else pd.Timestamp(value)
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if isinstance(value, (int, float)) and 20000 < float(value) < 80000:
        return pd.Timestamp(openpyxl.utils.datetime.from_excel(float(value)))  # an Excel serial date
    s = str(value).strip()
    if not s:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(s, fmt))
        except ValueError:
            continue
    try:
        ts = pd.Timestamp(s)  # ISO 8601 with fractions or a zone
    except (ValueError, TypeError):
        return None
    return ts.tz_convert(None) if ts.tzinfo else ts


# ---------------------------------------------------------------------------------------------------------------
# Duplicates and results


def _resolve(answers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep each municipality's latest answer (by time; ties and unknown times → later in reading order)."""
    if answers.empty:
        return answers, answers.assign(erstattet_av=pd.Series(dtype="str"))
    ordered = answers.reset_index(drop=True).assign(_pos=lambda d: range(len(d)))
    # Unknown times sort first, so any dated answer beats an undated one; a stable sort keeps reading order on ties.
    ordered = ordered.sort_values(["svardato", "_pos"], na_position="first", kind="stable")
    keep_mask = ~ordered.duplicated("kommunenummer", keep="last")
    kept = ordered.loc[keep_mask]
    dropped = ordered.loc[~keep_mask]
    winner = dict(zip(kept["kommunenummer"], _where(kept), strict=True))
    dropped = dropped.assign(erstattet_av=dropped["kommunenummer"].map(winner).astype("str"))
    kept = kept.sort_values("_pos").drop(columns="_pos").reset_index(drop=True)
    dropped = dropped.sort_values("_pos").drop(columns="_pos").reset_index(drop=True)
    return kept, dropped


def _where(df: pd.DataFrame) -> list[str]:
    return [f"{k}, rad {int(r)}" if not pd.isna(r) else str(k) for k, r in zip(df["kilde"], df["kilde_rad"], strict=True)]


def _result(answers: pd.DataFrame, problems: list[Problem], lookup: MunicipalityLookup,
            municipalities: pd.DataFrame, duplicates: pd.DataFrame | None = None) -> FeedbackReadResult:
    kept, dropped = _resolve(_typed(answers) if len(answers) else _empty_answers())
    if duplicates is not None and len(duplicates):
        dropped = pd.concat([duplicates, dropped], ignore_index=True)
    answered = set(kept["kommunenummer"])
    missing = sorted(code for code in lookup.names if code not in answered)
    return FeedbackReadResult(kept, problems, missing, dropped, municipalities[["kommunenummer", "kommune"]].copy())


def combine_feedback(*results: FeedbackReadResult) -> FeedbackReadResult:
    """Merge readers' results (e.g. forms and a survey export); later results win ties between equal times."""
    if not results:
        raise ValueError("combine_feedback trenger minst ett resultat")
    municipalities = pd.concat([r.municipalities for r in results], ignore_index=True).drop_duplicates("kommunenummer")
    municipalities = municipalities.sort_values("kommunenummer", kind="stable").reset_index(drop=True)
    lookup = MunicipalityLookup(municipalities)
    answers = pd.concat([r.answers for r in results if len(r.answers)] or [_empty_answers()], ignore_index=True)
    earlier = [r.duplicates for r in results if len(r.duplicates)]
    duplicates = pd.concat(earlier, ignore_index=True) if earlier else None
    problems = [p for r in results for p in r.problems]
    return _result(answers, problems, lookup, municipalities, duplicates)


# ---------------------------------------------------------------------------------------------------------------
# Returned forms


def _form_files(folder: Path | str) -> list[Path]:
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "en mappe med returnerte skjema", found="finnes ikke"))
    # "~$name.xlsx" is Excel's lock file for an open workbook, not a form.
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith(("~$", ".")))


# What opening an xlsx file may raise when it is not a readable workbook (ValueError: see _read_form).
_OPEN_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, OSError)


class _FormBook:
    """An xlsx file opened once (openpyxl's read-only mode): its sheet names and the «Svar» sheet's cells.

    The cells are kept as plain mappings of (row, column) to value instead of openpyxl's full workbook, which
    binds styles and merged ranges to every cell and made reading a form several times slower. The values are
    the ones the full workbook would hold: openpyxl's own sheet parser reads them (the same types, dates and
    shared formulas), and the cells a merged range hides hold no value, as in the full workbook.
    """

    def __init__(self, path: Path):
        wb = openpyxl.load_workbook(path, read_only=True)
        self._values: dict[tuple[int, int], object] = {}
        self._values_error: Exception | None = None
        try:
            self.sheetnames = list(wb.sheetnames)
            self.has_form = SHEET_FORM in self.sheetnames
            if self.has_form:
                ws = wb[SHEET_FORM]
                self._max_row = ws.max_row  # from the sheet's dimension, as read-only iteration uses it
                # The cells as typed: formulas as "=..." text, as data_only=False gives them.
                self.typed, has_formulas = self._parse(wb, ws, data_only=False)
                # Without a formula the cells as last calculated are the cells as typed (the parser reads a cell
                # differently in the two modes only when it holds a formula), so the sheet is parsed once.
                self._values = self.typed
                if has_formulas:
                    try:
                        self._values, _ = self._parse(wb, ws, data_only=True)
                    except Exception as exc:  # noqa: BLE001 - raised where the values are used, as opening did
                        self._values_error = exc
        finally:
            wb.close()

    @staticmethod
    def _parse(wb, ws, *, data_only: bool) -> tuple[dict[tuple[int, int], object], bool]:
        """The sheet's cells with a value, and whether any cell holds a formula (only seen with data_only=False)."""
        cells: dict[tuple[int, int], object] = {}
        has_formulas = False
        with wb._archive.open(ws._worksheet_path) as src:
            parser = WorkSheetParser(src, wb.shared_strings, data_only=data_only, epoch=wb.epoch,
                                     date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
            for _, row in parser.parse():
                for cell in row:
                    cells[(cell["row"], cell["column"])] = cell["value"]
                    has_formulas = has_formulas or cell["data_type"] == "f"
        if parser.merged_cells is not None:
            for merged in parser.merged_cells.mergeCell:
                min_col, min_row, max_col, max_row = range_boundaries(merged.ref)
                for r in range(min_row, max_row + 1):
                    for c in range(min_col, max_col + 1):
                        if (r, c) != (min_row, min_col):
                            cells.pop((r, c), None)  # hidden by the merge: no value in the full workbook either
        return {k: v for k, v in cells.items() if v is not None}, has_formulas

    def values(self) -> dict[tuple[int, int], object]:
        """The cells as last calculated (data_only=True): a formula's cached value, left out when it has none."""
        if self._values_error is not None:
            raise self._values_error
        return self._values

    def is_form(self) -> bool:
        """Whether this looks like one of our forms (a «Svar» sheet with the form-ID label in column B)."""
        if not self.has_form:
            return False
        return any(value == LABEL_FORM_ID for (r, c), value in self.typed.items()
                   if c == 2 and (self._max_row is None or r <= self._max_row))


def _open_book(path: Path) -> _FormBook | None:
    """The file opened as a workbook, or None when it is not one (then it may be a survey export)."""
    try:
        return _FormBook(path)
    except _OPEN_ERRORS:
        return None


# The name `bosetting skjema` gives a form (feedback_form.form_file_name), also after "Kopi av …" or "… (2)".
_FORM_FILE_NAME = re.compile(r"tilbakemelding_(?P<year>\d{4})_(?P<code>\d{4})(?![0-9])")


def _formula_text(value: object) -> str | None:
    """The formula of a cell read with ``data_only=False`` ("=SUM(C12:C14)"), or None when it holds a value."""
    if isinstance(value, str) and value.startswith("="):
        return value
    text = getattr(value, "text", None)  # array and data-table formulas
    return text if isinstance(text, str) else None


def _identity_problems(file: str, code: str, code_ref: str, name_value: object, name_ref: str | None,
                       lookup: MunicipalityLookup) -> list[Problem]:
    """The form's code against its file name and its name cell: a mismatch means the answer may be someone else's."""
    problems: list[Problem] = []
    here = f"{code} {lookup.name(code)}"
    m = _FORM_FILE_NAME.search(file)
    if m and m.group("code") != code:
        named = m.group("code") + (f" {lookup.name(m.group('code'))}" if m.group("code") in lookup.names else "")
        problems.append(Problem(
            file, f"samme kommune i filnavnet ({named}) og i cellen {code_ref} (rett skjemaet eller filnavnet, "
                  "eller be kommunen sende skjemaet på nytt)", found=here, column=code_ref))
    name_text = _cell_text(name_value)
    if name_ref is not None and name_text and lookup.find(name_text) != code:
        problems.append(Problem(
            file, f"kommunenavnet for {here} (cellen {code_ref}) også i cellen {name_ref} (rett skjemaet eller be "
                  "kommunen sende det på nytt)", found=name_text, column=name_ref))
    return problems


def _stray_cells(typed: Mapping[tuple[int, int], object], values: Mapping[tuple[int, int], object],
                 question_rows: dict[int, str]) -> list[str]:
    """Flags for values typed outside the answer cells of the questions (beside or below them)."""
    if not question_rows:
        return []
    first = min(question_rows)
    help_col = openpyxl.utils.column_index_from_string(HELP_COLUMN)
    answer_col = openpyxl.utils.column_index_from_string(ANSWER_COLUMN)
    flags = []
    for (r, c) in sorted(k for k in typed if k[0] >= first and k[1] >= answer_col):  # row by row, as typed
        value = typed[(r, c)]
        if isinstance(value, str) and not value.strip():
            continue
        if c == answer_col and r in question_rows:
            continue  # the answer cell itself
        if c == help_col and r in question_rows:
            continue  # the form's help text
        above = [q for q in question_rows if q <= r]
        near = question_rows[max(above)] if above else question_rows[first]
        where = f"{ANSWER_COLUMN}{max(above) if above else first}"
        coordinate = f"{get_column_letter(c)}{r}"
        shown = _cell_text(values.get((r, c))) or str(value)
        flags.append(f"svar i feil celle: {coordinate} har «{shown}», men svaret på «{near}» skal stå i {where}")
    return flags


def _read_form(path: Path, year: int, lookup: MunicipalityLookup,
               book: _FormBook | None = None) -> tuple[dict | None, list[Problem]]:
    """One returned form: its answer row (None when the form cannot be used) and the problems found in it.

    ``book`` is the file already opened (by :func:`read_feedback_folder`), so it is not opened again.
    """
    file = path.name
    try:
        book = book or _FormBook(path)
        # The cells as last calculated, and (book.typed) as typed: a formula the saving program did not calculate
        # has no value.
        values = book.values() if book.has_form else {}
    except (*_OPEN_ERRORS, ValueError) as exc:
        return None, [Problem(file, "en Excel-arbeidsbok (.xlsx) med tilbakemeldingsskjemaet", found=type(exc).__name__)]
    if not book.has_form:
        return None, [Problem(file, f"arket «{SHEET_FORM}» fra tilbakemeldingsskjemaet", found=", ".join(book.sheetnames))]
    typed = book.typed

    def value_at(ref: str) -> object:
        return values.get(coordinate_to_tuple(ref))

    rows = label_rows(values)

    # The form-ID cell says which year the form was made for; a form from another year is rejected whole.
    if LABEL_FORM_ID not in rows:
        return None, [Problem(file, f"cellen «{LABEL_FORM_ID}» i kolonne B på arket «{SHEET_FORM}»", found="mangler")]
    id_ref = f"{ANSWER_COLUMN}{rows[LABEL_FORM_ID]}"
    id_text = _cell_text(value_at(id_ref))
    m = FORM_ID_PATTERN.fullmatch(id_text)
    if not m or int(m.group("year")) != year:
        # Named with the form's own version, so the message shows exactly what the cell should have said.
        version = int(m.group("version")) if m else FORM_VERSION
        return None, [Problem(file, f"et skjema for {year} ({form_id(year, version)})", found=id_text, column=id_ref)]

    code_ref = f"{ANSWER_COLUMN}{rows[LABEL_CODE]}" if LABEL_CODE in rows else None
    code_value = value_at(code_ref) if code_ref else None
    code = lookup.find(_cell_text(code_value).zfill(4) if isinstance(code_value, (int, float)) else code_value)
    if code is None:
        return None, [Problem(file, "et kommunenummer i fylket", found=_cell_text(code_value), column=code_ref or LABEL_CODE)]
    name_ref = f"{ANSWER_COLUMN}{rows[LABEL_NAME]}" if LABEL_NAME in rows else None
    if mismatch := _identity_problems(file, code, code_ref, value_at(name_ref) if name_ref else None, name_ref, lookup):
        return None, mismatch

    problems: list[Problem] = []
    flags: list[str] = []
    question_rows = {rows[q.text(year)]: q.text(year) for q in QUESTIONS if q.text(year) in rows}
    flags += _stray_cells(typed, values, question_rows)
    row: dict[str, object] = {"kommunenummer": code, "kommune": lookup.name(code), "kilde": file, "kilde_rad": pd.NA}
    partners: list[str] = []
    filled = bool(flags)  # something typed beside the answer cells is flagged, and the form is not blank
    version = int(m.group("version"))
    row_version = str(version)
    for q in QUESTIONS:
        label = q.text(year)
        if label not in rows and q.since > version:
            continue  # an older form that did not ask this yet
        if label not in rows:
            problems.append(Problem(file, f"spørsmålet «{label}» i kolonne B", found="mangler"))
            continue
        ref = f"{ANSWER_COLUMN}{rows[label]}"
        value = value_at(ref)
        formula = _formula_text(typed.get(coordinate_to_tuple(ref)))
        if value is None and formula is not None:
            # Saved by a program that does not calculate (a script, some web apps): the answer is unknown.
            filled = True
            flags.append(f"formel uten utregnet verdi i {ref} («{formula}», svar på «{label}»): åpne skjemaet i Excel, "
                         "lagre og les inn på nytt, eller skriv tallet inn")
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        filled = True
        bad = Problem(file, f"{q.expected} («{label}»)", found=_cell_text(value), column=ref)
        if q.kind == "heltall":
            n = _as_whole_number(value)
            if n is None:
                problems.append(bad)
                flags.append(f"ugyldig verdi i {ref}: «{_cell_text(value)}»")
            # Keep the text either way: the tolerant parser reads "tretti" later, flagged.
            row[f"{q.key}_tekst"] = str(n) if n is not None else _cell_text(value)
        elif q.kind == "valg":
            choice = _choice(value, q.choices)
            if choice is None:
                problems.append(bad)
            row[q.key] = choice
        elif q.kind == "janei":
            yn = _yes_no(value)
            if yn is None:
                problems.append(bad)
            row[q.key] = yn
        elif q.kind == "kommune":
            partner = lookup.find(value)
            if partner is None:
                flags.append(f"samarbeidskommune «{_cell_text(value)}» er ikke en kommune i fylket")
                partners.append(_cell_text(value))
            elif partner != code:
                partners.append(lookup.name(partner))
        elif q.kind == "dato":
            ts = parse_timestamp(value)
            if ts is None:
                problems.append(bad)
            row["svardato"] = ts
        else:
            row[q.key] = _cell_text(value)
    if not filled:
        return None, problems + [Problem(file, "et utfylt skjema", found="ingen svar er fylt ut")]
    row["samarbeid"] = "; ".join(dict.fromkeys(partners)) if partners else None
    row["innlest_flagg"] = "; ".join(flags) if flags else None
    row["skjemaversjon"] = row_version
    return row, problems


def read_returned_forms(folder: Path | str, *, year: int, municipalities: pd.DataFrame) -> FeedbackReadResult:
    """Read every returned form (*.xlsx) in ``folder`` (or one file); bad forms give problems, not an exception.

    A form for another year, for a municipality outside the county, or that cannot be opened is left out
    (problem reported). A form with a bad cell (text in a number cell, an unknown choice) is kept with that
    answer left empty or, for numbers, kept as text for the tolerant parser; the cell is reported.
    A form with no answers filled in is left out and reported.
    """
    return _read_forms(_form_files(folder), year, municipalities)


# ---------------------------------------------------------------------------------------------------------------
# Survey exports


def _norm_header(h: str) -> str:
    return re.sub(r"\s+", " ", str(h).replace("\ufeff", "")).strip().casefold()


def _is_kommune(h: str) -> bool:
    return (
        h in {"kommune", "kommunenavn", "kommunenummer", "kommunens navn", "navn på kommunen", "kommune (navn)"}
        or bool(re.match(r"^(?:hvilken|hvilket|for hvilken) kommune\b", h))
        or (bool(re.match(r"^kommune\b", h)) and len(h) <= 40)
    )


# Recognised question texts, most specific first; each header goes to the first rule it matches.
_COLUMN_RULES: tuple[tuple[str, object], ...] = (
    ("svar_id", lambda h: h in {"id", "svar-id", "svarid", "$submission_id", "submission id", "respons-id", "løpenummer"}),
    ("tidspunkt", lambda h: any(k in h for k in ("fullføringstidspunkt", "completion time", "fullført", "innsendt",
                                                   "levert", "$created", "sendt inn", "svartidspunkt", "tidsstempel",
                                                   "timestamp", "tidspunkt for innsending"))),
    ("starttidspunkt", lambda h: "starttidspunkt" in h or "start time" in h),
    ("sist_endret", lambda h: "sist endret" in h or "last modified" in h or "siste endring" in h),
    ("kontakt_epost", lambda h: h in {"e-post", "epost", "email", "e-mail", "e-postadresse"} or "e-post" in h or "epost" in h),
    ("kontakt_telefon", lambda h: "telefon" in h or "mobil" in h or h in {"tlf", "tlf.", "phone"}),
    ("kontaktperson", lambda h: "kontaktperson" in h or h in {"navn", "name", "ditt navn", "fullt navn"}),
    ("familiegjenforente", lambda h: "familiegjenforen" in h and "hvor mange" in h),
    ("familiegjenforening_kommentar", lambda h: "familiegjenforen" in h),
    ("bolig", lambda h: "bolig" in h),
    ("saerlige_behov", lambda h: "særlige behov" in h or "funksjonsevne" in h or "funksjonsnedsett" in h),
    ("em_kapasitet", lambda h: "hvor mange" in h and ("enslig" in h or "mindreårig" in h)),
    ("em_kan_bosette", lambda h: "enslig" in h or "mindreårig" in h),
    ("kapasitet_kommentar", lambda h: "kommentar" in h and ("antall" in h or "kapasitet" in h)),
    ("kapasitet", lambda h: ("hvor mange" in h and any(k in h for k in ("flyktning", "bosette", "personer")))
     or "kapasitet" in h),
    ("onske", lambda h: "ønske" in h or "sammenlignet med" in h),
    ("interkommunalt_samarbeid", lambda h: "interkommunalt" in h and (h.startswith("har") or "ja/nei" in h)),
    ("samarbeid", lambda h: any(k in h for k in ("hvilke kommuner", "samarbeidskommune", "samarbeider dere med",
                                                   "samarbeider med", "samarbeidspartner"))),
    ("samarbeid_tekst", lambda h: "samarbeid" in h),
    ("kvalifiseringstilbud", lambda h: "kvalifisering" in h or "opplæring" in h),
    ("arbeidskraftbehov", lambda h: "arbeidskraft" in h or "yrke" in h or "kompetanse" in h),
    ("kommune", _is_kommune),
    ("kommentar", lambda h: "kommentar" in h or "andre opplysninger" in h or h in {"annet", "merknader"}),
)
EXPORT_KEYS = tuple(k for k, _ in _COLUMN_RULES)


def default_column_map(headers: Iterable[str]) -> dict[str, str]:
    """Which export column holds which answer, recognised from typical Norwegian (and English) question texts."""
    mapping: dict[str, str] = {}
    for header in headers:
        h = _norm_header(header)
        for key, rule in _COLUMN_RULES:
            if key not in mapping and rule(h):
                mapping[key] = header
                break
    return mapping


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older Norwegian Excel/Windows exports; the five bytes cp1252 leaves undefined must not stop the reading.
        return raw.decode("cp1252", errors="replace")


def _split_csv(text: str) -> list[list[str]]:
    """Parse CSV text with whichever of ; , tab gives the most consistent table."""
    best: tuple[tuple[int, int], list[list[str]]] | None = None
    for delimiter in (";", ",", "\t"):
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)]
        if not rows or len(rows[0]) < 2:
            continue
        score = (sum(len(r) == len(rows[0]) for r in rows), len(rows[0]))
        if best is None or score > best[0]:
            best = (score, rows)
    if best is None:
        return [r for r in csv.reader(io.StringIO(text, newline=""))]
    return best[1]


def _read_table(path: Path) -> tuple[list[str], list[list[object]]]:
    """Header and rows of an export (CSV in any usual encoding/separator, or the first sheet of an xlsx)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        try:
            values = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
        values = [r for r in values if any(v is not None and str(v).strip() for v in r)]
        if not values:
            return [], []
        header = [_cell_text(v) for v in values[0]]
        return header, values[1:]
    rows = _split_csv(_decode(path.read_bytes()))
    if not rows:
        return [], []
    return [h.replace("\ufeff", "").strip() for h in rows[0]], [list(r) for r in rows[1:]]


def _split_partners(text: str) -> list[str]:
    # Microsoft Forms joins multiple choices with ";" (and ends with one); people write commas and "og".
    return [p.strip() for p in re.split(r"[;,\n/]|\s+og\s+", text) if p.strip()]


def read_survey_export(
    path: Path | str,
    *,
    year: int,
    municipalities: pd.DataFrame,
    column_map: Mapping[str, str] | None = None,
) -> FeedbackReadResult:
    """Read a survey-tool export (one row per answer; CSV with ; or , in UTF-8/Windows-1252, or xlsx).

    ``column_map`` maps answer keys (see ``EXPORT_KEYS``, e.g. ``{"kapasitet": "Antall i 2026"}``) to column
    headers; keys it leaves out are recognised from typical question texts by :func:`default_column_map`.
    """
    path = Path(path)
    file = path.name
    lookup = MunicipalityLookup(municipalities)
    try:
        header, rows = _read_table(path)
    except (InvalidFileException, zipfile.BadZipFile, OSError, csv.Error) as exc:
        return _result(_empty_answers(), [Problem(file, "en eksportfil (CSV eller xlsx)", found=f"{type(exc).__name__}: {exc}")],
                       lookup, municipalities)
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    for key, col in (column_map or {}).items():
        if key not in EXPORT_KEYS:
            problems.append(Problem(file, "en kjent nøkkel i kolonnekartet: " + ", ".join(EXPORT_KEYS), found=key))
        elif col not in header:
            problems.append(Problem(file, f"kolonnen «{col}» (for «{key}»)", found="mangler", column=col))
        else:
            mapping[key] = col
    auto = default_column_map([h for h in header if h not in mapping.values()])
    mapping = {**{k: v for k, v in auto.items() if k not in mapping}, **mapping}
    if "tidspunkt" not in mapping:
        for fallback in ("sist_endret", "starttidspunkt"):
            if fallback in mapping:
                mapping["tidspunkt"] = mapping[fallback]
                break

    if "kommune" not in mapping:
        problems.append(Problem(file, "en kolonne for kommune (for eksempel «Kommune»)", found=", ".join(header), row=1))
        return _result(_empty_answers(), problems, lookup, municipalities)
    if "kapasitet" not in mapping:
        problems.append(Problem(file, f"en kolonne for hvor mange kommunen kan bosette i {year}", found=", ".join(header), row=1))
    # Question texts that name another year mean the export belongs to another round.
    for key in ("kapasitet", "em_kapasitet", "onske"):
        if key in mapping:
            years = {int(y) for y in re.findall(r"\b(20\d\d)\b", mapping[key])}
            if years and year not in years:
                problems.append(Problem(file, f"spørsmål om bosetting i {year}", found=mapping[key], row=1, column=mapping[key]))
                return _result(_empty_answers(), problems, lookup, municipalities)

    index = {h: i for i, h in enumerate(header)}

    def get(rec: list[object], key: str) -> object:
        if key not in mapping:
            return None
        i = index[mapping[key]]
        return rec[i] if i < len(rec) else None

    records = []
    for n, rec in enumerate(rows, start=2):  # spreadsheet row numbers: the header is row 1
        if not any(v is not None and str(v).strip() for v in rec):
            continue
        flags: list[str] = []
        kommune_raw = get(rec, "kommune")
        code = lookup.find(kommune_raw)
        if code is None:
            problems.append(Problem(file, "en kommune i fylket (navn eller kommunenummer)", found=_cell_text(kommune_raw),
                                    row=n, column=mapping["kommune"]))
            continue
        when_raw = get(rec, "tidspunkt")
        when = parse_timestamp(when_raw)
        if when is None and _cell_text(when_raw):
            problems.append(Problem(file, "et tidspunkt (f.eks. 02.05.2025 10:15)", found=_cell_text(when_raw), row=n,
                                    column=mapping["tidspunkt"]))
        row: dict[str, object] = {
            "kommunenummer": code, "kommune": lookup.name(code), "svardato": when,
            "kapasitet_tekst": _cell_text(get(rec, "kapasitet")) or None,
            "em_kapasitet_tekst": _cell_text(get(rec, "em_kapasitet")) or None,
            "familiegjenforente_tekst": _cell_text(get(rec, "familiegjenforente")) or None,
            "kilde": file, "kilde_rad": n,
        }
        for key in ("em_kan_bosette", "interkommunalt_samarbeid"):
            text = _cell_text(get(rec, key))
            row[key] = _yes_no(text) if text else None
            if text and row[key] is None:
                flags.append(f"uklart ja/nei-svar i «{mapping[key]}»: «{text}»")
        wish = _cell_text(get(rec, "onske"))
        row["onske"] = _choice(wish, WISH_CHOICES) if wish else None
        if wish and row["onske"] is None:
            flags.append(f"ukjent svar om ønske: «{wish}»")
        partners_text = _cell_text(get(rec, "samarbeid"))
        partners = []
        for part in _split_partners(partners_text):
            found = lookup.find(part)
            if found is None:
                flags.append(f"samarbeidskommune «{part}» er ikke en kommune i fylket")
                partners.append(part)
            elif found != code:
                partners.append(lookup.name(found))
        row["samarbeid"] = "; ".join(dict.fromkeys(partners)) if partners else None
        for key in TEXT_KEYS:
            row[key] = _cell_text(get(rec, key)) or None
        row["innlest_flagg"] = "; ".join(flags) if flags else None
        records.append(row)
    answers = pd.DataFrame.from_records(records) if records else _empty_answers()
    return _result(answers, problems, lookup, municipalities)


def read_feedback_folder(folder: Path | str, *, year: int, municipalities: pd.DataFrame,
                         column_map: Mapping[str, str] | None = None) -> FeedbackReadResult:
    """Read a round's folder: our xlsx forms, then survey exports (*.csv, and xlsx files that are not our forms)."""
    folder = Path(folder)
    files = _form_files(folder)
    books = {p: _open_book(p) for p in files}  # each file opened once, for telling forms apart and for reading
    forms = [p for p in files if books[p] is not None and books[p].is_form()]
    exports = sorted([*(p for p in files if p not in forms), *folder.glob("*.csv")])
    results = [_read_forms(forms, year, municipalities, {p: books[p] for p in forms})]
    results += [read_survey_export(p, year=year, municipalities=municipalities, column_map=column_map) for p in exports]
    return combine_feedback(*results)


def _read_forms(paths: list[Path], year: int, municipalities: pd.DataFrame,
                books: Mapping[Path, _FormBook] | None = None) -> FeedbackReadResult:
    lookup = MunicipalityLookup(municipalities)
    records, problems = [], []
    for path in paths:
        row, found = _read_form(path, year, lookup, (books or {}).get(path))
        problems.extend(found)
        if row is not None:
            records.append(row)
    answers = pd.DataFrame.from_records(records) if records else _empty_answers()
    return _result(answers, problems, lookup, municipalities)


# ---------------------------------------------------------------------------------------------------------------
# The processed table


def _int_or_na(value: int | None) -> object:
    return pd.NA if value is None else int(value)


def feedback_table(result: FeedbackReadResult, *, last_year_request: pd.Series | None = None) -> pd.DataFrame:
    """One row per county municipality (also those that did not answer) with parsed capacities and Norwegian flags.

    ``last_year_request`` (indexed by kommunenummer) resolves «som i fjor» to last year's request, flagged.
    «Ønsker ikke å bosette» (as the wish or in the capacity text) gives ``avslar`` True and a capacity of 0.
    The contact columns stay here; use :func:`public_feedback_table` for anything published.
    """
    answers = result.answers.set_index("kommunenummer", drop=False)
    dup_counts = result.duplicates["kommunenummer"].value_counts() if len(result.duplicates) else pd.Series(dtype="int64")
    last = last_year_request.copy() if last_year_request is not None else pd.Series(dtype="Float64")
    last.index = last.index.astype(str)
    records = []
    for code, name in zip(result.municipalities["kommunenummer"], result.municipalities["kommune"], strict=True):
        code = str(code)
        rec: dict[str, object] = {"kommunenummer": code, "kommune": name}
        if code not in answers.index:
            rec.update(svart=False, flagg="har ikke svart")
            records.append(rec)
            continue
        a = answers.loc[code]
        flags: list[str] = []
        if not pd.isna(a["innlest_flagg"]):
            flags.append(str(a["innlest_flagg"]))
        if code in dup_counts.index:
            flags.append(f"svarte {int(dup_counts[code]) + 1} ganger; det siste svaret er brukt")

        text = None if pd.isna(a["kapasitet_tekst"]) else str(a["kapasitet_tekst"])
        cap = parse_capacity(text)
        lo, hi = cap.min, cap.max
        # The generic «som i fjor» note is replaced by how it was resolved below.
        notes = [n for n in cap.note.split("; ") if n and n != SAME_AS_LAST_YEAR_NOTE]
        if notes:
            flags.append("kapasitet: " + "; ".join(notes))
        if cap.same_as_last_year:
            prev = last.get(code, pd.NA)
            if not pd.isna(prev):
                lo = hi = int(prev)
                flags.append(f"«som i fjor» er tolket som fjorårets anmodning ({int(prev)})")
            else:
                flags.append("«som i fjor», men fjorårets anmodning er ukjent")

        wish = None if pd.isna(a["onske"]) else str(a["onske"])
        declines = cap.declines or wish == WISH_DECLINES
        if wish == WISH_DECLINES and hi not in (None, 0):
            flags.append(f"ønsker ikke å bosette, men oppgir kapasitet «{text}»; kapasitet satt til 0")
        if cap.declines and wish in ("Flere enn før", "Som før"):
            flags.append(f"kapasitet «{text}», men ønsket er «{wish}»")
        if declines:
            lo, hi = 0, 0

        reunion_text = a.get("familiegjenforente_tekst")
        reunion = None
        if isinstance(reunion_text, str) and reunion_text.strip() and not pd.isna(reunion_text):
            parsed = parse_capacity(reunion_text)
            reunion = parsed.max if parsed.max is not None else parsed.min
            if reunion is None:
                flags.append(f"familiegjenforente: kunne ikke lese «{reunion_text}»")

        em_ok = None if pd.isna(a["em_kan_bosette"]) else bool(a["em_kan_bosette"])
        em_text = None if pd.isna(a["em_kapasitet_tekst"]) else str(a["em_kapasitet_tekst"])
        em: int | None = None
        if em_text:
            em_parse = parse_capacity(em_text)
            em = em_parse.max if em_parse.max is not None else em_parse.min
            if em_parse.uncertain and em_parse.note != "kapasitet ikke oppgitt":
                flags.append(f"enslige mindreårige: {em_parse.note}")
        elif cap.em is not None:
            em = cap.em
        if em is None and em_ok is False:
            em = 0
        if em_ok is False and em not in (None, 0):
            flags.append(f"svarer nei til enslige mindreårige, men oppgir {em}")
        if em is not None and hi is not None and em > hi:
            flags.append(f"flere enslige mindreårige ({em}) enn totalt ({hi})")
        if declines and em:
            flags.append("ønsker ikke å bosette, men oppgir enslige mindreårige")

        rec.update(
            svart=True, svardato=a["svardato"], kapasitet_min=_int_or_na(lo), kapasitet_maks=_int_or_na(hi),
            kapasitet_tekst=text, kapasitet_kommentar=a["kapasitet_kommentar"], avslar=declines, onske=wish,
            em_kan_bosette=em_ok, em_kapasitet=_int_or_na(em),
            interkommunalt_samarbeid=a["interkommunalt_samarbeid"], samarbeid=a["samarbeid"],
            samarbeid_tekst=a["samarbeid_tekst"], kvalifiseringstilbud=a["kvalifiseringstilbud"],
            arbeidskraftbehov=a["arbeidskraftbehov"], kommentar=a["kommentar"],
            kilde=a["kilde"] if pd.isna(a["kilde_rad"]) else f"{a['kilde']}, rad {int(a['kilde_rad'])}",
            flagg="; ".join(dict.fromkeys(flags)),
            kontaktperson=a["kontaktperson"], kontakt_epost=a["kontakt_epost"], kontakt_telefon=a["kontakt_telefon"],
            familiegjenforente=_int_or_na(reunion), familiegjenforening_kommentar=a.get("familiegjenforening_kommentar"),
            bolig=a.get("bolig"), saerlige_behov=a.get("saerlige_behov"), skjemaversjon=a.get("skjemaversjon"),
        )
        records.append(rec)

    df = pd.DataFrame.from_records(records).reindex(columns=list(FEEDBACK_COLUMNS))
    df["svart"] = df["svart"].astype(bool)
    df["svardato"] = pd.to_datetime(df["svardato"]).astype("datetime64[us]")
    for c in ("kapasitet_min", "kapasitet_maks", "em_kapasitet", "familiegjenforente"):
        df[c] = df[c].astype("Int64")
    for c in ("avslar", "em_kan_bosette", "interkommunalt_samarbeid"):
        df[c] = df[c].astype("boolean")
    for c in FEEDBACK_COLUMNS:
        if c not in ("svart", "svardato", "kapasitet_min", "kapasitet_maks", "em_kapasitet", "familiegjenforente", "avslar",
                     "em_kan_bosette", "interkommunalt_samarbeid"):
            df[c] = df[c].astype("str")
    df["flagg"] = df["flagg"].fillna("")
    return df.sort_values("kommunenummer", kind="stable").reset_index(drop=True)


def scrub_contact_info(text: object, names: Iterable[str] = ()) -> object:
    """Remove e-mail addresses, Norwegian phone numbers and the given person names from a text (NA stays NA)."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return text
    s = str(text)
    for name in names:
        if isinstance(name, str) and len(name.strip()) >= 3:
            s = re.sub(rf"(?<!\w){re.escape(name.strip())}(?!\w)", CONTACT_REPLACEMENT, s, flags=re.IGNORECASE)
    return remove_contact_info(s)


def public_feedback_table(df: pd.DataFrame) -> pd.DataFrame:
    """The feedback table for publishing: contact columns dropped, contact details scrubbed from all free text.

    Also removes each row's own contact person's name from its texts. Text is not HTML-escaped here (the
    report does that) and nothing is un-escaped.
    """
    out = df.drop(columns=[c for c in CONTACT_COLUMNS if c in df.columns])
    names = df["kontaktperson"] if "kontaktperson" in df.columns else pd.Series([pd.NA] * len(df), index=df.index)
    text_columns = [c for c in out.columns if c != "kommunenummer"
                    and (pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object)]
    for c in text_columns:
        out[c] = pd.Series(
            [scrub_contact_info(v, [n] if isinstance(n, str) else []) for v, n in zip(out[c], names, strict=True)],
            index=out.index, dtype=out[c].dtype,
        )
    return out
