"""Step 02, Indikatorer: the indicators the year's criteria need, which national criteria they cover, and flags
for municipalities without a value (their tilt is neutral). The anchor model itself runs in step 03."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.model.indicators import Inputs, build_indicators
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import load_inputs, write_document, write_table


@dataclass(frozen=True)
class CriteriaResult:
    """What step 02 found: indicator values, their descriptions, flags, and the criteria document."""

    values: pd.DataFrame
    info: pd.DataFrame
    flags: pd.DataFrame
    meta: dict


def criteria_document(params: Params, unavailable: dict[str, str]) -> dict:
    """Each criterion (used or left out for want of data) and each national criterion with what covers it."""
    criteria, notes = [], []
    for c in params.kriterier:
        used = c.indikator not in unavailable
        criteria.append({"id": c.id, "navn": c.navn, "indikator": c.indikator, "styrke": c.styrke, "retning": c.retning,
                         "maate": c.maate, "tjener": c.tjener, "brukt": used,
                         "merknad": "" if used else f"utelatt fordi {unavailable[c.indikator]}; kriteriet vipper ingen kommune"})
        if not used:
            notes.append(f"Kriteriet «{c.navn}» er utelatt fordi {unavailable[c.indikator]}; det vipper ingen kommune.")
    national = []
    for text in params.nasjonale_kriterier:
        covering = [c["id"] for c in criteria if c["brukt"] and c["tjener"] and c["tjener"].casefold() in text.casefold()]
        national.append({"tekst": text, "dekket_av": covering})
    return {"kriterier": criteria, "nasjonale_kriterier": national, "merknader": notes,
            "utelatte_indikatorer": unavailable}


def criteria_from_inputs(inputs: Inputs, params: Params) -> CriteriaResult:
    """Indicators for the criteria (and population), the flags and the criteria document: the step's work, shared
    with validation's dry run (so a run that passes validation cannot fail here on its inputs)."""
    wanted = list(dict.fromkeys(["folketall", *(c.indikator for c in params.kriterier)]))
    values, info, unavailable = build_indicators(inputs, wanted)
    flags = [{"kommunenummer": code, "kriterium": c.id,
              "flagg": f"mangler verdi for «{c.navn}»; kriteriet vipper ikke kommunen (nøytral)"}
             for c in params.kriterier if c.indikator in values.columns
             for code in values.index[values[c.indikator].isna()]]
    flags = pd.DataFrame(flags, columns=["kommunenummer", "kriterium", "flagg"])
    return CriteriaResult(values, info, flags, criteria_document(params, unavailable))


def compute_criteria(run: RunContext) -> CriteriaResult:
    """Step 02 for a run: :func:`criteria_from_inputs` on the processed tables, written to processed/."""
    found = criteria_from_inputs(load_inputs(run), run.params)
    out = run.processed_dir
    write_table(out, "indikatorer", found.values)
    write_table(out, "indikatorer_beskrivelse", found.info)
    write_table(out, "kriterier_flagg", found.flags)
    write_document(out, "kriterier", found.meta)
    return found
