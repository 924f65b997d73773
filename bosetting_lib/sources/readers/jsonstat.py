"""Reader for SSB's JSON-stat 2 datasets (the StatBank API's recommended format).

pyjstat was considered and not used: it ignores the ``status`` member (symbols become plain missing values),
calls ``DataFrame.append`` (removed in pandas 2) in one path and pulls in ``requests``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bosetting_lib.errors import InputError, Problem
from bosetting_lib.sources.readers.tidy import build_tidy, long_frame
from bosetting_lib.sources.readers.statbank_csv import _match_named, is_count_variable
from bosetting_lib.sources.cells import classify_region, decode_bytes, normalise_symbol, parse_year

if TYPE_CHECKING:
    from bosetting_lib.sources.register import Register

_ROLE_NAMES = {"geo": ("region",), "time": ("tid", "time", "år"), "metric": ("contentscode", "statistikkvariabel")}


def read_jsonstat(
    source: str | Path | bytes | dict[str, Any],
    *,
    register: Register,
    target_year: int,
    county: str | int | None = None,
    nonnegative: bool | None = None,
    split_weights: Any = None,
) -> pd.DataFrame:
    """Read a JSON-stat 2 dataset (file path, JSON text/bytes or parsed dict) into the tidy table."""
    file, obj = _load(source)
    ds, problems = _dataset(obj, file)
    if ds is None:
        raise InputError(problems)
    ids, sizes, dims = ds["id"], ds["size"], ds["dimension"]
    roles = ds.get("role") or {}
    geo = _dimension_id(ids, roles, "geo")
    time = _dimension_id(ids, roles, "time")
    metric = _dimension_id(ids, roles, "metric")
    for dim_id, what in ((geo, "regiondimensjonen «Region»"), (time, "tidsdimensjonen «Tid»")):
        if dim_id is None:
            problems.append(Problem(file, expected=what, found=", ".join(ids), column="id"))
    categories: dict[str, list[tuple[str, str]]] = {}
    for dim_id, size in zip(ids, sizes):
        cats, problem = _categories(dims.get(dim_id), dim_id, size, file)
        if problem:
            problems.append(problem)
        categories[dim_id] = cats
    total = math.prod(sizes)
    values = ds.get("value")
    if isinstance(values, list) and len(values) != total:
        problems.append(Problem(file, expected=f"{total} verdier i «value» (produktet av «size» {sizes}); filen "
                                "ser ut til å være avkortet", found=f"{len(values)} verdier", column="value"))
    if problems:
        raise InputError(problems)
    status = ds.get("status")

    records: list[dict[str, Any]] = []
    named: list[tuple[int, dict[str, Any]]] = []
    excluded: dict[str, None] = {}
    for flat, combo in enumerate(itertools.product(*(categories[d] for d in ids))):
        cell = dict(zip(ids, combo))
        where = f"value[{flat}] (" + ", ".join(f"{d}={c[0]}" for d, c in cell.items()) + ")"
        code, label = cell[geo]
        region = classify_region(f"{code} {label}")
        if region.kind in {"landet", "fylke", "annet"}:
            excluded[f"{code} {label}".strip()] = None
            continue
        if region.kind == "ugyldig":
            problems.append(Problem(file, expected="en regionkode som «5001»", found=code, column=where))
            continue
        year = parse_year(cell[time][0])
        if year is None:
            problems.append(Problem(file, expected="et årstall (fire sifre) i tidsdimensjonen", found=cell[time][0],
                                    column=where))
            continue
        parts = [cell[metric][1]] if metric else []
        parts += [cell[d][1] for d in ids if d not in (geo, time, metric) and len(categories[d]) > 1]
        variabel = ", ".join(parts) or ds.get("label", "verdi")
        value = values.get(str(flat)) if isinstance(values, dict) else values[flat]
        sym = _status(status, flat)
        verdi, stat = None, None
        if value is None:
            stat = sym if sym else ".."  # a null without a symbol is still missing, never zero
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(file, expected="et tall eller null", found=str(value), column=where))
            continue
        else:
            verdi = float(value)
            count = is_count_variable(variabel) if nonnegative is None else nonnegative
            if count and verdi < 0:
                problems.append(Problem(file, expected="et antall (0 eller mer), ikke et negativt tall",
                                        found=str(value), column=where))
                continue
        rec = {"kommunenummer": region.code, "aar": year, "variabel": variabel, "verdi": verdi, "status": stat,
               "_rad": None, "_kolonne": where}
        if region.kind == "navn":
            named.append((None, {**rec, "_navn": region.name}))
        else:
            records.append(rec)
    records += _match_named(named, register, file, problems, excluded, geo or "Region")
    if not records and not problems:
        problems.append(Problem(file, expected="rader for kommuner (firesifret kommunenummer)",
                                found="bare " + ", ".join(list(excluded)[:5]) if excluded else "ingen regioner"))
    return build_tidy(
        long_frame(records), register=register, target_year=target_year, county=county, file=file,
        problems=problems, split_weights=split_weights,
        attrs={"excluded_regions": tuple(excluded), "title": str(ds.get("label", ""))},
    )


def _load(source: str | Path | bytes | dict[str, Any]) -> tuple[str, Any]:
    """(file label, parsed JSON) from a path, JSON text, bytes or an already parsed dict."""
    if isinstance(source, dict):
        return "(JSON-stat)", source
    if isinstance(source, bytes):
        file, data = "(JSON-stat)", source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        file, data = "(JSON-stat)", source.encode("utf-8")
    else:
        file = str(source)
        data = Path(source).read_bytes()
    if not data.strip():
        raise InputError(Problem(file, expected="et JSON-stat-datasett", found="tom fil"))
    decoded, problems = decode_bytes(data, file=file)
    if decoded is None:
        raise InputError(problems)
    try:
        return file, json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(file, expected="gyldig JSON (filen kan være avkortet)", found=exc.msg,
                                 row=exc.lineno, column=f"tegn {exc.colno}")) from exc


def _dataset(obj: Any, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The JSON-stat 2 dataset in ``obj`` (JSON-stat 1 bundles are unwrapped and converted)."""
    if not isinstance(obj, dict):
        return None, [Problem(file, expected="et JSON-objekt (JSON-stat-datasett)", found=type(obj).__name__)]
    if "dataset" in obj and isinstance(obj["dataset"], dict):
        obj = obj["dataset"]  # JSON-stat 1 bundle from SSB's old API
    if "id" not in obj and isinstance(obj.get("dimension"), dict) and "id" in obj["dimension"]:
        dim = obj["dimension"]
        obj = {**obj, "id": dim["id"], "size": dim["size"], "role": dim.get("role", {}),
               "dimension": {k: v for k, v in dim.items() if k not in ("id", "size", "role")}}
    missing = [k for k in ("id", "size", "dimension", "value") if k not in obj]
    if missing:
        return None, [Problem(file, expected="et JSON-stat 2-datasett med id, size, dimension og value",
                              found="mangler " + ", ".join(missing), column=", ".join(missing))]
    if len(obj["id"]) != len(obj["size"]):
        return None, [Problem(file, expected="like mange elementer i «id» og «size»",
                              found=f"{len(obj['id'])} og {len(obj['size'])}", column="size")]
    return obj, []


def _dimension_id(ids: list[str], roles: dict[str, list[str]], role: str) -> str | None:
    """The dimension with ``role`` (or SSB's usual id for it)."""
    for dim_id in roles.get(role, []):
        if dim_id in ids:
            return dim_id
    return next((d for d in ids if d.casefold() in _ROLE_NAMES[role]), None)


def _categories(dim: Any, dim_id: str, size: int, file: str) -> tuple[list[tuple[str, str]], Problem | None]:
    """(code, label) pairs in index order for one dimension."""
    if not isinstance(dim, dict) or "category" not in dim:
        return [], Problem(file, expected=f"dimensjonen «{dim_id}» med category", found="mangler",
                           column=f"dimension.{dim_id}")
    cat = dim["category"]
    index = cat.get("index")
    labels = cat.get("label", {}) or {}
    if index is None:
        codes = list(labels)
    elif isinstance(index, list):
        codes = [str(c) for c in index]
    else:
        codes = [c for c, _ in sorted(index.items(), key=lambda kv: kv[1])]
    if len(codes) != size:
        return [], Problem(file, expected=f"{size} kategorier i «{dim_id}» (som i size)", found=f"{len(codes)}",
                           column=f"dimension.{dim_id}.category.index")
    return [(c, str(labels.get(c, c))) for c in codes], None


def _status(status: Any, flat: int) -> str | None:
    """The symbol for one value from JSON-stat's status (a string for all, a list, or an index → symbol dict)."""
    if status is None:
        return None
    if isinstance(status, str):
        sym = status
    elif isinstance(status, list):
        sym = status[flat] if flat < len(status) else None
    else:
        sym = status.get(str(flat))
    if sym is None:
        return None
    return normalise_symbol(str(sym)) or None
