"""Municipality names: the one place that decides whether two ways of writing a name are the same municipality.

Used by the register (names in IMDi's tables and SSB's region cells), by the feedback round (names typed in forms
and survey exports) and by the what-if (a name or a number typed in the notebook).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from bosetting_lib.errors import InputError, Problem

_DASHES = re.compile("[\u2010-\u2015\u2212]")
_SPACED_DASH = re.compile("\\s+[-\u2010-\u2015\u2212]\\s+|\\s*[\u2013\u2014]\\s*")
_QUALIFIER = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
_KOMMUNE_WORD = re.compile(r"\bkommune\b")


def normalise_name(name: str) -> str:
    """A comparison key for a name: case, dashes, whitespace and the word "kommune" do not matter."""
    # The same few hundred names are normalised thousands of times per run (every row of every file).
    return _normalise_text(name if type(name) is str else str(name))


@functools.lru_cache(maxsize=8192)
def _normalise_text(name: str) -> str:
    s = unicodedata.normalize("NFC", name).replace("\u00a0", " ").casefold()
    s = _DASHES.sub("-", s)
    s = _KOMMUNE_WORD.sub(" ", s)
    s = re.sub(r"\s*-\s*", "-", s)
    return " ".join(s.split()).strip(" .,;:*-")


def _name_parts(name: str) -> list[str]:
    """The language forms of a KLASS name ("Snåase - Snåsa" → ["Snåase", "Snåsa"])."""
    return [p for p in (x.strip() for x in _SPACED_DASH.split(name)) if p]


def _split_qualifier(name: str) -> tuple[str, str | None]:
    """ "Våler (Hedm.)" → ("Våler", "Hedm."); a name without brackets has no qualifier."""
    m = _QUALIFIER.match(name.strip())
    return (m.group(1), m.group(2).strip()) if m else (name.strip(), None)


def _qualifier_matches(qualifier: str, county_names: Iterable[str]) -> bool:
    """Whether an abbreviated county qualifier ("Hedm.", "Ak.", "M. og R.") fits one of the names."""
    qwords = re.findall(r"\w+", normalise_name(qualifier))
    if not qwords:
        return False
    for name in county_names:
        words = re.findall(r"\w+", normalise_name(name))
        if len(words) == len(qwords) and all(w.startswith(q) for q, w in zip(qwords, words)):
            return True
        if len(qwords) == 1 and "".join(words).startswith(qwords[0]):
            return True
    return False


def _fold(text: str) -> str:
    """Lower-case, drop accents and spell æøå in ASCII, for a second, looser name match."""
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _name_key(text: str) -> str:
    """The lookup's key: :func:`normalise_name` with the forms people add in a form ("Kommunen X", "X kommunes")."""
    s = re.sub(r"\s+", " ", str(text).replace("\u00a0", " ")).strip().casefold().strip(".,;:")
    s = re.sub(r"^(?:kommunen|kommune)\s+", "", s)
    s = re.sub(r"\s+(?:kommunes?|kommunen)$", "", s)
    return s.strip()


class MunicipalityLookup:
    """Finds a county municipality from a code or a name written in any of the usual ways."""

    def __init__(self, municipalities: pd.DataFrame):
        if not {"kommunenummer", "kommune"} <= set(municipalities.columns):
            raise InputError(Problem("kommunelisten", "kolonnene «kommunenummer» og «kommune»",
                                     found=", ".join(map(str, municipalities.columns))))
        self.names: dict[str, str] = {}
        keys: dict[str, set[str]] = {}
        folded: dict[str, set[str]] = {}
        extra = [c for c in ("navn_klass", "navn_norsk", "offisielt_navn", "navn") if c in municipalities.columns]
        for _, rec in municipalities.iterrows():
            code = str(rec["kommunenummer"])
            self.names[code] = str(rec["kommune"])
            for raw in [rec["kommune"], *(rec[c] for c in extra)]:
                if pd.isna(raw):
                    continue
                full = _name_key(str(raw))
                # "Snåase - Snåsa", "Herøy (Nordland)": each part is a way of writing the name.
                parts = {full, re.sub(r"\s*\(.*\)$", "", full), *(p.strip() for p in re.split(r"\s+-\s+|/", full))}
                for p in parts - {""}:
                    keys.setdefault(p, set()).add(code)
                    folded.setdefault(_fold(p), set()).add(code)
        # An ambiguous key (two municipalities share it) matches nothing rather than the wrong one.
        self._keys = {k: next(iter(v)) for k, v in keys.items() if len(v) == 1}
        self._folded = {k: next(iter(v)) for k, v in folded.items() if len(v) == 1}

    def find(self, text: object) -> str | None:
        """The code for a name or code, or None when it is not one of the county's municipalities."""
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            return None
        s = str(text).strip()
        if isinstance(text, (int, float)) and float(text).is_integer():
            s = str(int(text)).zfill(4)
        m = re.fullmatch(r"(\d{3,4})(?:\s*[-–:]?\s*(.*))?|(.*?)\s*\((\d{4})\)", s)
        if m:
            code = (m.group(1) or m.group(4) or "").zfill(4)
            if code in self.names:
                return code
            if m.group(1):
                return None
        key = _name_key(s)
        if key in self._keys:
            return self._keys[key]
        return self._folded.get(_fold(key))

    def name(self, code: str) -> str:
        return self.names[code]
