"""From processed tables to the recommendation table: indicators, key, apportionment, history side by side."""

from __future__ import annotations

import pandas as pd

from bosetting_lib.allocation import apportion
from bosetting_lib.context import RunContext
from bosetting_lib.indicators import Inputs, build_indicators
from bosetting_lib.key import contributions, criterion_shares, weighted_key

HISTORY_VARIABLES = ("anmodet", "vedtatt", "bosatte")


def read_processed(run: RunContext, name: str) -> pd.DataFrame:
    """A processed table by name, with codes as strings and the nullable value column typed."""
    frame = pd.read_csv(run.processed_dir / f"{name}.csv", dtype={"kommunenummer": str, "fylkesnummer": str, "status": str})
    if "verdi" in frame.columns:
        frame["verdi"] = frame["verdi"].astype("Float64")
    return frame


def load_inputs(run: RunContext) -> Inputs:
    """The processed tables the indicators need."""
    return Inputs(
        municipalities=read_processed(run, "kommuner"),
        population=read_processed(run, "folketall"),
        settlement=read_processed(run, "bosettingstall"),
        year=run.params.aar,
    )


def compute_key(run: RunContext) -> dict[str, pd.DataFrame]:
    """Indicators, the criteria's shares, the key and the contributions; written to processed/ and returned."""
    inputs = load_inputs(run)
    wanted = sorted({c.indikator for c in run.params.kriterier})
    values, info = build_indicators(inputs, wanted)
    shares = criterion_shares(values, run.params.kriterier)
    key = weighted_key(shares, run.params.weights())
    contrib = contributions(shares, run.params.weights(), run.params.totalt)
    values.to_csv(run.processed_dir / "indikatorer.csv", lineterminator="\n")
    info.to_csv(run.processed_dir / "indikatorer_beskrivelse.csv", index=False, lineterminator="\n")
    shares.join(key).to_csv(run.processed_dir / "nokkel.csv", lineterminator="\n", float_format="%.10f")
    contrib.to_csv(run.processed_dir / "bidrag.csv", lineterminator="\n", float_format="%.6f")
    return {"indikatorer": values, "beskrivelse": info, "andeler": shares, "nokkel": key.to_frame(), "bidrag": contrib}


def history_wide(settlement: pd.DataFrame) -> pd.DataFrame:
    """IMDi's history as columns like ``anmodet_2025``; suppressed cells keep their symbol in ``*_status`` columns."""
    rows = settlement.loc[settlement["variabel"].isin(HISTORY_VARIABLES)].copy()
    rows["kolonne"] = rows["variabel"] + "_" + rows["aar"].astype(str)
    values = rows.pivot(index="kommunenummer", columns="kolonne", values="verdi")
    status = rows.pivot(index="kommunenummer", columns="kolonne", values="status").add_suffix("_status")
    order = [f"{v}_{y}" for y in sorted(rows["aar"].unique()) for v in HISTORY_VARIABLES if f"{v}_{y}" in values.columns]
    return values[order].join(status[[f"{c}_status" for c in order]])


def recommend(run: RunContext) -> pd.DataFrame:
    """Apportion the county total by the key under the rules and write ``anbefaling.csv``."""
    inputs = load_inputs(run)
    key = pd.read_csv(run.processed_dir / "nokkel.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")["nokkel"]
    params = run.params
    numbers = apportion(
        key, params.totalt, minimum=params.minstetall, method=params.avrunding, exceptions=list(params.unntak),
    )
    population = inputs.population.loc[
        (inputs.population["variabel"] == "folketall") & (inputs.population["aar"] == params.aar - 1)
    ].set_index("kommunenummer")["verdi"]
    table = inputs.municipalities[["kommunenummer", "kommune"]].set_index("kommunenummer")
    table["folketall"] = population.reindex(table.index).astype("Int64")
    table = table.join(history_wide(inputs.settlement))
    table["nokkel_andel"] = key.reindex(table.index)
    table["anbefaling"] = numbers.reindex(table.index).astype("int64")
    table = table.reset_index().sort_values("kommunenummer", kind="stable")
    table.to_csv(run.processed_dir / "anbefaling.csv", index=False, lineterminator="\n", float_format="%.10f")
    return table
