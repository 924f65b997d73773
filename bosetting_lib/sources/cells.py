"""Cell-level helpers shared by the readers: SSB/IMDi symbols, numbers with decimal comma, encodings, CSV rows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from bosetting_lib.errors import Problem

# SSB's standard symbols (https://www.ssb.no/en/help/symbols-in-tables). Never zero, never dropped.
SSB_SYMBOLS: dict[str, str] = {
    ".": "ikke mulig å oppgi tall",
    "..": "tallgrunnlag mangler",
    "...": "ikke tilgjengelig ennå",  # normalised to "…"
    "…": "ikke tilgjengelig ennå",
    ":": "vises ikke av konfidensialitetshensyn",
    "-": "null (ingenting å rapportere)",
}
# IMDi's tables use ":" (suppressed, usually fewer than 5 persons) and "-" (no decision because the request was 0).
IMDI_SYMBOLS: dict[str, str] = {
    ":": "prikket (vanligvis færre enn 5 personer)",
    "-": "ikke vedtak fordi anmodningen var 0",
}
# Free-text remarks IMDi publishes in number cells; kept as status, never read as a number.
IMDI_TEXT_PATTERN = re.compile(r"^(avventer|ikke|under behandling|venter|mangler)\b[\w\s.]*$", re.IGNORECASE)

# Priority when parts of a merged figure carry different statuses: the most restrictive one wins.
STATUS_PRIORITY: tuple[str, ...] = (":", "..", "…", ".", "-")

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})


@dataclass(frozen=True)
class Parsed:
    """One parsed cell: a number, or a status (symbol/text), or an error text for a Problem."""

    value: float | None = None
    status: str | None = None
    error: str | None = None


def normalise_symbol(text: str) -> str:
    """The canonical form of a symbol cell ("..." → "…", surrounding whitespace removed)."""
    text = text.strip()
    return "…" if text == "..." else text


def parse_number(text: str) -> float | None:
    """A number written with decimal comma or point and optional space thousands separators, else None."""
    s = _SPACES.sub("", text.translate(_MINUS))
    if not s:
        return None
    if "," in s and "." in s:
        # the last separator is the decimal one: "1.234,5" or "1,234.5"
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if s.count(",") > 1:
            return None
        s = s.replace(",", ".")
    if not _NUMBER.match(s):
        return None
    return float(s)


def parse_cell(
    raw: object,
    *,
    symbols: dict[str, str] = SSB_SYMBOLS,
    text_pattern: re.Pattern[str] | None = None,
    nonnegative: bool = False,
) -> Parsed:
    """Parse one value cell into number or status; errors are Norwegian 'expected' texts."""
    symbol_list = " ".join(dict.fromkeys(normalise_symbol(s) for s in symbols))
    if raw is None or (isinstance(raw, float) and raw != raw):
        return Parsed(error=f"et tall eller et symbol ({symbol_list}), ikke en tom celle")
    if isinstance(raw, bool):
        return Parsed(error=f"et tall eller et symbol ({symbol_list})")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return Parsed(error=f"et tall eller et symbol ({symbol_list}), ikke en tom celle")
        if text in symbols:
            return Parsed(status=normalise_symbol(text))
        value = parse_number(text)
        if value is None:
            if text_pattern is not None and text_pattern.match(text):
                return Parsed(status=" ".join(text.split()))
            extra = " eller en merknad som «avventer vedtak»" if text_pattern is not None else ""
            return Parsed(error=f"et tall eller et symbol ({symbol_list}){extra}")
    if nonnegative and value < 0:
        return Parsed(error="et antall (0 eller mer), ikke et negativt tall")
    return Parsed(value=value)


def parse_year(raw: object) -> int | None:
    """A four-digit year (1900–2100) from a cell such as "2024" or 2024.0, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if raw != raw or int(raw) != raw:
            return None
        year = int(raw)
    else:
        text = str(raw).strip()
        if not re.fullmatch(r"\d{4}", text):
            return None
        year = int(text)
    return year if 1900 <= year <= 2100 else None


# --- encodings -----------------------------------------------------------------------------------------------

# UTF-8 bytes shown as Windows-1252 ("TrÃ¸ndelag"): Ã or Â followed by a character from the 0x80–0xBF block.
_MOJIBAKE = re.compile(
    "[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# Characters that in a Norwegian text only appear inside a word when the bytes were decoded with the wrong table
# (e.g. a DOS/Mac file read as Windows-1252). Sámi š/ž are legitimate and not listed.
_ODD_IN_WORD = re.compile(
    "(?<=\\w)[\u0080-\u009f\u0192\u201e\u2020\u2021\u02c6\u2030\u2039\u0152\u201c\u201d\u2022\u02dc"
    "\u2122\u203a\u0153\u0178\u00bf\u00be\ufffd](?=\\w)"
)


@dataclass(frozen=True)
class Decoded:
    """Text decoded from a file's bytes, with the encoding that was used."""

    text: str
    encoding: str


def find_garbled(text: str) -> tuple[str, str] | None:
    """The first garbled word in ``text`` and a Norwegian explanation, or None when the text looks clean."""
    for pattern, why in (
        (_MOJIBAKE, "UTF-8-tekst som er lest som Windows-1252 og lagret på nytt (dobbeltkodet)"),
        (re.compile("\ufffd"),
         "erstatningstegnet «\ufffd»: tegn som gikk tapt da filen ble lagret med feil tegnkoding"),
        (_ODD_IN_WORD, "tegn som tyder på en annen tegnkoding enn UTF-8 eller Windows-1252"),
    ):
        m = pattern.search(text)
        if m:
            start = max(text.rfind(c, 0, m.start()) for c in " ;,\t\n\"<>") + 1
            ends = [i for i in (text.find(c, m.end()) for c in " ;,\t\r\n\"<>") if i >= 0]
            return text[start : min(ends) if ends else len(text)], why
    return None


_MAGIC = ((b"PK\x03\x04", "en Excel-arbeidsbok (xlsx) eller en annen zip-fil"),
          (b"\xd0\xcf\x11\xe0", "en gammel Excel-fil (xls)"), (b"%PDF", "en PDF-fil"))


def binary_kind(data: bytes) -> str | None:
    """What a binary file given a text name really is (an xlsx saved as .csv), or None for text."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def decode_bytes(data: bytes, *, file: str, declared: str | None = None) -> tuple[Decoded | None, list[Problem]]:
    """Decode a text file: BOM, then the declared charset, then strict UTF-8, then Windows-1252; refuse garbled text."""
    if (kind := binary_kind(data)) is not None:
        return None, [Problem(file, expected=f"en tekstfil (CSV); dette er {kind} med feil filnavn. Åpne den i programmet "
                              "og lagre som CSV (UTF-8, semikolondelt), eller last ned CSV-filen på nytt",
                              found=kind, row=1)]
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = [declared] if declared else []
        candidates += ["utf-8", "cp1252"]
    text = encoding = None
    for enc in candidates:
        try:
            text = data.decode(enc)
            encoding = enc
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        # Windows-1252 leaves five bytes undefined; Latin-1 maps them to control characters the check below catches.
        text, encoding = data.decode("latin-1"), "latin-1"
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        found = find_garbled(line)
        if found:
            word, why = found
            problems.append(
                Problem(
                    file,
                    expected=f"lesbar tekst i UTF-8 eller Windows-1252, men filen (lest som "
                    f"{encoding_label(encoding)}) inneholder {why}; last ned eller lagre filen på nytt som UTF-8",
                    found=word,
                    row=lineno,
                )
            )
            if len(problems) >= 3:  # a few examples are enough: the whole file needs re-saving
                break
    return (None if problems else Decoded(text, encoding)), problems


def encoding_label(encoding: str) -> str:
    """A Norwegian-facing name of an encoding."""
    return {
        "utf-8-sig": "UTF-8 med BOM",
        "utf-8": "UTF-8",
        "cp1252": "Windows-1252",
        "latin-1": "Latin-1",
        "utf-16": "UTF-16",
    }.get(encoding, encoding)


# --- CSV -----------------------------------------------------------------------------------------------------

DELIMITERS = (";", ",", "\t")


def sniff_delimiter(header_line: str) -> str | None:
    """The delimiter that splits the header line cleanly (quotes intact) into most fields (at least two), or None."""
    best, best_n = None, 1
    for delim in DELIMITERS:
        try:
            fields = next(csv.reader([header_line], delimiter=delim, strict=True))
        except (csv.Error, StopIteration):
            continue
        if len(fields) > best_n:
            best, best_n = delim, len(fields)
    return best


@dataclass(frozen=True)
class CsvTable:
    """Rows of a CSV text with their spreadsheet row numbers (header = the first non-empty row)."""

    rows: list[list[str]]
    row_numbers: list[int]
    delimiter: str


def read_csv_text(
    text: str, *, file: str, header_hint: re.Pattern[str] | None = None
) -> tuple[CsvTable | None, list[Problem]]:
    """Split CSV text into rows (sniffing ; , or tab) and report a wrong separator or a cut-off file."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None, [Problem(file, expected="en fil med overskriftsrad og datarader", found="tom fil", row=1)]
    header_line = lines[0]
    if header_hint is not None:
        header_line = next((ln for ln in lines[:15] if header_hint.search(ln)), lines[0])
    delimiter = sniff_delimiter(header_line)
    if delimiter is None:
        shown = header_line if len(header_line) <= 80 else header_line[:77] + "..."
        return None, [
            Problem(
                file,
                expected="kolonner skilt med semikolon (;), komma (,) eller tabulator – fant bare én kolonne, "
                "så skilletegnet er feil eller filen er lagret med alt i én celle",
                found=shown,
                row=1,
            )
        ]
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rowno = 0
    try:
        for record in reader:
            rowno += 1
            rows.append(record)
            numbers.append(rowno)
    except csv.Error as exc:
        problems.append(
            Problem(
                file,
                expected="en hel rad med avsluttede anførselstegn (filen ser ut til å være avkortet eller skadet)",
                found=f"CSV-feil: {exc}",
                row=rowno + 1,
            )
        )
    # drop empty records (blank lines) but keep the numbering the spreadsheet shows
    kept = [(r, n) for r, n in zip(rows, numbers) if any(c.strip() for c in r)]
    return CsvTable([r for r, _ in kept], [n for _, n in kept], delimiter), problems


def clean_header(text: str) -> str:
    """A header cell without BOM, surrounding quotes and surplus whitespace."""
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    return " ".join(text.strip().strip('"').split())


# --- region cells ("5001 Trondheim - Tråante", "K-5001", "50 Trøndelag", "Hele landet") ------------------------

_MUNICIPALITY_CELL = re.compile(r"^(?:K-)?(\d{4})(?:\s+(.*))?$")
_COUNTY_CELL = re.compile(r"^(?:F-)?(\d{2})(?:\s+(.*))?$")
_NATIONAL_CELL = re.compile(r"^(?:0+\s+)?(hele landet|landet i alt|norge|i alt|the whole country)$", re.IGNORECASE)


@dataclass(frozen=True)
class Region:
    """A classified region cell: kind is "kommune", "fylke", "landet", "annet" (not a municipality) or "navn"."""

    kind: str
    code: str | None
    name: str


def classify_region(text: str) -> Region:
    """Classify a StatBank region cell by its code (or, without a code, leave the name for matching)."""
    s = " ".join(str(text).replace("\u00a0", " ").split())
    if _NATIONAL_CELL.match(s) or s == "0":
        return Region("landet", None, s)
    m = _MUNICIPALITY_CELL.match(s)
    if m:
        code, name = m.group(1), (m.group(2) or "").strip()
        # 21xx Svalbard, 22xx Jan Mayen, 23xx continental shelf and xx99 "Uoppgitt" are not municipalities
        if code[:2] in {"21", "22", "23"} or code.endswith("99") or name.casefold().startswith("uoppgitt"):
            return Region("annet", code, name)
        return Region("kommune", code, name)
    m = _COUNTY_CELL.match(s)
    if m:
        return Region("fylke", m.group(1), (m.group(2) or "").strip())
    if re.match(r"^\d", s) or not s:
        return Region("ugyldig", None, s)
    return Region("navn", None, s)
