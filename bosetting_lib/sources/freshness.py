"""Stale inputs for a new year: last year's IMDi table, old indicators, national criteria not yet reviewed.

For the year Y the county works in spring Y − 1. IMDi's table for Y − 1 (last year's request and decisions) is the
most important input; when it is missing, or when an indicator is older than the limit in the parameters
(``maks_alder_indikatorer``), ``validate`` and ``run`` stop. With ``--proeve`` (a trial run) the same problems are
warnings that the report shows on its first screen.

IMDi's table for Y − 1 is made while that year is still running: its «bosatte» are a partial year unless the manifest
dates the table at the end of the year or later. :func:`partial_imdi_years` says which years are partial, so that a
rate of settled persons never uses them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bosetting_lib.errors import Problem
from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.raw_manifest import read_manifest


REVIEW_MARK = "må gjennomgås for"
WARNINGS_FILE = "advarsler.json"
# Inputs that are data with years (not the register, split weights, the feedback folder or the adjustments).
AGED_INPUTS = ("folketall", "bosatte_flyktninger", "sentralitet", "fastlege", "ledighet", "innvandrerandel")


def expected_imdi_file(params: Params, year: int) -> str:
    """The path (relative to data/raw/) IMDi's table for ``year`` would have, named like the latest configured one."""
    if params.inndata_imdi:
        latest_year = max(params.inndata_imdi)
        latest = params.inndata_imdi[latest_year]
        if str(latest_year) in latest:
            return latest.replace(str(latest_year), str(year))
    county = (params.fylke or params.fylkesnummer).casefold().replace("ø", "o").replace("å", "a").replace("æ", "ae")
    return f"imdi/nokkeltall_bosetting_{year}_{re.sub(r'[^a-z0-9]+', '_', county).strip('_')}.csv"


def imdi_problems(params: Params, files_present: set[str]) -> list[Problem]:
    """IMDi's table for the year before the analysed one: named in ``inndata.imdi`` and present in data/raw/.

    ``files_present`` holds the paths (relative to data/raw/) that exist.
    """
    last = params.aar - 1
    source = str(params.source)
    rel = params.inndata_imdi.get(last)
    if rel is None:
        wanted = expected_imdi_file(params, last)
        return [Problem(source, expected=(
            f"IMDis tabell for {last} («Nøkkeltall bosetting {last}», fjorårets anmodning og vedtak, den viktigste "
            f"inndataen) under inndata.imdi. Legg tabellen i data/raw/{wanted}, beskriv den i en ny "
            f"data/raw/manifest_<navn>.csv, og skriv linjen «{last}: {wanted}» under «imdi:» i inndata"),
            found="ingen linje for " + str(last), column="inndata.imdi")]
    if rel not in files_present:
        return [Problem(source, expected=(
            f"IMDis tabell for {last} i data/raw/{rel} (navngitt i inndata.imdi.{last}). Legg filen der, med en rad i en "
            "ny data/raw/manifest_<navn>.csv"), found="filen finnes ikke", column=f"inndata.imdi.{last}")]
    return []


def indicator_problems(params: Params, latest_years: Mapping[str, int | None]) -> list[Problem]:
    """Inputs whose newest figures are older than ``maks_alder_indikatorer`` years.

    ``latest_years`` maps an input key to the newest year in its data. The age is counted from Y − 1, the year the
    work is done in: for 2027 a table ending in 2024 is 2 years old.
    """
    limit = params.maks_alder_indikatorer
    if limit is None:
        return []
    problems = []
    inputs = {"folketall": params.inndata_folketall, **params.inndata_valgfrie}
    for key in AGED_INPUTS:
        if key not in inputs or latest_years.get(key) is None:
            continue
        newest = int(latest_years[key])
        age = params.aar - 1 - newest
        if age > limit:
            how = ("«bosetting hent --year " + str(params.aar) + "» laster ned nye tall fra SSB"
                   if key in ("folketall", "innvandrerandel") else "last ned nyere tall fra kilden")
            problems.append(Problem(str(params.source), expected=(
                f"tall som er høyst {limit} år eldre enn {params.aar - 1} (maks_alder_indikatorer: {limit}); "
                f"data/raw/{inputs[key]} har nyeste tall fra {newest}, {age} år gamle. Legg inn en nyere fil ({how}) "
                f"og skriv den i inndata.{key}"), found=str(newest), column=f"inndata.{key}"))
    return problems


def criteria_problems(params: Params) -> list[Problem]:
    """National criteria still marked for review (``bosetting nytt-aar`` copies last year's text and marks it)."""
    marked = [i for i, text in enumerate(params.nasjonale_kriterier) if REVIEW_MARK in text.casefold()]
    if not marked:
        return []
    return [Problem(str(params.source), expected=(
        f"årets nasjonale kriterier for {params.aar}: les dem mot departementets føringer, rett teksten og fjern merket "
        f"«({REVIEW_MARK} {params.aar})»"), found=f"{len(marked)} av {len(params.nasjonale_kriterier)} punkter er "
        "fjorårets tekst med merket", column="nasjonale_kriterier")]


def files_present(params: Params, data_paths: DataPaths) -> set[str]:
    """The IMDi files named in the parameters that exist in data/raw/."""
    return {rel for rel in params.inndata_imdi.values() if (data_paths.raw / rel).is_file()}


def latest_years(result: Any) -> dict[str, int | None]:
    """The newest year with a figure in each read input."""
    tables = {"folketall": result.population, **result.optional}
    out: dict[str, int | None] = {}
    for key, frame in tables.items():
        years = frame.loc[frame["verdi"].notna(), "aar"] if "verdi" in frame.columns else frame["aar"]
        out[key] = int(years.max()) if len(years) else None
    return out


def partial_imdi_years(params: Params, data_paths: DataPaths) -> frozenset[int]:
    """Configured IMDi years whose «bosatte» cover only part of the year.

    The table for Y − 1 is partial unless its manifest row dates it at 31 December of that year or later (IMDi's
    final figures); a table without a manifest date counts as partial. Earlier years are complete.
    """

    last = params.aar - 1
    rel = params.inndata_imdi.get(last)
    if rel is None:
        return frozenset()
    manifest = read_manifest(data_paths)
    dates = manifest.loc[manifest["fil"] == rel, "referansedato"].tolist()
    try:
        dated = dt.date.fromisoformat(dates[0]) if dates else None
    except ValueError:
        dated = None
    return frozenset() if dated is not None and dated >= dt.date(last, 12, 31) else frozenset({last})


def write_warnings(problems: list[Problem], folder: Path) -> Path:
    """The trial run's warnings as ``advarsler.json`` (the report's first screen shows them)."""
    path = folder / WARNINGS_FILE
    rows = [{"tekst": str(p), "fil": p.file, "parameter": p.column, "forventet": p.expected, "fant": p.found}
            for p in problems]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_warnings(folder: Path) -> list[str]:
    """The trial run's warnings (texts), or [] for an ordinary run."""
    path = folder / WARNINGS_FILE
    if not path.is_file():
        return []
    return [row["tekst"] for row in json.loads(path.read_text(encoding="utf-8"))]
