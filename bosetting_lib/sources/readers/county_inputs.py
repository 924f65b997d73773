"""The county's own files for the municipality information to IMDi (layouts in docs/data_dictionary.md):
the regional qualification plan (YAML), upper-secondary offers per school and the county's knowledge per
municipality (CSV). Read and checked with step 01, so a bad file is refused before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.cells import clean_header, decode_bytes, read_csv_text
from bosetting_lib.sources.raw_manifest import read_manifest

PLAN_KEYS = {"tittel": str, "dato": dt.date, "vedtatt_av": str, "lenke": str, "hovedtiltak": list, "eksempeldata": bool}


PLAN_REQUIRED = ("tittel", "dato", "hovedtiltak")


OFFER_COLUMNS = ("kommunenummer", "dekker", "skole", "tilbud", "tilpasset_yrkesopplaering", "merknad")


KNOWLEDGE_COLUMNS = ("kommunenummer", "merknad")


YES = {"ja": True, "nei": False, "": None}


@dataclass(frozen=True)
class QualificationPlan:
    tittel: str
    dato: dt.date
    hovedtiltak: tuple[str, ...]
    vedtatt_av: str = ""
    lenke: str = ""
    eksempeldata: bool = False


@dataclass(frozen=True)
class CountyInputs:
    """The county's own files, read and checked; None where the parameters name no file."""

    plan: QualificationPlan | None
    offers: pd.DataFrame | None
    knowledge: pd.DataFrame | None
    example_keys: frozenset[str]


def read_plan(path: Path) -> QualificationPlan:
    """The regional qualification plan from its YAML file; every problem named with the file and key."""
    file = str(path)
    if not path.is_file():
        raise InputError(Problem(file, "en fil som finnes (inndata.kvalifiseringsplan)", found="filen finnes ikke"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(Problem(file, "gyldig YAML i UTF-8", found=str(exc).splitlines()[0])) from exc
    if not isinstance(data, dict):
        raise InputError(Problem(file, "nøkler og verdier (tittel, dato, hovedtiltak …)", found=type(data).__name__))
    problems = [Problem(file, "en kjent nøkkel (" + ", ".join(PLAN_KEYS) + ")", found=str(k), column=str(k))
                for k in data if k not in PLAN_KEYS]
    problems += [Problem(file, "nøkkelen er påkrevd", found="mangler", column=k) for k in PLAN_REQUIRED if k not in data]
    names = {str: "en tekst", dt.date: "en dato ÅÅÅÅ-MM-DD", list: "en liste med tekster", bool: "true eller false"}
    for key, kind in PLAN_KEYS.items():
        if key in data and data[key] is not None and not isinstance(data[key], kind):
            problems.append(Problem(file, names[kind], found=repr(data[key]), column=key))
    measures = data.get("hovedtiltak") if isinstance(data.get("hovedtiltak"), list) else []
    problems += [Problem(file, "en tekst", found=repr(m), column=f"hovedtiltak[{i}]") for i, m in enumerate(measures)
                 if not isinstance(m, str) or not m.strip()]
    if problems:
        raise InputError(problems)
    return QualificationPlan(tittel=data["tittel"], dato=data["dato"], hovedtiltak=tuple(measures),
                             vedtatt_av=data.get("vedtatt_av") or "", lenke=data.get("lenke") or "",
                             eksempeldata=bool(data.get("eksempeldata", False)))


def _read_csv(path: Path, columns: tuple[str, ...], codes: set[str], key: str) -> pd.DataFrame:
    file = str(path)
    if not path.is_file():
        raise InputError(Problem(file, f"en fil som finnes (inndata.{key})", found="filen finnes ikke"))
    # The project's own CSV reading: any encoding Excel saves (UTF-8 with or without BOM, Windows-1252), ; or , .
    decoded, problems = decode_bytes(path.read_bytes(), file=file)
    if decoded is None:
        raise InputError(problems)
    table, problems = read_csv_text(decoded.text, file=file)
    if table is None or not table.rows:
        raise InputError(problems or [Problem(file, "en overskriftsrad med " + ", ".join(columns), found="tom fil", row=1)])
    header = [clean_header(h) for h in table.rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(Problem(file, "kolonnene " + ", ".join(columns), found=", ".join(header)))
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in table.rows[1:]], columns=header, dtype="str")
    lines = table.row_numbers[1:]
    problems = list(problems)
    for (_, row), line in zip(frame.iterrows(), lines):
        if row["kommunenummer"] not in codes:
            problems.append(Problem(file, "et kommunenummer i fylket (fire sifre)", found=row["kommunenummer"], row=line,
                                    column="kommunenummer"))
        if "dekker" in frame.columns:
            for code in filter(None, (c.strip() for c in row["dekker"].split(";"))):
                if code not in codes:
                    problems.append(Problem(file, "kommunenumre i fylket skilt med semikolon", found=code, row=line,
                                            column="dekker"))
        if "tilpasset_yrkesopplaering" in frame.columns and row["tilpasset_yrkesopplaering"].strip().lower() not in YES:
            problems.append(Problem(file, "ja, nei eller tom", found=row["tilpasset_yrkesopplaering"], row=line,
                                    column="tilpasset_yrkesopplaering"))
        if "skole" in frame.columns and not row["skole"].strip():
            problems.append(Problem(file, "navnet på skolen", found="tom", row=line, column="skole"))
    if problems:
        raise InputError(problems)
    return frame[list(columns)]


def read_county_inputs(params: Params, data_paths: DataPaths, municipalities: pd.DataFrame) -> CountyInputs:
    """Read the county's own files named in the parameters; all problems in one error."""
    codes = set(municipalities["kommunenummer"].astype(str))
    rel = params.inndata_valgfrie
    problems: list[Problem] = []
    plan = offers = knowledge = None
    for key in ("kvalifiseringsplan", "videregaende_tilbud", "fylkets_kunnskap"):
        if key not in rel:
            continue
        path = data_paths.raw / rel[key]
        try:
            if key == "kvalifiseringsplan":
                plan = read_plan(path)
            elif key == "videregaende_tilbud":
                offers = _read_csv(path, OFFER_COLUMNS, codes, key)
            else:
                knowledge = _read_csv(path, KNOWLEDGE_COLUMNS, codes, key)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    manifest = read_manifest(data_paths)
    examples = set(manifest.loc[manifest["datatype"] == "eksempel", "fil"])
    example_keys = frozenset(k for k in ("kvalifiseringsplan", "videregaende_tilbud", "fylkets_kunnskap", "tilbakemeldinger")
                             if k in rel and any(f == rel[k] or f.startswith(rel[k].rstrip("/") + "/") for f in examples))
    return CountyInputs(plan, offers, knowledge, example_keys)
