"""``bosetting nytt-aar``: start a new year's parameter file from the latest one, and the yearly checklist.

The new file is last year's text with a few lines edited, so every comment the analyst knows stays in place. What
cannot be carried over is left for the analyst and marked: the county total (null: validate and run refuse until it
is filled in), the national criteria (marked «må gjennomgås for <år>», which validate and run refuse), the feedback
deadline (moved one year, to review) and IMDi's table for the year just gone (listed, commented out, until the file
is in data/raw/).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bosetting_lib.errors import BosettingError
from bosetting_lib.sources.freshness import REVIEW_MARK, expected_imdi_file
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PARAMS_DIR

_YEAR_FILE = re.compile(r"^(\d{4})\.yaml$")
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_0-9]+):(?P<rest>.*)$")
# Inputs that belong to one year and would be read as this year's if copied (answers, adjustments).
_YEARLY_INPUTS = ("tilbakemeldinger", "justeringer")
DEFAULT_MAX_AGE = 2


def latest_params_file(year: int, params_dir: Path = PARAMS_DIR) -> Path:
    """The newest ``params/<år>.yaml`` before ``year`` (county files such as 2026_fylke_40.yaml are left out)."""
    years = sorted(int(m.group(1)) for p in params_dir.glob("*.yaml") if (m := _YEAR_FILE.match(p.name)))
    earlier = [y for y in years if y < year]
    if not earlier:
        raise BosettingError(f"Fant ingen parameterfil for et år før {year} i {params_dir}. Oppgi en med --fra.")
    return params_dir / f"{earlier[-1]}.yaml"


def _bump_date(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _split_comment(rest: str) -> tuple[str, str]:
    """(value, comment) of the text after ``key:``; the comment keeps its leading spaces and #."""
    match = re.search(r"\s+#", rest)
    if match is None or rest.count('"', 0, match.start()) % 2:
        return rest, ""
    return rest[: match.start()], rest[match.start():]


def new_year_text(old_text: str, old_year: int, year: int, imdi_file: str) -> str:
    """Last year's parameter text turned into ``year``'s (see the module docstring for what changes)."""
    last = year - 1
    lines = old_text.splitlines()
    out: list[str] = []
    section: list[str] = []  # keys of the open mappings (by indent) for the current line
    header = True
    has_age = any(re.match(r"^maks_alder_indikatorer:", line) for line in lines)
    for line in lines:
        match = _KEY.match(line)
        if match is None:
            stripped = line.strip()
            if header and stripped.startswith("#"):
                # The file's own title: «… i 2026 (forberedt våren 2025)» → «… i 2027 (forberedt våren 2026)»
                line = re.sub(rf"\b({old_year}|{old_year - 1})\b",
                              lambda m: str(year if m.group(1) == str(old_year) else last), line)
            elif stripped.startswith("- ") and section[:1] == ["nasjonale_kriterier"]:
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}- ({REVIEW_MARK} {year}) {stripped[2:]}"
            elif section[:1] == ["beskrivelse"] and stripped:
                line = re.sub(rf"\b{old_year}\b", str(year), line)
            elif stripped.startswith("# Årets nasjonale kriterier"):
                line += (f"\n# MÅ GJENNOMGÅS FOR {year}: punktene under er fjorårets ({old_year}). Skriv inn årets føringer og "
                         f"fjern «({REVIEW_MARK} {year})»; kontroll og kjøring stopper så lenge merket står.")
            out.append(line)
            continue
        header = False
        indent, key, rest = match.group("indent"), match.group("key"), match.group("rest")
        depth = len(indent) // 2
        section = section[:depth] + [key]
        value, comment = _split_comment(rest)
        value = value.strip()
        path = ".".join(section)
        if path == "aar":
            line = f"aar: {year}"
        elif path == "totalt":
            line = (f"totalt: null                # FYLL INN: fylkets samlede anmodning for {year} fra IMDi (i fjor {value}); "
                    "kontroll og kjøring stopper til tallet står her")
        elif path == "scenarier":
            line = f"{indent}{key}: {value}  # {REVIEW_MARK} {year}: fjorårets andre totaltall, sett dem ut fra årets totaltall"
        elif path == "usikkerhet.startverdi" and value == str(old_year):
            line = f"{indent}{key}: {year}{comment}"
        elif path == "tilbakemelding.frist":
            try:
                new = _bump_date(dt.date.fromisoformat(value)).isoformat()
            except ValueError:
                new = value
            line = f"{indent}{key}: {new}  # {REVIEW_MARK} {year}: flyttet ett år fram fra {value}; sett årets frist"
        elif path == "bruk_eksempeldata" and not has_age:
            out.append(line)
            line = (f"maks_alder_indikatorer: {DEFAULT_MAX_AGE}   # indikatorer med nyeste tall mer enn så mange år før "
                    f"{last} stopper kontroll og kjøring (bosetting hent henter nye SSB-tall)")
        elif len(section) == 2 and section[0] == "inndata" and key in _YEARLY_INPUTS:
            note = (f"svarene for {year} legges i data/raw/tilbakemeldinger/{year}/; skriv den mappen her"
                    if key == "tilbakemeldinger" else f"justeringene gjelder {old_year}; lag årets fil og skriv den her")
            line = f"{indent}# {key}: {value}   # fjorårets ({old_year}): {note}"
        elif path == "nasjonalt.fylkestotaler":
            new = value.replace(str(old_year), str(year))
            line = (f"{indent}{key}: {new}  # {REVIEW_MARK} {year}: IMDis fylkestotaler for {year} (brukes bare av "
                    f"--fylke og --alle-fylker); var {value}")
        out.append(line)
        # After last year's IMDi line, the year just gone, commented out until its file is in data/raw/.
        if section[:2] in (["inndata", "imdi"], ["nasjonalt", "imdi"]) and len(section) == 3 and section[2] == str(old_year - 1):
            target = imdi_file if section[0] == "inndata" else value.replace(str(old_year - 1), str(last))
            out.append(f"{indent}# {last}: {target}   # IMDis tabell for {last}: legg filen i data/raw/ med en "
                       "manifestrad og fjern # foran linjen")
    return "\n".join(out) + "\n"


def write_new_year(year: int, *, source: Path | str | None = None, params_dir: Path | None = None) -> Path:
    """Write ``<year>.yaml`` from ``source`` (default: the latest earlier year's file); never overwrites.

    The new file goes beside ``source`` when it is given, else into ``params_dir`` (default: the project's params/).
    """
    params_dir = Path(source).parent if source and params_dir is None else (params_dir or PARAMS_DIR)
    target = params_dir / f"{year}.yaml"
    if target.exists():
        raise BosettingError(f"{target} finnes allerede og skrives ikke over. Rett den direkte, eller slett den først "
                             "hvis du vil lage den på nytt.")
    source = Path(source) if source else latest_params_file(year, params_dir)
    old = load_params(source, allow_missing_total=True)
    if old.aar >= year:
        raise BosettingError(f"{source} gjelder {old.aar}; et nytt år lages fra et tidligere år enn {year}.")
    if old.aar != year - 1:
        raise BosettingError(f"{source} gjelder {old.aar}, ikke {year - 1}. Lag {year - 1}.yaml først, eller rett "
                             "den nye filen for hånd.")
    text = new_year_text(source.read_text(encoding="utf-8"), old.aar, year, expected_imdi_file(old, year - 1))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:  # "x": fails rather than overwrite
        handle.write(text)
    return target


def checklist(year: int, target: Path, imdi_file: str) -> list[str]:
    """The yearly checklist (Norwegian), in the order the work is done."""
    last = year - 1
    return [
        f"Laget {target} fra fjorårets fil. Dette må gjøres før {year} kan kjøres:",
        f"  1. IMDis tabell for {last} («Nøkkeltall bosetting {last}»): lagre den som data/raw/{imdi_file}, beskriv den i "
        f"en ny data/raw/manifest_<navn>.csv, og fjern # foran linjen «{last}: …» under inndata.imdi.",
        f"  2. Årets nasjonale kriterier for {year}: skriv dem inn under nasjonale_kriterier og fjern merket "
        f"«({REVIEW_MARK} {year})».",
        f"  3. Fylkets totaltall for {year} fra IMDi: fyll inn totalt (og se over scenarier).",
        f"  4. Tilbakemeldingene: sett tilbakemelding.frist, lag skjemaene med «bosetting skjema --year {year}», legg "
        f"svarene i data/raw/tilbakemeldinger/{year}/ og skriv mappen i inndata.tilbakemeldinger.",
        f"  5. Nye indikatorer: «bosetting hent --year {year}» laster ned SSB-tabellene (folketall, innvandrerandel); "
        "skriv de nye filene i inndata. Andre indikatorer oppdateres for hånd.",
        f"  6. «bosetting validate --year {year}» og så «bosetting run --year {year}». «--proeve» lar en prøvekjøring gå "
        "videre med det som mangler, og rapporten sier det øverst.",
    ]
