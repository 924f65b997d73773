"""SSB's StatBank API (PxWebApi 2): build the data requests the parameters need and check the answers.

Pure functions only: no network and no files here (the command that downloads and writes is in
:mod:`bosetting_lib.run.fetch_round`).

The request form follows SSB's published user guide for PxWebApi 2, «API mot statistikkbanken – brukerveiledning»
(https://www.ssb.no/api/api-mot-statistikkbanken--brukerveiledning, and the English
https://www.ssb.no/en/api/statbank-pxwebapi-user-guide), with the specification at
https://github.com/PxTools/PxApiSpecs/blob/master/specs.md:

    GET https://data.ssb.no/api/pxwebapi/v2/tables/{tabell}/data?lang=no&outputFormat=json-stat2
        &valueCodes[Region]=5001,5006&valueCodes[ContentsCode]=Personer1&valueCodes[Tid]=2025,2026

A variable left out of the query is eliminated (SSB sums it, e.g. over sex and age in 07459). The guide states
the limits (800 000 cells per extract, 30 queries per minute per IP address) and the licence: CC BY 4.0.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pandas as pd

from bosetting_lib.errors import BosettingError, InputError, Problem
from bosetting_lib.sources.readers.jsonstat import read_jsonstat
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv

if TYPE_CHECKING:
    from bosetting_lib.sources.register import Register

API_BASE = "https://data.ssb.no/api/pxwebapi/v2"
USER_GUIDE = "https://www.ssb.no/api/api-mot-statistikkbanken--brukerveiledning"
LICENCE = "CC BY 4.0 (Kilde: Statistisk sentralbyrå), lisensen SSB oppgir for API-et"
TIMEOUT_SECONDS = 60


class NetworkError(BosettingError):
    """SSB could not be reached or answered with an error; the message (Norwegian) says what to do."""


@dataclass(frozen=True)
class TableSpec:
    """One StatBank table an input of the parameters comes from, and how to ask for it."""

    table: str  # SSB's five-digit table number
    key: str  # the parameter under ``inndata`` the file is used for
    name: str  # short name in the file name
    title: str  # what the table holds, for the manifest
    fixed: tuple[tuple[str, str], ...]  # other variables and the value codes asked for (Region and Tid are added)
    years: int  # how many years back from the reference year
    reference_day: str  # when in the year the figures are measured (MM-DD), for the manifest's referansedato


# The StatBank tables the pipeline reads through the parameters. Other SSB inputs are not StatBank queries that
# fit here: fastlege (12005) is stored as a compiled indicator file and sentralitet is KLASS 128, not StatBank.
TABLES: dict[str, TableSpec] = {
    "folketall": TableSpec(
        "07459", "folketall", "folkemengde", "Befolkning 1. januar (personer), alle kjønn og aldre",
        (("ContentsCode", "Personer1"),), 7, "01-01",
    ),
    "innvandrerandel": TableSpec(
        "09817", "innvandrerandel", "innvandrerandel",
        "Innvandrere (innvandringskategori B) i prosent av befolkningen 1. januar, alle landbakgrunner (999)",
        (("InnvandrKat", "B"), ("Landbakgrunn", "999"), ("ContentsCode", "AndelBefolkning")), 3, "01-01",
    ),
}
NOT_FETCHED = {
    "fastlege": "SSB 12005 ligger som en sammenstilt indikatorfil (ikke en statistikkbank-nedlasting); oppdater den for hånd",
    "sentralitet": "sentralitetsindeksen er SSBs klassifikasjon KLASS 128, ikke en statistikkbanktabell; oppdater den for hånd",
}


@dataclass(frozen=True)
class Request:
    """One data request: the table, the URL and the query it holds (for the manifest)."""

    spec: TableSpec
    regions: tuple[str, ...]
    years: tuple[int, ...]
    url: str

    @property
    def query(self) -> str:
        """The query in words and codes, as the manifest records it."""
        parts = [f"{dim}={codes}" for dim, codes in self.spec.fixed]
        parts += [f"Region={len(self.regions)} kommuner ({self.regions[0]}–{self.regions[-1]})",
                  f"Tid={','.join(map(str, self.years))}"]
        return "; ".join(parts)


def data_url(table: str, value_codes: list[tuple[str, str]], *, lang: str = "no") -> str:
    """The PxWebApi 2 GET URL for a table's data in JSON-stat 2 with the given value codes per variable."""
    params = [("lang", lang), ("outputFormat", "json-stat2")]
    params += [(f"valueCodes[{dim}]", codes) for dim, codes in value_codes]
    # Brackets and commas are kept readable, as in SSB's own examples; everything else is percent-encoded.
    return f"{API_BASE}/tables/{table}/data?" + urlencode(params, safe="[],")


def build_request(spec: TableSpec, regions: list[str], year: int) -> Request:
    """The request for ``spec`` covering ``regions`` and the years up to ``year - 1`` (the latest known in spring)."""
    if not regions:
        raise ValueError("no regions")
    last = year - 1
    years = tuple(range(last - spec.years + 1, last + 1))
    codes = [*spec.fixed, ("Region", ",".join(regions)), ("Tid", ",".join(map(str, years)))]
    return Request(spec, tuple(regions), years, data_url(spec.table, codes))


def requests_for(params_inputs: dict[str, str], regions: list[str], year: int) -> tuple[list[Request], dict[str, str]]:
    """The requests for the SSB inputs the parameters use, and the SSB inputs that are not fetched (with why)."""
    requests = [build_request(TABLES[key], regions, year) for key in TABLES if key in params_inputs]
    skipped = {key: why for key, why in NOT_FETCHED.items() if key in params_inputs}
    return requests, skipped


def check_response(data: bytes, request: Request, *, register: Register, target_year: int,
                   label: str) -> pd.DataFrame:
    """Read an answer with the project's JSON-stat reader and check it holds what was asked for.

    Raises InputError (file ``label``) when the answer is not a JSON-stat 2 dataset from the table, or lacks a
    requested municipality or year. Returns the tidy table.
    """
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem(label, expected="et JSON-stat 2-datasett fra SSB", found=str(exc)[:120])) from exc
    problems = []
    if not isinstance(obj, dict) or obj.get("class") != "dataset" or str(obj.get("version")) != "2.0":
        found = f"class={obj.get('class')!r}, version={obj.get('version')!r}" if isinstance(obj, dict) else type(obj).__name__
        problems.append(Problem(label, expected="et JSON-stat 2-datasett (version «2.0», class «dataset»)", found=found))
        raise InputError(problems)
    table = ((obj.get("extension") or {}).get("px") or {}).get("tableid")
    if table is not None and str(table) != request.spec.table:
        problems.append(Problem(label, expected=f"tabell {request.spec.table}", found=str(table), column="extension.px.tableid"))
    tidy = read_ssb_table(obj, label=label, register=register, target_year=target_year)
    got_regions = set(tidy["kommunenummer"])
    missing = [r for r in request.regions if r not in got_regions]
    if missing:
        problems.append(Problem(label, expected="tall for alle kommunene det ble spurt om",
                                found="mangler " + ", ".join(missing[:10]), column="Region"))
    got_years = {int(y) for y in tidy["aar"]}
    missing_years = [y for y in request.years if y not in got_years]
    if missing_years:
        problems.append(Problem(label, expected="tall for alle årene det ble spurt om",
                                found="mangler " + ", ".join(map(str, missing_years)), column="Tid"))
    if tidy["verdi"].isna().all():
        problems.append(Problem(label, expected="minst ett tall", found="bare symboler", column="value"))
    if problems:
        raise InputError(problems)
    return tidy


def read_ssb_table(source: str | Path | dict[str, Any], *, register: Register, target_year: int,
                   label: str | None = None, **options: Any) -> pd.DataFrame:
    """An SSB table from a StatBank CSV download or a JSON-stat 2 file (``.json``), as the tidy table.

    JSON-stat drops a variable with a single value from the variable name; the CSV download keeps every column. So
    the labels of single-value variables (other than region, time and the statistic) are added to the name, as the
    CSV has them: ``Andel av befolkningen (prosent), Innvandrere, Alle land`` for 09817.
    """

    if not isinstance(source, dict) and Path(source).suffix.casefold() != ".json":
        return read_statbank_csv(source, register=register, target_year=target_year, **options)
    obj = source if isinstance(source, dict) else json.loads(Path(source).read_bytes().decode("utf-8-sig"))
    try:
        tidy = read_jsonstat(obj, register=register, target_year=target_year, **options)
    except InputError as exc:
        if label is None and isinstance(source, dict):
            raise
        name = label or str(source)
        raise InputError([Problem(name if p.file == "(JSON-stat)" else p.file, p.expected, p.found, p.row, p.column)
                          for p in exc.problems]) from exc
    extra = _single_value_labels(obj)
    if extra and len(tidy):
        tidy = tidy.assign(variabel=tidy["variabel"] + ", " + extra)
    return tidy


def _single_value_labels(obj: dict[str, Any]) -> str:
    roles = obj.get("role") or {}
    skip = {d for ids in roles.values() for d in ids} | {"Region", "Tid", "ContentsCode"}
    labels = []
    for dim_id, size in zip(obj.get("id", []), obj.get("size", [])):
        if dim_id in skip or size != 1:
            continue
        cat = (obj.get("dimension", {}).get(dim_id) or {}).get("category", {})
        index = cat.get("index")
        code = index[0] if isinstance(index, list) else next(iter(index or cat.get("label", {})), "")
        labels.append(str((cat.get("label") or {}).get(code, code)))
    return ", ".join(labels)


Fetch = Callable[[str, float], bytes]


def urllib_fetch(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """GET ``url`` with the standard library; a failure becomes a NetworkError with a Norwegian message."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "bosetting (hent)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace").strip()
        raise NetworkError(
            f"SSB svarte med HTTP {exc.code} på {url}: {body or exc.reason}. Sjekk at tabellen og årene er publisert "
            f"(se {USER_GUIDE}); ingenting er skrevet."
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(
            f"Fikk ikke kontakt med SSB (data.ssb.no): {reason}. Maskinen ser ut til å mangle nettilgang (eller en "
            "proxy stopper forbindelsen). Kjør «bosetting hent» på en maskin med nett, eller last ned tabellene for "
            "hånd fra statistikkbanken. Ingenting er skrevet."
        ) from exc
