"""Any county from the national data: the shared criteria with the county's own total, municipalities and pages."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml

from bosetting_lib.errors import InputError, ParameterError, Problem
from bosetting_lib.config.params import Params, load_params
from bosetting_lib.config.paths import PARAMS_DIR, DataPaths
from bosetting_lib.sources.register import Register

# Inputs that exist only for the county the parameter file was written for.
COUNTY_ONLY_INPUTS = ("tilbakemeldinger", "justeringer", "kvalifiseringsplan", "videregaende_tilbud", "fylkets_kunnskap")


def county_override_file(year: int, county: str) -> Path:
    """A county's own parameter file, which replaces the shared one when it exists."""
    return PARAMS_DIR / f"{year}_fylke_{county}.yaml"


def county_totals(path: Path, register: Register, year: int) -> dict[str, int]:
    """Each county's total request for the year (county number -> total) from IMDi's county table."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems, totals = [], {}
    for column in ("year", "fylke", "anmodet"):
        if column not in frame.columns:
            problems.append(Problem(str(path), expected="kolonnen finnes", found="mangler", column=column))
    if problems:
        raise InputError(problems)
    for index, row in frame.iterrows():
        if row["year"].strip() != str(year):
            continue
        try:
            number = register.county_number(row["fylke"], year)
        except KeyError:
            problems.append(Problem(str(path), expected=f"et fylke som finnes i {year}", found=row["fylke"], row=index + 2, column="fylke"))
            continue
        if not row["anmodet"].strip().isdigit():
            problems.append(Problem(str(path), expected="et heltall ≥ 0", found=row["anmodet"], row=index + 2, column="anmodet"))
            continue
        totals[number] = int(row["anmodet"])
    if problems:
        raise InputError(problems)
    return totals


def county_parameters(base: Params, county: str, data_paths: DataPaths) -> dict:
    """The shared parameters rewritten for ``county``: its name, its total, the national IMDi pages."""
    national = base.raw.get("nasjonalt")
    if not national:
        raise ParameterError(Problem(str(base.source), expected="en gruppe «nasjonalt» med fylkestotaler og IMDis sider",
                                     found="mangler", column="nasjonalt"))
    register = Register.load(data_paths.raw / base.inndata_register)
    try:
        number = register.county_number(county, base.aar)
    except KeyError as exc:
        counties = ", ".join(f"{r.fylkesnummer} {r.fylke}" for r in register.counties(base.aar).itertuples())
        raise ParameterError(Problem(str(base.source), expected=f"et fylkesnummer i {base.aar} ({counties})",
                                     found=str(county), column="--fylke")) from exc
    totals = county_totals(data_paths.raw / national["fylkestotaler"], register, base.aar)
    if number not in totals:
        raise InputError(Problem(str(data_paths.raw / national["fylkestotaler"]),
                                 expected=f"et totaltall for fylke {number}", found="mangler", column="fylke"))
    raw = copy.deepcopy(base.raw)
    raw["fylkesnummer"] = number
    raw["fylke"] = register.county_name(number, base.aar)
    raw["totalt"] = totals[number]
    raw["beskrivelse"] = (f"Anbefaling om bosetting i {base.aar} for {raw['fylke']}, med de felles kriteriene og "
                          f"fylkets totaltall fra IMDi.")
    inputs = raw["inndata"]
    inputs["imdi"] = dict(national["imdi"])
    if "delingsvekter" in national:
        inputs["delingsvekter"] = national["delingsvekter"]
    for key in COUNTY_ONLY_INPUTS:
        inputs.pop(key, None)
    if isinstance(raw.get("rapport"), dict):
        raw["rapport"].pop("avsender", None)  # the shared file's sender is its own county, not this one
    raw["scenarier"] = sorted({round(totals[number] * f) for f in (0.6, 1.0, 1.5)})
    raw["unntak"] = []  # exceptions name the shared file's own municipalities, with its own reasons
    return raw


def write_parameters(raw: dict, path: Path) -> None:
    """Write parameters as YAML with county and municipality numbers quoted."""
    path.write_text(
        "# Avledet parameterfil: de felles parametrene skrevet om for ett fylke.\n"
        + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, default_flow_style=False, width=110),
        encoding="utf-8",
    )


def resolve_county_params(year: int, county: str, params_file: Path | str | None, data_paths: DataPaths, workdir: Path) -> Params:
    """Parameters for one county: its own file if it has one, the shared file if it is that file's county, or derived."""
    override = county_override_file(year, county)
    if params_file is None and override.is_file():
        return load_params(override, year=year)
    base = load_params(params_file, year=year)
    if base.fylkesnummer == county:
        return base
    target = workdir / "parametere.yaml"
    write_parameters(county_parameters(base, county, data_paths), target)
    return load_params(target, year=year)
