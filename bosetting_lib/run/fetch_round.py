"""``bosetting hent``: download the SSB tables the parameters use into data/raw/, all or nothing.

Every answer is downloaded into a temporary folder and read with the project's JSON-stat reader first; only when all
of them are good are the files and their manifest batches moved into ``data/raw/``. Nothing is ever overwritten:
each file and each manifest gets a new name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bosetting_lib.errors import BosettingError, InputError
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.raw_manifest import MANIFEST_COLUMNS
from bosetting_lib.sources.register import Register
from bosetting_lib.sources.ssb_api import LICENCE, TIMEOUT_SECONDS, Fetch, Request, check_response, requests_for, urllib_fetch


@dataclass(frozen=True)
class Fetched:
    """One table written into data/raw/: the file (relative to raw/), its manifest batch and the request."""

    key: str
    file: str
    manifest: Path
    request: Request
    rows: int


def _free(path: Path) -> Path:
    """``path`` if it does not exist, else the first ``<stem>_2<suffix>``, ``_3`` … that does not."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    return candidate


def manifest_text(row: dict[str, str]) -> str:
    """One manifest batch (header and one row) in the manifests' CSV form."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue()


def fetch_year(
    year: int,
    *,
    params_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    fetch: Fetch | None = None,
    today: dt.date | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> tuple[list[Fetched], dict[str, str]]:
    """Download the year's SSB tables; returns what was written and the SSB inputs left for the analyst (with why).

    On any failure (network, an answer that is not the expected JSON-stat, a missing municipality or year) a
    BosettingError is raised and nothing in data/raw/ is changed.
    """
    fetch = fetch or urllib_fetch  # looked up at call time (tests replay recorded answers instead)
    params = load_params(params_file, year=year, allow_missing_total=True)
    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    today = today or dt.date.today()
    register = Register.load(data_paths.raw / params.inndata_register)
    regions = register.municipalities(year, county=params.fylkesnummer)["kommunenummer"].tolist()
    inputs = {"folketall": params.inndata_folketall, **params.inndata_valgfrie}
    requests, skipped = requests_for(inputs, regions, year)
    if not requests:
        raise BosettingError(f"{params.source.name} bruker ingen SSB-tabell som «bosetting hent» kan laste ned.")

    raw = data_paths.raw
    county = params.fylkesnummer
    asked = ""
    staging = Path(tempfile.mkdtemp(prefix=".hent-", dir=data_paths.data_dir))
    written: list[Path] = []
    try:
        planned = []
        for request in requests:
            spec = request.spec
            name = f"{spec.table}_{spec.name}_fylke{county}_{request.years[0]}_{request.years[-1]}_hentet_{today.isoformat()}.json"
            target = _free(raw / "ssb" / name)
            label = f"data/raw/ssb/{target.name}"
            asked = request.url
            data = fetch(request.url, timeout)
            tidy = check_response(data, request, register=register, target_year=year, label=label)
            staged = staging / target.name
            staged.write_bytes(data)
            rel = target.relative_to(raw).as_posix()
            row = {
                "fil": rel,
                "datatype": "ekte",
                "kilde": f"SSB, statistikkbanken tabell {spec.table} via PxWebApi 2: {request.url}",
                "lisens": LICENCE,
                "referansedato": f"{request.years[-1]}-{spec.reference_day}",
                "beskrivelse": (
                    f"{spec.title}. Lastet ned {today.isoformat()} med «bosetting hent --year {year}» som JSON-stat 2, "
                    f"uendret. Spørring: {request.query}. Lest og kontrollert med prosjektets JSON-stat-leser "
                    f"({len(tidy)} tall)."
                ),
            }
            manifest = _free(raw / f"manifest_hent_{year}_{spec.table}.csv")
            (staging / manifest.name).write_text(manifest_text(row), encoding="utf-8")
            planned.append((request, staged, target, staging / manifest.name, manifest, len(tidy)))
        # Everything is in hand and checked: move into place; undo on a failure halfway.
        done = []
        for request, staged, target, staged_manifest, manifest, rows in planned:
            target.parent.mkdir(parents=True, exist_ok=True)
            for src, dst in ((staged, target), (staged_manifest, manifest)):
                if dst.exists():
                    raise BosettingError(f"{dst} finnes allerede; rådata skrives aldri over. Ingenting er skrevet.")
                shutil.move(str(src), str(dst))
                written.append(dst)
            done.append(Fetched(request.spec.key, target.relative_to(raw).as_posix(), manifest, request, rows))
        written = []
        return done, skipped
    except InputError as exc:
        raise BosettingError(f"{exc}\nSvaret fra SSB på {asked} er ikke som ventet. Ingenting er skrevet i data/raw/.") from exc
    finally:
        for path in written:  # only on a failure while moving
            path.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def summary_lines(done: list[Fetched], skipped: dict[str, str], params_name: str) -> list[str]:
    """What was written and what to change in the parameters, in Norwegian."""
    lines = [f"Hentet {len(done)} tabell(er) fra SSB:"]
    for item in done:
        lines.append(f"  - data/raw/{item.file} ({item.rows} tall), beskrevet i data/raw/{item.manifest.name}")
    lines.append(f"Ta dem i bruk ved å endre linjene i {params_name}:")
    lines += [f"  inndata.{item.key}: {item.file}" for item in done]
    for key, why in skipped.items():
        lines.append(f"Ikke hentet: inndata.{key} ({why}).")
    return lines
