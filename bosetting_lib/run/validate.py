"""Check every input for a year before anything is written; report all problems at once."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.model.allocation import feasibility_message
from bosetting_lib.model.rules import caps_from_feedback
from bosetting_lib.sources import freshness
from bosetting_lib.sources.raw_manifest import check_manifest
from bosetting_lib.steps.ingest import IngestResult, read_all

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
    return result
