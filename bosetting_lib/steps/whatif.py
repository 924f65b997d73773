"""What-if in the notebook: other model settings, criterion strengths, total or adjustments give a new allocation
and its difference from the recommendation at once."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from bosetting_lib.steps.allocate import adjusted, model_inputs, run_model
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import read_processed


def what_if(
    run: RunContext,
    *,
    styrker: dict[str, float] | None = None,
    anmodet_vekt: float | None = None,
    eldre_aar: float | None = None,
    totalt: int | None = None,
    justeringer: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Run the anchor model again with other criterion strengths (by id), request weight, recency, total and/or
    fixed numbers; compare with the recommendation. Writes nothing."""
    inputs = model_inputs(run)
    settings = inputs.settings
    if styrker:
        known = {t.id for t in settings.tilts}
        unknown = set(styrker) - known
        if unknown:
            raise KeyError(f"ukjente kriterier: {', '.join(sorted(unknown))}; kjente er {', '.join(sorted(known))}")
        settings = replace(settings, tilts=tuple(replace(t, strength=float(styrker.get(t.id, t.strength)))
                                                 for t in settings.tilts))
    if anmodet_vekt is not None:
        settings = replace(settings, request_weight=float(anmodet_vekt))
    if eldre_aar is not None:
        settings = replace(settings, recency=float(eldre_aar))
    total = run.params.totalt if totalt is None else totalt
    model = run_model(inputs, total, settings)
    adjustments = pd.DataFrame(columns=["kommunenummer", "ny_verdi", "endring", "begrunnelse", "besluttet_av"])
    if justeringer:
        adjustments = pd.DataFrame({"kommunenummer": list(justeringer), "ny_verdi": [str(v) for v in justeringer.values()],
                                    "endring": "", "begrunnelse": "hva-om", "besluttet_av": "analytiker"})
    numbers = adjusted(model, inputs, adjustments, total)
    default = read_processed(run, "anbefaling").set_index("kommunenummer")
    result = default[["kommune"]].copy()
    result["anbefaling"] = default["anbefaling"]
    result["hva_om"] = numbers.reindex(result.index)
    result["forskjell"] = result["hva_om"] - result["anbefaling"]
    return result.sort_values("forskjell", key=lambda s: s.abs(), ascending=False, kind="stable")
