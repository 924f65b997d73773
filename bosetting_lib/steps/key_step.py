"""Step 02, Indikatorer: indicators from the processed tables, each criterion's shares and the weighted key."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.model.indicators import Inputs, build_indicators
from bosetting_lib.model.key import Key, build_key, placed_differently, population_influence
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import load_inputs, write_document, write_table


def key_from_inputs(inputs: Inputs, params: Params) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], Key]:
    """Indicators (values, descriptions, unavailable ones) and the key: the step's model, shared with validation."""
    wanted = sorted({c.indikator for c in params.kriterier} | {c.grunnlag for c in params.kriterier} | {"folketall"})
    values, info, unavailable = build_indicators(inputs, wanted)
    key = build_key(values, info, params.kriterier, unavailable, values["folketall"].astype("float64"))
    return values, info, unavailable, key


def compute_key(run: RunContext) -> Key:
    """Indicators, the criteria's shares and the weighted key; written to processed/ and returned."""
    values, info, unavailable, key = key_from_inputs(load_inputs(run), run.params)
    out = run.processed_dir
    write_table(out, "indikatorer", values)
    write_table(out, "indikatorer_beskrivelse", info)
    write_table(out, "nokkel", key.shares.join(key.key))
    write_table(out, "nokkel_flagg", key.flags)
    influence = population_influence(key.key, values["folketall"].astype("float64"))
    if "vedtatt_snitt" in values.columns:
        # The other thing a key can quietly follow is the municipalities' own past decisions (continuity).
        influence["flyttet_fra_vedtak"] = placed_differently(key.key, values["vedtatt_snitt"].astype("float64"))
    influence["andel_vekt_fra_vedtak"] = sum(
        key.weights.get(c.id, 0.0) for c in run.params.kriterier if "vedtatt_snitt" in (c.indikator, c.grunnlag))
    meta = {"vekter": key.weights, "merknader": key.notes, "utelatte_indikatorer": unavailable,
            "befolkningens_innflytelse": {k: None if v is None else round(v, 6) for k, v in influence.items()}}
    write_document(out, "nokkel", meta)
    return key
