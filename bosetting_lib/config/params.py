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
from bosetting_lib.config.paths import PARAMS_DIR

ROUNDING_METHODS = ("sainte-lague", "dhondt", "largest-remainder")
# The indicator ids of bosetting_lib.model.indicators.INDICATORS (a test keeps the two in step). Listed here so that a
# typo in a criterion is refused when the parameters are loaded, without config importing the model.
KNOWN_INDICATORS = (
    "folketall", "vedtatt_snitt", "vilje", "levering", "bosatte_per_1000", "fastlege_reservekapasitet",
    "arbeidsmarked_sentralitet", "ledighet", "innvandrerandel", "oppgitt_kapasitet",
)
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
_REQUIRED = ("aar", "fylkesnummer", "totalt", "minstetall", "inndata", "kriterier")
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
_SENSITIVITY_KEYS: dict[str, tuple[type, ...]] = {"trekk": (int,), "konsentrasjon": (int, float), "startverdi": (int,)}
_FEEDBACK_KEYS: dict[str, tuple[type, ...]] = {"frist": (dt.date,), "kontakt": (str,)}
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
    "vekt": (int, float),
    "grunnlag": (str,),
}


# The year a run is for when nobody says otherwise (the command line, make and the notebooks all take it from here).
DEFAULT_YEAR = 2026


@dataclass(frozen=True)
class Criterion:
    """One of the year's criteria: measured by one indicator, given one weight in the key."""

    id: str
    navn: str
    beskrivelse: str
    indikator: str
    vekt: float
    grunnlag: str = "folketall"  # for rate indicators: the count the rate scales (population or settlement history)


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
    unntak: tuple[str, ...] = ()
    fylke: str | None = None
    beskrivelse: str = ""
    nasjonale_kriterier: tuple[str, ...] = ()
    enslige_mindreaarige: int | None = None
    scenarier: tuple[int, ...] = ()
    usikkerhet_trekk: int = 10_000
    usikkerhet_konsentrasjon: float = 200.0
    usikkerhet_startverdi: int = 1
    bruk_eksempeldata: bool = False
    tilbakemelding_frist: dt.date | None = None
    tilbakemelding_kontakt: str | None = None
    rapport_status: str = "utkast"
    rapport_dato: dt.date | None = None
    rapport_avsender: str | None = None
    inndata_valgfrie: dict[str, str] = field(default_factory=dict)
    maks_alder_indikatorer: int | None = None  # years; older indicators stop validate/run (see freshness.py)
    # accepted implausible figures: dicts with fil, kommunenummer, begrunnelse and optionally kolonne, aar
    godta_avvik: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def weights(self) -> dict[str, float]:
        """Criterion id -> weight."""
        return {c.id: c.vekt for c in self.kriterier}


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
    if path is None:
        if year is None:
            raise ValueError("give a path or a year")
        path = default_params_file(year)
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise ParameterError(Problem(file, expected="en parameterfil som finnes", found="filen finnes ikke"))
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

    exceptions = data.get("unntak") or []
    if isinstance(exceptions, list):
        for i, code in enumerate(exceptions):
            if not (isinstance(code, str) and _CODE.match(code)):
                name = f"unntak[{i}]"
                problems.append(Problem(file, expected='kommunenummer med fire sifre i anførselstegn, f.eks. "0301"'
                                        + _read_as(code, name, written), found=_shown(code, name, written), column=name))

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
    _check_keys(sensitivity, _SENSITIVITY_KEYS, "usikkerhet.", file, problems, written)
    if isinstance(sensitivity.get("trekk"), int) and not 1 <= sensitivity["trekk"] <= 1_000_000:
        problems.append(Problem(file, expected="mellom 1 og 1 000 000 trekk", found=str(sensitivity["trekk"]), column="usikkerhet.trekk"))
    if isinstance(sensitivity.get("konsentrasjon"), (int, float)) and sensitivity["konsentrasjon"] <= 0:
        problems.append(Problem(file, expected="et tall over 0", found=str(sensitivity["konsentrasjon"]), column="usikkerhet.konsentrasjon"))
    national = data.get("nasjonalt") if isinstance(data.get("nasjonalt"), dict) else {}
    _check_keys(national, _NATIONAL_KEYS, "nasjonalt.", file, problems, written)
    feedback = data.get("tilbakemelding") if isinstance(data.get("tilbakemelding"), dict) else {}
    _check_keys(feedback, _FEEDBACK_KEYS, "tilbakemelding.", file, problems, written)
    report = data.get("rapport") if isinstance(data.get("rapport"), dict) else {}
    _check_keys(report, _REPORT_KEYS, "rapport.", file, problems, written)
    status = report.get("status", "utkast")
    if isinstance(status, str) and status not in REPORT_STATUSES:
        problems.append(Problem(file, expected="utkast eller endelig", found=status, column="rapport.status"))
    elif status == "endelig" and report.get("dato") is None:
        problems.append(Problem(file, expected="en dato ÅÅÅÅ-MM-DD når rapporten er endelig", found="mangler",
                                column="rapport.dato"))

    overrides = _overrides(data.get("godta_avvik"), file, problems, written)

    criteria: list[Criterion] = []
    raw_criteria = data.get("kriterier") if isinstance(data.get("kriterier"), list) else []
    for i, item in enumerate(raw_criteria):
        prefix = f"kriterier[{i}]."
        if not isinstance(item, dict):
            problems.append(Problem(file, expected="et kriterium med id, navn, indikator og vekt", found=repr(item), column=f"kriterier[{i}]"))
            continue
        before = len(problems)
        _check_keys(item, _CRITERION_KEYS, prefix, file, problems, written)
        for key in ("id", "navn", "indikator", "vekt"):
            if key not in item:
                problems.append(Problem(file, expected="parameteren er påkrevd", found="mangler", column=prefix + key))
        for key in ("indikator", "grunnlag"):
            if isinstance(item.get(key), str) and item[key] not in KNOWN_INDICATORS:
                problems.append(_indicator_problem(file, item[key], prefix + key))
        if len(problems) == before:
            if item["vekt"] < 0:
                problems.append(Problem(file, expected="en vekt ≥ 0", found=str(item["vekt"]), column=prefix + "vekt"))
            criteria.append(Criterion(item["id"], item["navn"], item.get("beskrivelse", ""), item["indikator"],
                                      float(item["vekt"]), item.get("grunnlag", "folketall")))
    if raw_criteria and len(criteria) == len(raw_criteria):
        ids = [c.id for c in criteria]
        if len(set(ids)) != len(ids):
            problems.append(Problem(file, expected="ulike id for hvert kriterium", found=", ".join(ids), column="kriterier"))
        total_weight = sum(c.vekt for c in criteria)
        if abs(total_weight - 1.0) > 1e-6:
            problems.append(Problem(file, expected="vekter som summerer til 1", found=f"{total_weight:g}", column="kriterier"))
    elif "kriterier" in data and not raw_criteria:
        problems.append(Problem(file, expected="minst ett kriterium", found="ingen", column="kriterier"))

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
        inndata_register=inputs.get("register", "reference"),
        inndata_imdi=dict(sorted(imdi.items())),
        inndata_folketall=inputs["folketall"],
        kriterier=tuple(criteria),
        beskrivelse=data.get("beskrivelse", ""),
        nasjonale_kriterier=tuple(national_criteria),
        enslige_mindreaarige=minors,
        scenarier=tuple(scenarios),
        usikkerhet_trekk=sensitivity.get("trekk", 10_000),
        usikkerhet_konsentrasjon=float(sensitivity.get("konsentrasjon", 200.0)),
        usikkerhet_startverdi=sensitivity.get("startverdi", 1),
        bruk_eksempeldata=data.get("bruk_eksempeldata", False),
        tilbakemelding_frist=feedback.get("frist"),
        tilbakemelding_kontakt=feedback.get("kontakt"),
        rapport_status=status if isinstance(status, str) else "utkast",
        rapport_dato=report.get("dato"),
        rapport_avsender=report.get("avsender"),
        inndata_valgfrie={k: v for k, v in sorted(inputs.items()) if k not in ("register", "imdi", "folketall")},
        maks_alder_indikatorer=data.get("maks_alder_indikatorer"),
        godta_avvik=overrides,
        raw=data,
    )
