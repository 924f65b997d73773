"""What-if in the notebook: new weights, total or adjustments give a new allocation and its difference at once."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.model.allocation import apportion
from bosetting_lib.model.key import weighted_key
from bosetting_lib.model.rules import Rules, apply_adjustments
from bosetting_lib.steps.allocate import capacity_caps
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import read_key, read_processed


def what_if(
    run: RunContext,
    *,
    vekter: dict[str, float] | None = None,
    totalt: int | None = None,
    justeringer: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Re-apportion with changed weights (normalised to sum 1), total and/or fixed numbers; compare with the default.

    Uses the key's stored shares, so it takes well under a second and writes nothing.
    """
    params = run.params
    stored = read_key(run)
    weights = dict(stored.weights)
    if vekter:
        unknown = set(vekter) - set(weights)
        if unknown:
            raise KeyError(f"ukjente kriterier: {', '.join(sorted(unknown))}; kjente er {', '.join(weights)}")
        weights.update(vekter)
        total_weight = sum(weights.values())
        weights = {k: v / total_weight for k, v in weights.items()}
    key = weighted_key(stored.shares, weights)
    total = params.totalt if totalt is None else totalt
    caps, _ = capacity_caps(run, key.index)
    rules = Rules.from_params(params, caps)
    numbers = apportion(key, total, **rules.kwargs())
    if justeringer:
        adjustments = pd.DataFrame({"kommunenummer": list(justeringer), "ny_verdi": [str(v) for v in justeringer.values()],
                                    "endring": "", "begrunnelse": "hva-om", "besluttet_av": "analytiker"})
        numbers = apply_adjustments(numbers, key, adjustments, total, **rules.kwargs())
    default = read_processed(run, "anbefaling").set_index("kommunenummer")
    result = default[["kommune"]].copy()
    result["anbefaling"] = default["anbefaling"]
    result["hva_om"] = numbers.reindex(result.index)
    result["forskjell"] = result["hva_om"] - result["anbefaling"]
    return result.sort_values("forskjell", key=lambda s: s.abs(), ascending=False, kind="stable")
