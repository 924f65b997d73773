"""Check every input for a year before anything is written; report all problems at once."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.errors import BosettingError, InputError, Problem
from bosetting_lib.model.allocation import feasibility_message
from bosetting_lib.model.rules import caps_from_feedback
from bosetting_lib.sources import freshness
from bosetting_lib.sources.raw_manifest import check_manifest
from bosetting_lib.sources.readers.adjustments import ADJUSTMENT_COLUMNS, read_adjustments_file
from bosetting_lib.steps.allocate import adjust_model, allocate_minors, model_inputs_from, run_model
from bosetting_lib.steps.ingest import IngestResult, read_all
from bosetting_lib.steps.key_step import criteria_from_inputs
from bosetting_lib.steps.tables import inputs_from, steers


def check_rules(params: Params, municipality_count: int, municipalities: pd.DataFrame | None = None) -> list[Problem]:
    """The county total must be reachable under the minimum rule, and the exceptions must be the county's."""
    problems = []
    if 0 < params.totalt < params.minstetall and not params.unntak:
        problems.append(Problem(str(params.source), expected=f"et totaltall på 0 eller minst minstetallet {params.minstetall}",
                                found=str(params.totalt), column="totalt"))
    if params.enslige_mindreaarige is not None and params.enslige_mindreaarige > params.totalt:
        problems.append(Problem(str(params.source), expected=f"høyst totaltallet {params.totalt} (enslige mindreårige er en "
                                "del av totalen)", found=str(params.enslige_mindreaarige), column="enslige_mindreaarige"))
    if municipality_count == 0:
        problems.append(Problem(str(params.source), expected="minst én kommune i fylket", found="ingen", column="fylkesnummer"))
    if municipalities is not None and len(municipalities):
        county = municipalities["fylke"].iloc[0] if "fylke" in municipalities.columns else f"fylke {params.fylkesnummer}"
        codes = set(municipalities["kommunenummer"])
        for i, code in enumerate(params.unntak_koder):
            if code not in codes:
                problems.append(Problem(str(params.source), expected=f"en kommune i {county} (kommunenummer i anførselstegn)",
                                        found=code, column=f"unntak[{i}].kommunenummer"))
        fixed = sum(e.antall for e in params.unntak)
        if params.totalt is not None and fixed > params.totalt:
            problems.append(Problem(str(params.source), expected=f"unntak som til sammen gir høyst totaltallet {params.totalt}",
                                    found=f"{fixed} personer i unntak", column="unntak"))
    return problems


def check_capacity(params: Params, result: IngestResult) -> list[Problem]:
    """When the feedback steers the numbers, the stated capacities must leave room for the county total.

    The same test the rounding makes before it starts, with every municipality counted as able to take someone
    (the key is not known yet): if the total does not fit then, it fits under no key, and the run would stop in
    notebook 03 after writing. Checked here instead, before anything is written.
    """
    if result.feedback is None or "tilbakemeldinger" not in params.inndata_valgfrie:
        return []
    if "tilbakemeldinger" in result.example_inputs and not params.bruk_eksempeldata:
        return []  # example answers are shown, but they do not cap anything
    index = pd.Index(result.municipalities["kommunenummer"])
    caps, _ = caps_from_feedback(result.feedback, index)
    exceptions = [code for code in params.unntak_koder if code in set(index)]
    message = feasibility_message(index, params.totalt, minimum=params.minstetall, maximum=caps, exceptions=exceptions)
    if message is None:
        return []
    sources = result.feedback.loc[caps.reindex(result.feedback["kommunenummer"]).notna().to_numpy(), "kilde"]
    files = sorted({str(k).split(", rad ")[0] for k in sources.dropna()})
    shown = ", ".join(files[:3]) + (f" og {len(files) - 3} til" if len(files) > 3 else "")
    example = (" Eksempelsvarene styrer tallene fordi bruk_eksempeldata er true." if params.bruk_eksempeldata
               and "tilbakemeldinger" in result.example_inputs else "")
    return [Problem(str(params.source),
                    expected=f"et totaltall som kommunenes oppgitte kapasitet gir plass til. {message} Kapasitetene står "
                    f"i {params.inndata_valgfrie['tilbakemeldinger']} ({shown}).{example} Senk totaltallet, gi unntak "
                    "fra minstetallet eller kontroller kapasitetene",
                    found=str(params.totalt), column="totalt")]


def validate_inputs(params: Params, data_paths: DataPaths, warnings: list[Problem] | None = None) -> str:
    """Read and check every input; raise one InputError with all problems, or return a short summary.

    Stale inputs (last year's IMDi table missing, indicators too old, criteria not reviewed; see freshness.py) are
    problems too, unless ``warnings`` is given (a trial run, ``--proeve``): then they are appended to it instead.
    """
    result = read_and_check(params, data_paths, warnings)
    return (f"{len(result.municipalities)} kommuner, {len(result.population)} folketall, "
            f"{len(result.settlement)} bosettingstall")


def read_and_check(params: Params, data_paths: DataPaths, warnings: list[Problem] | None = None) -> IngestResult:
    """Read and check every input once; the run hands the result to step 01 instead of reading the files again."""
    stale = freshness.imdi_problems(params, freshness.files_present(params, data_paths))
    stale += freshness.criteria_problems(params)
    problems = check_manifest(data_paths)
    try:
        result = read_all(params, data_paths)
    except InputError as exc:
        raise InputError((stale if warnings is None else []) + problems + exc.problems) from exc
    stale += freshness.indicator_problems(params, freshness.latest_years(result))
    if warnings is None:
        problems = stale + problems
    else:
        warnings.extend(stale)
    problems += check_rules(params, len(result.municipalities), result.municipalities)
    problems += check_capacity(params, result)
    if problems:
        raise InputError(problems)
    problems = check_model(params, data_paths, result)
    if problems:
        raise InputError(problems)
    return result


def _processed(result: IngestResult) -> dict[str, pd.DataFrame | None]:
    """Step 01's tables as the later steps read them, held in memory (nothing is written)."""
    return {"kommuner": result.municipalities, "folketall": result.population, "bosettingstall": result.settlement,
            **result.optional, "tilbakemeldinger": result.feedback}


def check_model(params: Params, data_paths: DataPaths, result: IngestResult) -> list[Problem]:
    """A dry run of notebooks 02 and 03 on the tables read once: the indicators, the anchor model under the rules, the
    county's adjustments and the unaccompanied minors, with the steps' own functions
    (:func:`~bosetting_lib.steps.key_step.criteria_from_inputs`, :func:`~bosetting_lib.steps.allocate.model_inputs_from`,
    :func:`~bosetting_lib.steps.allocate.run_model`, :func:`~bosetting_lib.steps.allocate.adjust_model`,
    :func:`~bosetting_lib.steps.allocate.allocate_minors`) and nothing written. Whatever would stop a notebook on these
    inputs is a problem here, so a run that passes validation does not fail on its inputs inside a notebook."""
    file = str(params.source)
    tables = _processed(result)
    inputs = inputs_from(params, data_paths, tables.get, result.example_inputs)
    try:
        found = criteria_from_inputs(inputs, params)
    except (BosettingError, KeyError, ValueError) as exc:
        return [Problem(file, expected="kriterier med indikatorer som kan regnes ut (notatbok 02 stopper ellers)",
                        found=_text(exc), column="modell.kriterier")]
    feedback_steers = steers(params, result.example_inputs)
    codes = pd.Index(result.municipalities["kommunenummer"], name="kommunenummer")
    feedback = result.feedback if feedback_steers else None
    try:
        model_in = model_inputs_from(params, result.settlement, found.values.reindex(codes), feedback)
        model = run_model(model_in, params.totalt)
    except (BosettingError, KeyError, ValueError) as exc:
        return [Problem(file, expected="et totaltall, unntak og en historikk som ankermodellen kan fordele etter reglene "
                        "(notatbok 03 stopper ellers)", found=_text(exc), column="totalt")]
    caps = model_in.caps_with_declines()
    problems: list[Problem] = []
    adjustments = pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
    if "justeringer" in params.inndata_valgfrie:
        adjustments = read_adjustments_file(data_paths.raw / params.inndata_valgfrie["justeringer"],
                                            result.municipalities)
        problems += adjustment_problems(params, adjustments, model["anbefaling"], caps)
        if problems:
            return problems
    try:
        final = adjust_model(model, model_in, adjustments, params.totalt)
    except BosettingError as exc:
        where = params.inndata_valgfrie.get("justeringer") if not adjustments.empty else None
        return [Problem(str(data_paths.raw / where) if where else file,
                        expected="tall som går opp med reglene (0, et unntak eller minst minstetallet, summen lik "
                        "totaltallet)" + (" etter fylkets justeringer" if where else ""), found=_text(exc),
                        column="ny_verdi" if where else "totalt")]
    try:
        allocate_minors(params, inputs, final, model_in.minor_caps, steers=feedback_steers)
    except BosettingError as exc:
        return [Problem(file, expected="et antall enslige mindreårige som kommunene som kan ta imot dem, har plass til",
                        found=_text(exc), column="enslige_mindreaarige")]
    return problems


def adjustment_problems(params: Params, adjustments: pd.DataFrame, model: pd.Series,
                        caps: pd.Series | None) -> list[Problem]:
    """Each adjustment against the model's number: a change that makes a number negative or breaks the minimum, or a
    new number above the municipality's stated capacity, named by its row in the adjustments file."""
    file = adjustments.attrs.get("source", params.inndata_valgfrie.get("justeringer", ""))
    rows = adjustments.attrs.get("rader", ())
    problems = []
    for i, r in enumerate(adjustments.itertuples(index=False)):
        row = rows[i] if i < len(rows) else None
        base = int(model.get(r.kommunenummer, 0))
        column = "ny_verdi" if r.ny_verdi else "endring"
        new = int(r.ny_verdi) if r.ny_verdi else base + int(r.endring)
        if new < 0 or (0 < new < params.minstetall and r.kommunenummer not in params.unntak_koder):
            problems.append(Problem(file, expected=f"en justering som gir 0 eller minst minstetallet {params.minstetall} "
                                    f"for {r.kommunenummer} (modellen gir {base}, justert blir det {new}); endre tallet "
                                    "eller før kommunen under unntak med en begrunnelse",
                                    found=r.ny_verdi or r.endring, row=row, column=column))
        cap = None if caps is None else caps.get(r.kommunenummer)
        if cap is not None and not pd.isna(cap) and new > cap:
            problems.append(Problem(file, expected=f"høyst kommunens oppgitte kapasitet {int(cap)} for {r.kommunenummer} "
                                    f"(justert blir det {new})", found=r.ny_verdi or r.endring, row=row, column=column))
    return problems


def _text(exc: Exception) -> str:
    return " ".join(str(exc).split()).strip("'\"")
