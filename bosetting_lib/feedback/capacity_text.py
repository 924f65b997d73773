"""Tolerant parser for the municipalities' free-text answers about how many refugees they can settle.

Municipalities answer "inntil 30", "20–25", "ca. 15 personer", "som i fjor" or "avventer kommunestyrevedtak".
The parser turns such text into a lower and upper bound and flags every answer an analyst should look at
(``uncertain``) with a Norwegian note saying why. It never guesses silently.

Conventions:
- an upper bound only ("inntil 30", "maks 30") gives ``min=None, max=30``: the municipality has not promised a floor;
- a lower bound only ("minst 10", "10+") gives ``min=10, max=None``;
- an approximate figure ("ca. 15") counts as that figure and is not flagged (it is how numbers are usually given);
- "0", "nei", "ingen", "ønsker ikke å bosette" give ``declines=True`` and ``min=max=0``; only explicit refusals do:
  text the parser does not understand ("ikke behandlet ennå", "se vedlegg", "ingen kommentar") is flagged, never
  read as a refusal;
- a negation scopes over the bound that follows it: "ikke kapasitet til mer enn 10" is at most 10 and "ikke under 10"
  at least 10;
- "ingen øvre grense", "ubegrenset" give ``no_cap=True`` and no bounds (a legitimate answer, not flagged);
- "som i fjor", "ingen endring" give ``same_as_last_year=True`` with no numbers; the caller resolves it to last
  year's figure;
- a count of unaccompanied minors inside the text ("herav 5 enslige mindreårige", "5 EM") goes to ``em``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# Above this a figure is implausible for one municipality's yearly settlement (Trondheim was asked for 845 in 2024).
PLAUSIBLE_MAX = 2000
SAME_AS_LAST_YEAR_NOTE = "«som i fjor»: må tolkes som fjorårets tall"


@dataclass(frozen=True)
class CapacityParse:
    """The parsed answer: bounds, what kind of answer it is, and a Norwegian note when it needs a human look."""

    min: int | None
    max: int | None
    declines: bool
    same_as_last_year: bool
    uncertain: bool
    note: str
    original: str
    em: int | None = None  # unaccompanied minors mentioned in the text ("herav 5 EM"), part of the total
    no_cap: bool = False  # the answer says there is no upper limit ("ingen øvre grense")


_UNITS = {
    "null": 0, "én": 1, "ett": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7, "syv": 7,
    "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15,
    "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19,
}
_TENS = {
    "tjue": 20, "tyve": 20, "tretti": 30, "tredve": 30, "førti": 40, "femti": 50, "seksti": 60,
    "sytti": 70, "åtti": 80, "nitti": 90, "hundre": 100, "hundrede": 100,
}
_SMALL_UNITS = {k: v for k, v in _UNITS.items() if 1 <= v <= 9}
_TENS_RE = "|".join(sorted(_TENS, key=len, reverse=True))
_UNITS_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_SMALL_RE = "|".join(sorted(_SMALL_UNITS, key=len, reverse=True))
# "tjuefem", "tjue-fem", "tjue fem", "femogtjue" (the old order), or a plain unit/ten word.
_NUMBER_WORD = re.compile(
    rf"(?<![\wæøå])(?:(?P<u1>{_SMALL_RE})og(?P<t1>{_TENS_RE})|(?P<t2>{_TENS_RE})(?:[\s-]?(?P<u2>{_SMALL_RE}))?"
    rf"|(?P<u3>{_UNITS_RE}))(?![\wæøå])"
)

_MONTHS = r"jan(?:uar)?|feb(?:ruar)?|mar(?:s)?|apr(?:il)?|mai|jun(?:i)?|jul(?:i)?|aug(?:ust)?|sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|des(?:ember)?"
_DATE = re.compile(rf"\b\d{{1,2}}\.\s*(?:{_MONTHS})\b|\b\d{{1,2}}\.\d{{1,2}}(?:\.\d{{2,4}})?\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b")
_YEAR = re.compile(r"\b20[1-4]\d\b")  # the years this tool deals with, not capacities
_EM = r"(?:em|ema|enslige?\s+mindreårige?|mindreårige?|enslige)"
_EM_HERAV = re.compile(rf"\(?\s*(?:herav|hvorav|av\s+disse|av\s+dem|inkl\.?|inkludert|medregnet)\s+(\d+)\s*{_EM}\b\s*\)?")
_EM_SUM = re.compile(rf"(\d+)\s*(?:voksne|personer|pers\.?|familie\w*|andre)?\s*(?:og|\+|pluss|samt)\s*(\d+)\s*{_EM}\b")
_EM_TRAILING = re.compile(rf"(?:,|og|\+|samt)?\s*\(?\s*(\d+)\s*{_EM}\b\s*\)?")

_SAME = re.compile(
    r"ingen\s+endring|ikke\s+endret|som\s+i\s+fjor|samme\s+som\s+(?:i\s+)?fjor|samme\s+(?:antall|tall|nivå)|som\s+fjoråret|som\s+i\s+år\b|"
    r"som\s+tidligere|uendret|tilsvarende\s+(?:som\s+)?(?:i\s+)?fjor|likt?\s+som\s+(?:i\s+)?fjor|som\s+sist"
)
_UNDECIDED = re.compile(
    r"vet\s+ikke|usikk|avvent|ikke\s+(?:av)?klart|uavklart|ikke\s+bestemt|ikke\s+besluttet|ikke\s+tatt\s+stilling|"
    r"ikke\s+vedtatt|skal\s+behandles|behandles|behandler|politisk\s+behandling|før\s+(?:kommunestyret|formannskapet)|"
    r"kommer\s+tilbake|ettersend|ikke\s+(?:ferdig\s*)?(?:be)?handlet|ikke\s+fattet|"
    r"ingen\s+vedtak|ikke\s+vurdert|ikke\s+tatt\s+opp|under\s+(?:behandling|vurdering|arbeid)|til\s+behandling|"
    r"ikke\s+ennå|ennå\s+ikke|enda\s+ikke|ikke\s+enda|ikke\s+klar\b|venter\s+på"
)
# A pointer to somewhere else instead of an answer: flagged, never read as a number or a refusal.
_REFERENCE = re.compile(r"\bse\s+(?:vedlagt|vedlegg|vedtak|kommunestyre\w*|saksfremlegg|sak\b|e-?post|brev)|"
                        r"\bjf\.?\s|\bjfr\.?\s|\bviser\s+til|\bvedlagt\b|\bi\s+vedlegg")
_NO_CAP = re.compile(r"ingen\s+(?:øvre\s+)?(?:grense|begrensning|tak|maks\w*)|ubegrenset|uten\s+(?:øvre\s+)?"
                     r"(?:grense|begrensning|tak)|ikke\s+(?:noe|noen)\s+(?:øvre\s+)?(?:grense|begrensning|tak)")
_CONDITION = re.compile(r"avhengig\s+av|forutsett|forutsatt|forutsetter|dersom|\bhvis\b|forbehold|såfremt")
# Only explicit refusals: "kan ikke svare nå", "har ikke behandlet", "ingen kommentar" are not refusals.
_DECLINE = re.compile(
    r"ønsker\s+ikke\s+(?:å\s+)?(?:bosette|ta\s+i\s*mot|motta)|ønsker\s+ikke\s*[.!]?$|"
    r"kan\s+ikke\s+(?:bosette|ta\s+i\s*mot|motta)|kan\s+ikke\s*[.!]?$|ikke\s+(?:å\s+)?bosette|"
    r"vil\s+ikke\s+(?:bosette|ta\s+i\s*mot|motta)|ikke\s+aktuelt|ikke\s+kapasitet|"
    r"har\s+ikke\s+(?:kapasitet|mulighet|boliger?|plass|anledning|ressurser)|"
    r"^nei\b|\b(?:sier|svarer|takker)\s+nei\b|\bnei\s+til\s+(?:bosetting|å\s+bosette)|"
    r"^ingen(?:\s+(?:i\s+år|i|flyktninger|personer|bosetting|nye|plass|kapasitet))*\s*[.!]*$|"
    r"\bingen\s+(?:flyktninger|personer|bosetting)|tar\s+ikke\s+i\s*mot|avslår|^0\s*(?:personer)?$"
)
_FAMILY = re.compile(r"famili\w*\s*-?\s*gjenfor\w*|familiegjenfor\w*|gjenforen\w*")
_FAMILY_UNIT = re.compile(r"\d+\s*(?:familier|familie|husstander|hushold\w*)\b")
_REQUEST = re.compile(r"som\s+anmodet|anmodning(?:en)?\b|som\s+imdi")

# A negation scopes over the bound that follows it in the same clause ("ikke kapasitet til mer enn 10": at most 10).
_NEG_SCOPE = r"\bikke\b(?:(?!\bmen\b)[^\d.;,!?]){0,60}?"
_NEG_UPPER = re.compile(_NEG_SCOPE + r"\b(?:flere\s+enn|mer\s+enn|over|utover|ut\s+over)\s*(\d+)")
_NEG_LOWER = re.compile(_NEG_SCOPE + r"\b(?:færre\s+enn|mindre\s+enn|under)\s*(\d+)")
_PLUS_MINUS = re.compile(r"(\d+)\s*(?:\+\s*/\s*-|±|\+-)\s*(\d+)")
_UPPER = re.compile(
    r"(?:inntil|opptil|opp\s+til|opp\s+mot|maks(?:imalt|imum)?\.?|max\.?|høyst|ikke\s+over|"
    r"ikke\s+(?:ta\s+imot\s+|bosette\s+)?(?:flere|mer)\s+enn|"
    r"til\s+og\s+med)\s*(\d+)"
)
_UPPER_STRICT = re.compile(r"(?:under|færre\s+enn|mindre\s+enn)\s*(\d+)")
# "10+" is at least 10, but "10 + familiegjenforente" is 10 and a remark about family reunification.
_LOWER = re.compile(r"(?:minst|minimum|min\.|fra|ikke\s+færre\s+enn|ikke\s+under)\s*(\d+)|"
                    r"(\d+)\s*(?:\+(?!\s*(?:famil|gjenfor|\d))|eller\s+(?:flere|mer))")
_LOWER_STRICT = re.compile(r"(?:over|flere\s+enn|mer\s+enn)\s*(\d+)")
_RANGE = re.compile(r"mellom\s*(\d+)\s*(?:og|-|til)\s*(\d+)|(\d+)\s*(?:-|til)\s*(\d+)")
_ALTERNATIVE = re.compile(r"(\d+)\s*(?:/|eller)\s*(\d+)")
_PRODUCT = re.compile(r"(\d+)\s*[x×*]\s*(\d+)")
_NUMBER = re.compile(r"\d+")
_NEGATIVE = re.compile(r"(?:^|[^\w\d])-\s*\d")
_MAYBE = re.compile(r"kanskje|muligens|eventuelt|evt\.|trolig|sannsynligvis|foreløpig")

CONTACT_REPLACEMENT = "[kontaktinfo fjernet]"
# E-mail addresses, also written to dodge harvesters: "navn (at) kommune.no", "navn[at]kommune.no", "navn at
# kommune.no", "navn (at) kommune dot no", "navn @ kommune . no". The last part must be letters (a top-level domain),
# so "kl. 10 at 10.30" or "5 @ 10.5" are left alone.
_AT = r"(?:\s*@\s*|\s*[\(\[\{<]\s*(?:at|krøllalfa|alfa)\s*[\)\]\}>]\s*|\s+(?:at|krøllalfa)\s+)"
_DOT = r"(?:\.|\s+\.\s+|\s*[\(\[\{<]\s*(?:dot|punktum|prikk)\s*[\)\]\}>]\s*|\s+(?:dot|punktum|prikk)\s+)"
EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-zæøå]{{2,}}(?![\w@])", re.IGNORECASE)
# Norwegian phone numbers: 8 digits starting 2-9, written together or grouped 3-2-3, 2-2-2-2, 3-5 or 4-4 with spaces,
# hyphens or dots, optionally after +47/0047/(+47). Groupings are fixed so ranges ("20-25"), dates ("14.05.2025",
# "2025-05-14"), amounts ("45 000 000") and organisation numbers ("974 760 673") do not match.
_SEP = r"[\s.-]"
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.,])(?:(?:\+|00)\s?47[\s.-]?|\(\+47\)\s?|\(0047\)\s?)?"
    rf"(?:[2-9]\d{{7}}|[2-9]\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{3}}|[2-9]\d(?:{_SEP}\d{{2}}){{3}}|[2-9]\d{{2}}{_SEP}\d{{5}}"
    rf"|[2-9]\d{{3}}{_SEP}\d{{4}})"
    r"(?![\w-]|[\s.,-]\d)"
)


def remove_contact_info(text: str) -> str:
    """Replace e-mail addresses and Norwegian phone numbers in a text by «[kontaktinfo fjernet]»."""
    return PHONE.sub(CONTACT_REPLACEMENT, EMAIL.sub(CONTACT_REPLACEMENT, text))


def _is_missing(text: object) -> bool:
    if text is None or isinstance(text, str):
        return text is None
    try:
        return bool(pd.isna(text))
    except (TypeError, ValueError):  # list-likes are not a missing scalar
        return False


def _words_to_digits(text: str) -> str:
    """Replace Norwegian number words ("ti", "tjuefem", "femogtjue") by digits."""

    def repl(m: re.Match[str]) -> str:
        if m.group("u1"):
            return str(_UNITS[m.group("u1")] + _TENS[m.group("t1")])
        if m.group("t2"):
            return str(_TENS[m.group("t2")] + (_UNITS[m.group("u2")] if m.group("u2") else 0))
        return str(_UNITS[m.group("u3")])

    return _NUMBER_WORD.sub(repl, text)


def _normalise(text: str) -> str:
    s = text.strip().lower()
    s = s.replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-").replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s)
    s = _words_to_digits(s)
    s = re.sub(r"(\d+)\s*-\s*(?=\d)", r"\1-", s)
    return s


def _result(lo: int | None, hi: int | None, notes: list[str], original: str, *, uncertain: bool = False,
            declines: bool = False, same: bool = False, em: int | None = None, no_cap: bool = False) -> CapacityParse:
    for n in (lo, hi):
        if n is not None and n > PLAUSIBLE_MAX:
            uncertain = True
            notes.append(f"urimelig stort tall ({n})")
    if hi is not None and hi == 0 and (lo in (None, 0)):
        declines, lo = True, 0
    return CapacityParse(
        min=lo, max=hi, declines=declines, same_as_last_year=same, uncertain=uncertain or bool(notes),
        note="; ".join(dict.fromkeys(notes)), original=original, em=em, no_cap=no_cap,
    )


def _span(lo: int | None, hi: int | None) -> str:
    if lo == hi:
        return str(lo)
    return f"{'' if lo is None else lo}–{'' if hi is None else hi}"


def parse_capacity(text: object) -> CapacityParse:
    """Parse a free-text capacity answer into bounds and flags; see the module docstring for the rules."""
    original = "" if _is_missing(text) else str(text).strip()
    if isinstance(text, (int, float)) and not isinstance(text, bool) and not _is_missing(text):
        if float(text).is_integer() and text >= 0:
            return _result(int(text), int(text), [], original)
        return _result(None, None, [f"ikke et helt tall ≥ 0 («{original}»)"], original)
    if original == "":
        return CapacityParse(None, None, False, False, True, "kapasitet ikke oppgitt", original)

    notes: list[str] = []
    uncertain = False
    # Contact details are not capacities, and must not leak into the notes as stray numbers.
    cleaned = remove_contact_info(original)
    if cleaned != original:
        uncertain = True
        notes.append("svaret inneholder kontaktinformasjon")
    s = _normalise(cleaned)
    # "25 +/- 5" is a range, not a negative number.
    if m := _PLUS_MINUS.search(s):
        a, b = int(m.group(1)), int(m.group(2))
        uncertain = True
        notes.append(f"tolket «{m.group(0)}» som {max(a - b, 0)}–{a + b}")
        s = s[: m.start()] + f" {max(a - b, 0)}-{a + b} " + s[m.end():]
    if _NEGATIVE.search(s):
        uncertain = True
        notes.append("negativt tall i svaret")
    if "?" in s:
        uncertain = True
        notes.append("svaret har spørsmålstegn")
    if _FAMILY.search(s):
        uncertain = True
        notes.append("familiegjenforente inngår ikke i anmodningen, men er nevnt i svaret")
    if _FAMILY_UNIT.search(s):
        uncertain = True
        notes.append("oppgitt i familier/husstander, ikke personer")
    if "%" in s or "prosent" in s:
        uncertain = True
        notes.append("oppgitt i prosent, ikke antall personer")
    if _REQUEST.search(s):
        uncertain = True
        notes.append("viser til anmodningen i stedet for et tall")
    if _REFERENCE.search(s):
        uncertain = True
        notes.append("viser til et vedlegg eller vedtak i stedet for å oppgi tallet her")

    # Dates ("behandles 12. mai") and years ("i 2026") are not capacities.
    s = _DATE.sub(" ", s)
    if not re.fullmatch(r"\s*\d+\s*", s):
        s = _YEAR.sub(" ", s)

    em: int | None = None
    m = _EM_SUM.search(s)
    if m:
        total = int(m.group(1)) + int(m.group(2))
        em = int(m.group(2))
        notes.append(f"summerte {m.group(1)} + {m.group(2)} enslige mindreårige = {total}")
        s = s[: m.start()] + f" {total} " + s[m.end():]
        uncertain = True
    else:
        m = _EM_HERAV.search(s) or _EM_TRAILING.search(s)
        if m:
            em = int(m.group(1))
            rest = s[: m.start()] + " " + s[m.end():]
            if not _NUMBER.search(rest):
                # Only a number of minors is given: the total is unknown.
                notes.append(f"bare antall enslige mindreårige oppgitt ({em}), ikke totalt antall")
                return _result(None, None, notes, original, uncertain=True, em=em)
            s = rest

    no_cap = False
    if m := _NO_CAP.search(s):
        no_cap = True
        s = s[: m.start()] + " " + s[m.end():]
    same = bool(_SAME.search(s))
    undecided = bool(_UNDECIDED.search(s))
    declines_word = bool(_DECLINE.search(s.strip()))
    numbers = [int(n) for n in _NUMBER.findall(s)]

    if same:
        notes.append(SAME_AS_LAST_YEAR_NOTE)
        if numbers:
            notes.append(f"har også tallet {numbers[0]}")
            return _result(numbers[0], numbers[0], notes, original, uncertain=True, same=True, em=em)
        return _result(None, None, notes, original, uncertain=True, same=True, em=em)

    if not numbers and no_cap:
        return _result(None, None, notes, original, uncertain=uncertain or undecided, em=em, no_cap=True)
    if numbers and undecided and not any(numbers):
        # "0 (ikke behandlet)": a placeholder while the decision is pending, not a refusal.
        notes.append("ikke avklart ennå; 0 er ikke lest som at kommunen sier nei")
        return _result(None, None, notes, original, uncertain=True, em=em)

    if not numbers:
        if declines_word and not undecided and not _REFERENCE.search(s):
            return _result(0, 0, notes, original, uncertain=uncertain, declines=True, em=em)
        if undecided:
            notes.append("ikke avklart ennå")
        else:
            notes.append("fant ikke noe tall")
        return _result(None, None, notes, original, uncertain=True, em=em)

    if undecided:
        uncertain = True
        notes.append("ikke endelig avklart (venter på politisk behandling eller er usikkert)")
    if _CONDITION.search(s) or _MAYBE.search(s):
        uncertain = True
        notes.append("svaret har forbehold")
    if declines_word and any(n > 0 for n in numbers) and not _UPPER.search(s) and not _NEG_UPPER.search(s):
        uncertain = True
        notes.append("svaret sier både nei og et tall")

    lo: int | None
    hi: int | None
    m = None
    if m := _PRODUCT.search(s):
        a, b = int(m.group(1)), int(m.group(2))
        notes.append(f"tolket «{m.group(0)}» som {a * b}")
        lo = hi = a * b
        uncertain = True
    elif m := _RANGE.search(s):
        a, b = (int(g) for g in m.groups() if g is not None)
        lo, hi = min(a, b), max(a, b)
        if a > b:
            uncertain = True
            notes.append(f"spennet er oppgitt baklengs ({a}-{b})")
    elif m := _NEG_UPPER.search(s):
        lo, hi = None, int(m.group(1))
    elif m := _NEG_LOWER.search(s):
        lo, hi = int(m.group(1)), None
    elif m := _UPPER.search(s):
        lo, hi = None, int(m.group(1))
    elif m := _UPPER_STRICT.search(s):
        lo, hi = None, max(int(m.group(1)) - 1, 0)
    elif m := _LOWER.search(s):
        lo, hi = int(m.group(1) or m.group(2)), None
    elif m := _LOWER_STRICT.search(s):
        lo, hi = int(m.group(1)) + 1, None
    elif m := _ALTERNATIVE.search(s):
        a, b = int(m.group(1)), int(m.group(2))
        lo, hi = min(a, b), max(a, b)
        uncertain = True
        notes.append(f"to alternativer («{m.group(0)}»): tolket som spenn")
    else:
        lo = hi = numbers[0]  # also "ca. 15": an approximate figure counts as given

    # Numbers outside the matched phrase ("10-15, 20 i 2027") are left over: show them rather than drop them.
    outside = [int(n) for n in _NUMBER.findall(s[: m.start()] + " " + s[m.end():])] if m else numbers[1:]
    if leftover := [n for n in outside if n not in (lo, hi)]:
        uncertain = True
        notes.append("flere tall i svaret: " + ", ".join(str(n) for n in numbers) + f"; brukte {_span(lo, hi)}")
    if em is not None and hi is not None and em > hi:
        uncertain = True
        notes.append(f"flere enslige mindreårige ({em}) enn totalt ({hi})")
    if no_cap and hi is not None:
        uncertain = True
        notes.append(f"svaret sier både «ingen øvre grense» og {hi}")
    return _result(lo, hi, notes, original, uncertain=uncertain, em=em, no_cap=no_cap)
