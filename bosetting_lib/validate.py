"""Check every input for a year before anything is written; report all problems at once."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.params import Params
from bosetting_lib.paths import DataPaths

MANIFEST_COLUMNS = ["fil", "datatype", "kilde", "lisens", "referansedato", "beskrivelse"]


def check_manifest(data_paths: DataPaths) -> list[Problem]:
    """The raw data's manifest must describe every file, with a known data type."""
    path = data_paths.manifest
    if not path.is_file():
        return [Problem(str(path), expected="en manifestfil som beskriver alle rådatafilene", found="filen finnes ikke")]
    manifest = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [Problem(str(path), expected="kolonnen finnes", found="mangler", column=c) for c in MANIFEST_COLUMNS if c not in manifest.columns]
    if problems:
        return problems
    for index, row in manifest.iterrows():
        if row["datatype"] not in ("ekte", "eksempel"):
            problems.append(Problem(str(path), expected="«ekte» eller «eksempel»", found=row["datatype"], row=index + 2, column="datatype"))
    listed = set(manifest["fil"])
    present = {p.relative_to(data_paths.raw).as_posix() for p in data_paths.raw.rglob("*") if p.is_file() and p != path and not p.name.startswith(".")}
    for missing in sorted(present - listed):
        problems.append(Problem(str(path), expected=f"en rad for filen {missing}", found="ingen rad", column="fil"))
    return problems


def check_rules(params: Params, municipality_count: int) -> list[Problem]:
    """The county total must be reachable under the minimum rule."""
    problems = []
    if 0 < params.totalt < params.minstetall and not params.unntak:
        problems.append(Problem(str(params.source), expected=f"et totaltall på 0 eller minst minstetallet {params.minstetall}",
                                found=str(params.totalt), column="totalt"))
    if municipality_count == 0:
        problems.append(Problem(str(params.source), expected="minst én kommune i fylket", found="ingen", column="fylkesnummer"))
    return problems


def validate_inputs(params: Params, data_paths: DataPaths) -> str:
    """Read and check every input; raise one InputError with all problems, or return a short summary."""
    from bosetting_lib.ingest import read_all

    problems = check_manifest(data_paths)
    try:
        result = read_all(params, data_paths)
    except InputError as exc:
        raise InputError(problems + exc.problems) from exc
    problems += check_rules(params, len(result.municipalities))
    if problems:
        raise InputError(problems)
    return (f"{len(result.municipalities)} kommuner, {len(result.population)} folketall, "
            f"{len(result.settlement)} bosettingstall")
