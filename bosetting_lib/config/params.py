"""The year's parameters: loaded from ``params/<year>.yaml`` and validated at once with clear errors."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bosetting_lib.errors import ParameterError, Problem
from bosetting_lib.formatting import format_short
from bosetting_lib.config.paths import PARAMS_DIR

ROUNDING_METHODS = ("sainte-lague", "dhondt", "largest-remainder")
# The indicator ids of bosetting_lib.model.indicators.INDICATORS (a test keeps the two in step). Listed here so that a
# typo in a criterion is refused when the parameters are loaded, without config importing the model.
KNOWN_INDICATORS = (
    "folketall", "vedtatt_snitt", "vilje", "levering", "bosatte_per_1000", "bosatte_per_1000_sist",
    "fastlege_reservekapasitet", "arbeidsmarked_sentralitet", "ledighet", "innvandrerandel", "oppgitt_kapasitet",
)
# How a criterion scores the municipalities (the anchor model's Tilt.kind, in Norwegian): by rank within the county,
# by the ratio to the county's median, or towards the population share.
TILT_KINDS = {"rang": "rank", "forhold": "log_ratio", "mot_folketall": "toward_population"}
TILT_DIRECTIONS = {"flere": 1, "færre": -1}  # what a higher value of the indicator gives
ZERO_RULES = {"anmodet_null": "asked_zero", "anmodet_null_eller_nei": "asked_zero_or_declined", "ingen": "none"}
_CODE = re.compile(r"^\d{4}$")
_COUNTY = re.compile(r"^\d{2}$")

# Every key a parameter file may hold, with its type; anything else is refused so a typo never passes silently.
_TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "aar": (int,),
    "fylkesnummer": (str,),
    "fylke": (str,),
    "totalt": (int, type(None)),
    "minstetall": (int,),
    "unntak": (list,),
    "avrunding": (str,),
    "inndata": (dict,),
    "modell": (dict,),
    "kriterier": (list,),
    "beskrivelse": (str,),
    "nasjonale_kriterier": (list,),
    "enslige_mindreaarige": (int, type(None)),
    "scenarier": (list,),
    "usikkerhet": (dict,),
    "bruk_eksempeldata": (bool,),
    "tilbakemelding": (dict,),
    "nasjonalt": (dict,),
    "maks_alder_indikatorer": (int,),
    "rapport": (dict,),
    "godta_avvik": (list,),
}
_REQUIRED = ("aar", "fylkesnummer", "totalt", "minstetall", "inndata", "modell")
_INPUT_KEYS: dict[str, tuple[type, ...]] = {
    "register": (str,),
    "imdi": (dict,),
    "folketall": (str,),
    "bosatte_flyktninger": (str,),
    "sentralitet": (str,),
    "fastlege": (str,),
    "ledighet": (str,),
    "innvandrerandel": (str,),
    "tilbakemeldinger": (str,),
    "justeringer": (str,),
    "delingsvekter": (str,),
    "kvalifiseringsplan": (str,),
    "videregaende_tilbud": (str,),
    "fylkets_kunnskap": (str,),
}
_NATIONAL_KEYS: dict[str, tuple[type, ...]] = {"fylkestotaler": (str,), "imdi": (dict,), "delingsvekter": (str,)}
_SENSITIVITY_KEYS: dict[str, tuple[type, ...]] = {"trekk": (int,), "spenn": (int, float), "startverdi": (int,)}
_FEEDBACK_KEYS: dict[str, tuple[type, ...]] = {"frist": (dt.date,), "kontakt": (str,), "steg": (int, float)}
# Who sends the report, its date and how final it is; shown on the first screen and in the workbook.
_REPORT_KEYS: dict[str, tuple[type, ...]] = {"status": (str,), "dato": (dt.date, type(None)), "avsender": (str, type(None))}
REPORT_STATUSES = ("utkast", "endelig")
# An accepted implausible figure (see sources/plausibility.py): which cell, and why it is right after all.
_OVERRIDE_KEYS: dict[str, tuple[type, ...]] = {
    "fil": (str,), "kommunenummer": (str,), "kolonne": (str,), "aar": (int,), "begrunnelse": (str,),
}
_CRITERION_KEYS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "navn": (str,),
    "beskrivelse": (str,),
    "indikator": (str,),
    "styrke": (int, float),
    "retning": (str,),
    "maate": (str,),
    "tjener": (str,),
}
_MODEL_KEYS: dict[str, tuple[type, ...]] = {
    "anmodet_vekt": (int, float),
    "eldre_aar": (int, float),
    "samlet_tak": (int, float),
    "nullregel": (str,),
    "unntak_forslag": (int,),
    "kriterier": (list,),
}
_EXCEPTION_KEYS: dict[str, tuple[type, ...]] = {"kommunenummer": (str,), "antall": (int,), "begrunnelse": (str,)}
NEW_EXCEPTION_FORM = ('en liste med kommunenummer, antall og begrunnelse, f.eks. «- {kommunenummer: "5001", antall: 5, '
                      'begrunnelse: "…"}» (den gamle formen med bare kommunenummer er erstattet: et unntak skal si '
                      'hvor mange og hvorfor)')


# The year a run is for when nobody says otherwise (the command line, make and the notebooks all take it from here).
DEFAULT_YEAR = 2026


@dataclass(frozen=True)
class Criterion:
    """One of the year's criteria: an indicator that tilts the anchor up or down, at most by ``styrke`` (0.05 = ±5 %)."""

    id: str
    navn: str
    beskrivelse: str
    indikator: str
    styrke: float
    retning: str = "flere"  # what a higher value gives: "flere" or "færre"
    maate: str = "rang"  # rang, forhold or mot_folketall (see TILT_KINDS)
    tjener: str = ""  # the national criterion it serves (text found in one of nasjonale_kriterier)


@dataclass(frozen=True)
class ModelParams:
    """The anchor model's settings (bosetting_lib.model.anchor.AnchorSettings, in the parameter file's words)."""

    anmodet_vekt: float = 0.5  # the latest request's share of the base; the rest is the latest decision
    eldre_aar: float = 0.5  # an older year's weight per year back (0: only the latest year)
    samlet_tak: float = 0.15  # the largest total move of all criteria together (0.15 = ±15 %)
    nullregel: str = "anmodet_null"  # see ZERO_RULES
    unntak_forslag: int = 5  # the amount proposed for an exception candidate


@dataclass(frozen=True)
class ExceptionParam:
    """An exception from the minimum: the municipality gets exactly ``antall``, for the stated reason."""

    kommunenummer: str
    antall: int
    begrunnelse: str


@dataclass(frozen=True)
class Params:
    """The validated parameters for one year's recommendation."""

    source: Path
    aar: int
    fylkesnummer: str
    totalt: int  # None only when loaded with allow_missing_total (new year, total not yet known)
    minstetall: int
    avrunding: str
    inndata_register: str
    inndata_imdi: dict[int, str]
    inndata_folketall: str
    kriterier: tuple[Criterion, ...]
    modell: ModelParams = field(default_factory=ModelParams)
    unntak: tuple[ExceptionParam, ...] = ()
    fylke: str | None = None
    beskrivelse: str = ""
    nasjonale_kriterier: tuple[str, ...] = ()
    enslige_mindreaarige: int | None = None
    scenarier: tuple[int, ...] = ()
    usikkerhet_trekk: int = 10_000
    usikkerhet_spenn: float = 0.5
    usikkerhet_startverdi: int = 1
    bruk_eksempeldata: bool = False
    tilbakemelding_frist: dt.date | None = None
    tilbakemelding_kontakt: str | None = None
    tilbakemelding_steg: float = 0.2  # "more/fewer than before" moves the number by at most this share
    rapport_status: str = "utkast"
    rapport_dato: dt.date | None = None
    rapport_avsender: str | None = None
    inndata_valgfrie: dict[str, str] = field(default_factory=dict)
    maks_alder_indikatorer: int | None = None  # years; older indicators stop validate/run (see freshness.py)
    # accepted implausible figures: dicts with fil, kommunenummer, begrunnelse and optionally kolonne, aar
    godta_avvik: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def strengths(self) -> dict[str, float]:
        """Criterion id -> strength (the largest move it alone can make)."""
        return {c.id: c.styrke for c in self.kriterier}

    @property
    def unntak_koder(self) -> tuple[str, ...]:
        """The municipalities with an exception from the minimum."""
        return tuple(e.kommunenummer for e in self.unntak)


def default_params_file(year: int) -> Path:
    """The parameter file for a year in the project's ``params/`` folder."""
    return PARAMS_DIR / f"{year}.yaml"


def _type_name(types: tuple[type, ...]) -> str:
    names = {int: "et heltall", float: "et tall", str: "en tekst i anførselstegn", list: "en liste",
             dict: "en gruppe nøkler", bool: "true eller false", type(None): "tom (null)", dt.date: "en dato ÅÅÅÅ-MM-DD"}
    return " eller ".join(names[t] for t in types)


def _check_type(value: Any, types: tuple[type, ...], name: str, file: str, problems: list[Problem],
                written: dict[str, str] | None = None) -> bool:
    # bool is a subclass of int in Python; a YAML yes/no is never a valid count or weight
    ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
    if not ok:
        problems.append(Problem(file, expected=_type_name(types) + _read_as(value, name, written, types), found=_shown(value, name, written),
                                column=name))
    return ok


def _check_keys(mapping: dict, allowed: dict, prefix: str, file: str, problems: list[Problem],
                written: dict[str, str] | None = None) -> None:
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if key not in allowed:
            problems.append(Problem(file, expected="en kjent parameter (" + ", ".join(allowed) + ")", found=str(key), column=name))
        else:
            _check_type(value, allowed[key], name, file, problems, written)


def _written(text: str) -> dict[str, str]:
    """Each scalar's text as written in the YAML file, by parameter name ("unntak[0]" -> "0301"), for messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[str, str] = {}

    def walk(node: yaml.Node, name: str) -> None:
        if isinstance(node, yaml.ScalarNode):
            out[name] = node.value
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{name}[{i}]")
        elif isinstance(node, yaml.MappingNode):
            for key, item in node.value:
                if isinstance(key, yaml.ScalarNode):
                    walk(item, f"{name}.{key.value}" if name else key.value)

    if root is not None:
        walk(root, "")
    return out


def _shown(value: Any, name: str, written: dict[str, str] | None) -> str:
    """A wrong value as the analyst wrote it (0301, not the 193 YAML made of it)."""
    if written and name in written and not isinstance(value, (dict, list)):
        return written[name]
    return repr(value)


def _read_as(value: Any, name: str, written: dict[str, str] | None, types: tuple[type, ...] = ()) -> str:
    """How to write a number that should be text, and what YAML made of it (0301 -> 193)."""
    text = (written or {}).get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or text is None:
        return ""
    note = f', f.eks. "{text}"' if str in types else ""
    if text != str(value):
        note += f"; uten anførselstegn blir {text} tallet {value}"
    return note


def _duplicate_keys(root: yaml.Node | None, file: str) -> list[Problem]:
    """Every key written twice in the same mapping, at any depth (PyYAML would silently keep the last)."""
    problems: list[Problem] = []

    def walk(node: yaml.Node, name: str) -> None:
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{name}[{i}]")
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, item in node.value:
                label = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                full = f"{name}.{label}" if name else label
                line = key.start_mark.line + 1
                if label in first and label != "<<":
                    problems.append(Problem(
                        file, expected=(f"hver parameter bare én gang i samme gruppe («{full}» står også på linje "
                                        f"{first[label]}); slett den ene, ellers gjelder bare den siste"),
                        found=f"«{label}» på linje {first[label]} og linje {line}", row=line, column=full))
                first.setdefault(label, line)
                walk(item, full)

    if root is not None:
        walk(root, "")
    return problems


# PyYAML's messages in Norwegian, for the mistakes people make when editing a parameter file by hand.
_YAML_MESSAGES = (
    ("found character '\\t' that cannot start any token", "mellomrom til innrykk, ikke tabulator"),
    ("mapping values are not allowed here", ("et kolon bare etter et parameternavn, med samme innrykk som linjene "
                                              "over (en tekst med kolon må stå i anførselstegn)")),
    ("could not find expected ':'", "et kolon etter parameternavnet"),
    ("expected <block end>", "samme innrykk som linjene over (like mange mellomrom)"),
    ("expected <block mapping start>", "samme innrykk som linjene over (like mange mellomrom)"),
    ("found unexpected end of stream", "et avsluttende anførselstegn"),
    ("found unknown escape character", "en gyldig tekst i anførselstegn (bruk enkle anførselstegn rundt tekst med \\)"),
    ("expected ',' or ']'", "komma mellom verdiene og ] til slutt i listen"),
    ("expected ',' or '}'", "komma mellom verdiene og } til slutt i gruppen"),
    ("found undefined alias", "ingen * foran en verdi (skriv den i anførselstegn)"),
    ("found duplicate anchor", "ingen & foran en verdi (skriv den i anførselstegn)"),
    ("expected alphabetic or numeric character", "ingen * eller & foran en verdi (skriv den i anførselstegn)"),
    ("found character '@' that cannot start any token", "tekst som begynner med @ i anførselstegn"),
    ("found character '`' that cannot start any token", "tekst som begynner med ` i anførselstegn"),
)


def _yaml_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Norwegian problem with the line and column, showing the line as written."""
    message = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    # An unclosed quote or list is reported where the file ends; where it was opened is more use.
    if getattr(exc, "context_mark", None) is not None and ("quoted scalar" in message or "flow" in message):
        mark = exc.context_mark
    mark = mark or getattr(exc, "context_mark", None)
    known = next((nb for en, nb in _YAML_MESSAGES if en in message), None)
    if mark is None:
        return Problem(file, expected="gyldig YAML" + (f": {known}" if known else ""), found=message.splitlines()[0])
    lines = text.splitlines()
    shown = lines[mark.line].rstrip() if mark.line < len(lines) else ""
    where = f" (linje {mark.line + 1}, kolonne {mark.column + 1})"
    expected = f"gyldig YAML{where}: {known}" if known else f"gyldig YAML{where} (YAML sier: {message.splitlines()[0]})"
    return Problem(file, expected=expected, found=shown.strip() or "slutten av filen", row=mark.line + 1)


def _indicator_problem(file: str, value: str, name: str) -> Problem:
    close = difflib.get_close_matches(value, KNOWN_INDICATORS, n=1, cutoff=0.6)
    hint = f"; mente du «{close[0]}»?" if close else ""
    return Problem(file, expected="en kjent indikator (" + ", ".join(KNOWN_INDICATORS) + ")" + hint, found=value,
                   column=name)


def _overrides(raw: Any, file: str, problems: list[Problem], written: dict[str, str]) -> tuple[dict[str, Any], ...]:
    """``godta_avvik``: each entry names a file, a municipality (and optionally a column or variable and a year) and
    says why the figure the plausibility checks doubt is right after all."""
    if not isinstance(raw, list):
        return ()
    out = []
    for i, item in enumerate(raw):
        prefix = f"godta_avvik[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(file, expected="en gruppe med fil, kommunenummer, kolonne eller aar, og begrunnelse",
                                    found=repr(item), column=prefix))
            continue
        before = len(problems)
        _check_keys(item, _OVERRIDE_KEYS, prefix + ".", file, problems, written)
        for key in ("fil", "kommunenummer", "begrunnelse"):
            if key not in item:
                problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=f"{prefix}.{key}"))
        code = item.get("kommunenummer")
        if isinstance(code, str) and not _CODE.match(code):
            problems.append(Problem(file, expected='kommunenummer med fire sifre i anførselstegn, f.eks. "5001"',
                                    found=code, column=f"{prefix}.kommunenummer"))
        reason = item.get("begrunnelse")
        if isinstance(reason, str) and len(reason.split()) < 2:
            problems.append(Problem(file, expected="en begrunnelse med noen ord om hvorfor tallet er riktig",
                                    found=reason, column=f"{prefix}.begrunnelse"))
        if "kolonne" not in item and "aar" not in item:
            problems.append(Problem(file, expected="kolonne (eller variabel) eller aar, så avviket ikke godtar mer enn "
                                    "det ene tallet", found="ingen av dem", column=prefix))
        if len(problems) == before:
            out.append(dict(item))
    return tuple(out)


def load_params(path: Path | str | None = None, *, year: int | None = None, allow_missing_total: bool = False) -> Params:
    """Read and validate a parameter file; raise ParameterError listing every problem.

    ``totalt: null`` (as ``bosetting nytt-aar`` writes it) is refused with a message that says to fill it in, unless
    ``allow_missing_total`` (for the steps that need no total: forms, downloads); then ``totalt`` is None.
    """
    the_default = path is None
    if the_default:
        if year is None:
            raise ValueError("give a path or a year")
        path = default_params_file(year)
    path = Path(path)
    file = str(path)
    if not path.is_file():
        expected = (f"en parameterfil for {year} i params/ (lag den med «bosetting nytt-aar {year}», som tar "
                    "med fjorårets innstillinger, og fyll inn årets tall)" if the_default else "en parameterfil som finnes")
        raise ParameterError(Problem(file, expected=expected, found="filen finnes ikke"))
    try:
        text = path.read_text(encoding="utf-8")
        if duplicates := _duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), file):
            raise ParameterError(duplicates)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError(_yaml_problem(file, text, exc)) from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(Problem(file, expected="en tekstfil i UTF-8", found=str(exc).splitlines()[0])) from exc
    if not isinstance(data, dict):
        raise ParameterError(Problem(file, expected="en YAML-fil med nøkler og verdier", found=type(data).__name__))

    problems: list[Problem] = []
    written = _written(text)
    _check_keys(data, _TOP_LEVEL, "", file, problems, written)
    for key in _REQUIRED:
        if key not in data:
            problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=key))

    county = data.get("fylkesnummer")
    if isinstance(county, str) and not _COUNTY.match(county):
        problems.append(Problem(file, expected='fylkesnummer med to sifre i anførselstegn, f.eks. "50"', found=county, column="fylkesnummer"))

    for name in ("totalt", "minstetall"):
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            problems.append(Problem(file, expected="et heltall ≥ 0", found=str(value), column=name))
    if "totalt" in data and data["totalt"] is None and not allow_missing_total:
        problems.append(Problem(file, expected=f"fylkets samlede anmodning fra IMDi for {data.get('aar', 'året')} (et "
                                "heltall); fyll inn tallet i parameterfilen før kontroll og kjøring", found="tom (null)",
                                column="totalt"))
    age = data.get("maks_alder_indikatorer")
    if isinstance(age, int) and not isinstance(age, bool) and age < 0:
        problems.append(Problem(file, expected="antall år ≥ 0", found=str(age), column="maks_alder_indikatorer"))
    if year is not None and isinstance(data.get("aar"), int) and data["aar"] != year:
        problems.append(Problem(file, expected=f"året {year}", found=str(data["aar"]), column="aar"))

    exceptions = _exceptions(data.get("unntak") or [], file, problems, written)

    method = data.get("avrunding", "sainte-lague")
    if isinstance(method, str) and method not in ROUNDING_METHODS:
        problems.append(Problem(file, expected="en av " + ", ".join(ROUNDING_METHODS), found=method, column="avrunding"))

    inputs = data.get("inndata") if isinstance(data.get("inndata"), dict) else {}
    _check_keys(inputs, _INPUT_KEYS, "inndata.", file, problems, written)
    for key in ("imdi", "folketall"):
        if key not in inputs and "inndata" in data:
            problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=f"inndata.{key}"))
    imdi: dict[int, str] = {}
    for key, rel in (inputs.get("imdi") or {}).items() if isinstance(inputs.get("imdi"), dict) else []:
        if not (isinstance(key, int) and 2000 <= key <= 2100):
            problems.append(Problem(file, expected="et årstall som nøkkel", found=repr(key), column="inndata.imdi"))
        elif not isinstance(rel, str):
            problems.append(Problem(file, expected="en filsti", found=repr(rel), column=f"inndata.imdi.{key}"))
        else:
            imdi[key] = rel

    minors = data.get("enslige_mindreaarige")
    if isinstance(minors, int) and not isinstance(minors, bool) and minors < 0:
        problems.append(Problem(file, expected="et heltall ≥ 0", found=str(minors), column="enslige_mindreaarige"))
    scenarios = data.get("scenarier") or []
    if isinstance(scenarios, list):
        for i, total in enumerate(scenarios):
            if not (isinstance(total, int) and not isinstance(total, bool) and total >= 0):
                problems.append(Problem(file, expected="et heltall ≥ 0", found=repr(total), column=f"scenarier[{i}]"))
    national_criteria = data.get("nasjonale_kriterier") or []
    if isinstance(national_criteria, list):
        for i, text in enumerate(national_criteria):
            if not isinstance(text, str):
                problems.append(Problem(file, expected="en tekst", found=repr(text), column=f"nasjonale_kriterier[{i}]"))
    sensitivity = data.get("usikkerhet") if isinstance(data.get("usikkerhet"), dict) else {}
    if "konsentrasjon" in sensitivity:
        problems.append(Problem(file, expected=("usikkerhet.spenn (hvor mye modellens innstillinger varieres, f.eks. 0.5); "
                                                "konsentrasjon gjaldt den gamle vektede nøkkelen"),
                                found=_shown(sensitivity["konsentrasjon"], "usikkerhet.konsentrasjon", written),
                                column="usikkerhet.konsentrasjon"))
        sensitivity = {k: v for k, v in sensitivity.items() if k != "konsentrasjon"}
    _check_keys(sensitivity, _SENSITIVITY_KEYS, "usikkerhet.", file, problems, written)
    if isinstance(sensitivity.get("trekk"), int) and not 1 <= sensitivity["trekk"] <= 1_000_000:
        problems.append(Problem(file, expected="mellom 1 og 1 000 000 trekk", found=str(sensitivity["trekk"]), column="usikkerhet.trekk"))
    _in_range(sensitivity, "spenn", 0.0, 1.0, "usikkerhet.", file, problems)
    national = data.get("nasjonalt") if isinstance(data.get("nasjonalt"), dict) else {}
    _check_keys(national, _NATIONAL_KEYS, "nasjonalt.", file, problems, written)
    feedback = data.get("tilbakemelding") if isinstance(data.get("tilbakemelding"), dict) else {}
    _check_keys(feedback, _FEEDBACK_KEYS, "tilbakemelding.", file, problems, written)
    _in_range(feedback, "steg", 0.0, 0.5, "tilbakemelding.", file, problems)
    report = data.get("rapport") if isinstance(data.get("rapport"), dict) else {}
    _check_keys(report, _REPORT_KEYS, "rapport.", file, problems, written)
    status = report.get("status", "utkast")
    if isinstance(status, str) and status not in REPORT_STATUSES:
        problems.append(Problem(file, expected="utkast eller endelig", found=status, column="rapport.status"))
    elif status == "endelig" and report.get("dato") is None:
        problems.append(Problem(file, expected="en dato ÅÅÅÅ-MM-DD når rapporten er endelig", found="mangler",
                                column="rapport.dato"))

    overrides = _overrides(data.get("godta_avvik"), file, problems, written)

    if "kriterier" in data:
        problems.append(Problem(file, expected=(
            "kriteriene under modell.kriterier, hvert med styrke, retning og tjener (ankermodellen, se params/2026.yaml); "
            "den vektede nøkkelen med vekt per kriterium er erstattet"), found="kriterier på øverste nivå", column="kriterier"))
    national_texts = [t for t in national_criteria if isinstance(t, str)] if isinstance(national_criteria, list) else []
    model, criteria = _model(data.get("modell"), national_texts, file, problems, written)

    if problems:
        raise ParameterError(problems)
    return Params(
        source=path,
        aar=data["aar"],
        fylkesnummer=data["fylkesnummer"],
        fylke=data.get("fylke"),
        totalt=data["totalt"],
        minstetall=data["minstetall"],
        avrunding=method,
        unntak=tuple(exceptions),
        modell=model,
        inndata_register=inputs.get("register", "reference"),
        inndata_imdi=dict(sorted(imdi.items())),
        inndata_folketall=inputs["folketall"],
        kriterier=tuple(criteria),
        beskrivelse=data.get("beskrivelse", ""),
        nasjonale_kriterier=tuple(national_criteria),
        enslige_mindreaarige=minors,
        scenarier=tuple(scenarios),
        usikkerhet_trekk=sensitivity.get("trekk", 10_000),
        usikkerhet_spenn=float(sensitivity.get("spenn", 0.5)),
        usikkerhet_startverdi=sensitivity.get("startverdi", 1),
        bruk_eksempeldata=data.get("bruk_eksempeldata", False),
        tilbakemelding_frist=feedback.get("frist"),
        tilbakemelding_kontakt=feedback.get("kontakt"),
        tilbakemelding_steg=float(feedback.get("steg", 0.2)),
        rapport_status=status if isinstance(status, str) else "utkast",
        rapport_dato=report.get("dato"),
        rapport_avsender=report.get("avsender"),
        inndata_valgfrie={k: v for k, v in sorted(inputs.items()) if k not in ("register", "imdi", "folketall")},
        maks_alder_indikatorer=data.get("maks_alder_indikatorer"),
        godta_avvik=overrides,
        raw=data,
    )


def _in_range(mapping: dict, key: str, low: float, high: float, prefix: str, file: str, problems: list[Problem]) -> None:
    value = mapping.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
        problems.append(Problem(file, expected=f"et tall fra {format_short(low)} til {format_short(high)}", found=str(value),
                                column=prefix + key))


def _exceptions(items: Any, file: str, problems: list[Problem], written: dict[str, str]) -> list[ExceptionParam]:
    """``unntak``: a list of {kommunenummer, antall, begrunnelse}; a bare code (the old form) is refused with the new form."""
    if not isinstance(items, list):
        return []
    out: list[ExceptionParam] = []
    for i, item in enumerate(items):
        name = f"unntak[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(file, expected=NEW_EXCEPTION_FORM, found=_shown(item, name, written), column=name))
            continue
        before = len(problems)
        _check_keys(item, _EXCEPTION_KEYS, name + ".", file, problems, written)
        for key in _EXCEPTION_KEYS:
            if key not in item:
                problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=f"{name}.{key}"))
        if len(problems) > before:
            continue
        code, count, reason = item["kommunenummer"], item["antall"], item["begrunnelse"].strip()
        if not _CODE.match(code):
            problems.append(Problem(file, expected='kommunenummer med fire sifre i anførselstegn, f.eks. "5001"', found=code,
                                    column=f"{name}.kommunenummer"))
        elif count < 0:
            problems.append(Problem(file, expected="et heltall ≥ 0", found=str(count), column=f"{name}.antall"))
        elif not reason:
            problems.append(Problem(file, expected="en begrunnelse (hvorfor kommunen får et annet tall enn regelen gir)",
                                    found="tom", column=f"{name}.begrunnelse"))
        elif code in {e.kommunenummer for e in out}:
            problems.append(Problem(file, expected="hver kommune bare én gang i unntak", found=code, column=f"{name}.kommunenummer"))
        else:
            out.append(ExceptionParam(code, count, reason))
    return out


def _model(section: Any, national: list[str], file: str, problems: list[Problem],
           written: dict[str, str]) -> tuple[ModelParams, tuple[Criterion, ...]]:
    """``modell``: the anchor settings and the criteria (tilts), each naming the national criterion it serves."""
    if not isinstance(section, dict):
        return ModelParams(), ()
    _check_keys(section, _MODEL_KEYS, "modell.", file, problems, written)
    for key in ("anmodet_vekt", "eldre_aar"):
        _in_range(section, key, 0.0, 1.0, "modell.", file, problems)
    _in_range(section, "samlet_tak", 0.0, 0.5, "modell.", file, problems)
    rule = section.get("nullregel", "anmodet_null")
    if isinstance(rule, str) and rule not in ZERO_RULES:
        problems.append(Problem(file, expected="en av " + ", ".join(ZERO_RULES), found=rule, column="modell.nullregel"))
    amount = section.get("unntak_forslag", 5)
    if isinstance(amount, int) and not isinstance(amount, bool) and amount < 1:
        problems.append(Problem(file, expected="et heltall ≥ 1 (og under minstetallet)", found=str(amount),
                                column="modell.unntak_forslag"))
    criteria: list[Criterion] = []
    raw = section.get("kriterier") if isinstance(section.get("kriterier"), list) else []
    for i, item in enumerate(raw):
        prefix = f"modell.kriterier[{i}]."
        if not isinstance(item, dict):
            problems.append(Problem(file, expected="et kriterium med id, navn, indikator, styrke, retning og tjener",
                                    found=repr(item), column=f"modell.kriterier[{i}]"))
            continue
        before = len(problems)
        _check_keys(item, _CRITERION_KEYS, prefix, file, problems, written)
        for key in ("id", "navn", "indikator", "styrke", "retning", "tjener"):
            if key not in item:
                problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=prefix + key))
        if isinstance(item.get("indikator"), str) and item["indikator"] not in KNOWN_INDICATORS:
            problems.append(_indicator_problem(file, item["indikator"], prefix + "indikator"))
        if isinstance(item.get("retning"), str) and item["retning"] not in TILT_DIRECTIONS:
            problems.append(Problem(file, expected="flere eller færre (hva en høyere verdi gir)", found=item["retning"],
                                    column=prefix + "retning"))
        if isinstance(item.get("maate"), str) and item["maate"] not in TILT_KINDS:
            problems.append(Problem(file, expected="en av " + ", ".join(TILT_KINDS), found=item["maate"], column=prefix + "maate"))
        _in_range(item, "styrke", 0.0, 0.5, prefix, file, problems)
        serves = item.get("tjener")
        if isinstance(serves, str) and national and not any(serves.strip().casefold() in t.casefold() for t in national):
            problems.append(Problem(file, expected=("en tekst fra ett av punktene i nasjonale_kriterier (" +
                                                    "; ".join(t[:60] for t in national) + ")"),
                                    found=serves, column=prefix + "tjener"))
        if len(problems) == before:
            criteria.append(Criterion(item["id"], item["navn"], item.get("beskrivelse", ""), item["indikator"],
                                      float(item["styrke"]), item["retning"], item.get("maate", "rang"), serves.strip()))
    ids = [c.id for c in criteria]
    if len(set(ids)) != len(ids):
        problems.append(Problem(file, expected="ulike id for hvert kriterium", found=", ".join(ids), column="modell.kriterier"))
    model = ModelParams(
        anmodet_vekt=float(section.get("anmodet_vekt", 0.5)), eldre_aar=float(section.get("eldre_aar", 0.5)),
        samlet_tak=float(section.get("samlet_tak", 0.15)), nullregel=rule if isinstance(rule, str) else "anmodet_null",
        unntak_forslag=amount if isinstance(amount, int) else 5)
    return model, tuple(criteria)
