"""Step 03, Fordeling: from the key to the recommendation under the rules, with the county's adjustments, the
unaccompanied minors, scenarios, sensitivity, reference keys and the backtest; results go to processed/."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.errors import AllocationError, BosettingError
from bosetting_lib.formatting import format_int
from bosetting_lib.model.allocation import Apportionment, apportion, apportion_detailed, apportion_minors
from bosetting_lib.model.backtest import backtest_summary
from bosetting_lib.model.history import history_wide, last_request_column
from bosetting_lib.model.indicators import Inputs
from bosetting_lib.model.reference_keys import KEY_LABELS_NB, labour_market_and_immigrant_stock, reference_key_table
from bosetting_lib.model.rules import (
    Rules,
    apply_adjustments,
    caps_from_feedback,
    minors_able,
    minors_total,
    reason_lines,
)
from bosetting_lib.model.sensitivity import criterion_contributions, run_sensitivity
from bosetting_lib.sources.readers.adjustments import ADJUSTMENT_COLUMNS, read_adjustments_file
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import (
    KeyOnDisk,
    feedback_steers,
    load_inputs,
    read_key,
    read_optional,
    read_table,
    write_document,
    write_table,
)


def capacity_caps(run: RunContext, index: pd.Index) -> tuple[pd.Series | None, pd.Series | None]:
    """Caps from the feedback round (stated maximum; declining gives 0) and minor capacities, when feedback steers."""
    if not feedback_steers(run):
        return None, None
    feedback = read_optional(run.processed_dir, "tilbakemeldinger")
    if feedback is None:
        return None, None
    return caps_from_feedback(feedback, index)


def read_adjustments(run: RunContext) -> pd.DataFrame:
    """The county's own adjustments for the year (kommunenummer, ny_verdi or endring, begrunnelse, besluttet_av).

    The file is read and checked by :func:`~bosetting_lib.sources.readers.adjustments.read_adjustments_file`, the
    same function the validation runs before anything is written.
    """
    rel = run.params.inndata_valgfrie.get("justeringer")
    if rel is None:
        return pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
    return read_adjustments_file(run.data.raw / rel, read_table(run.processed_dir, "kommuner"))


def allocate_model(params: Params, key: pd.Series, caps: pd.Series | None,
                   adjustments: pd.DataFrame) -> tuple[Rules, Apportionment, pd.Series]:
    """The rules, the model's allocation and the numbers after the county's adjustments: the step's model, shared with
    validation's dry run (so a run that passes validation cannot fail here on its inputs)."""
    rules = Rules.from_params(params, caps)
    detailed = model_allocation(key, params.totalt, rules)
    final = apply_adjustments(detailed.allocation, key, adjustments, params.totalt, **rules.kwargs())
    return rules, detailed, final


def allocate_minors(params: Params, inputs: Inputs, final: pd.Series, minor_caps: pd.Series | None, *,
                    steers: bool) -> tuple[int, str, pd.Series, pd.Series]:
    """The unaccompanied minors' total, its basis, their split inside the final numbers, and who can take them."""
    em_total, em_basis = minors_total(params, inputs)
    able = minors_able(inputs, final.index, feedback_steers=steers)
    minors = (apportion_minors(em_total, final, able, capacity=minor_caps, method=params.avrunding)
              if em_total > 0 else pd.Series(0, index=final.index, dtype="int64"))
    return em_total, em_basis, minors, able


def model_allocation(key: pd.Series, total: int, rules: Rules) -> Apportionment:
    """The model's numbers: the key rounded to whole persons under the rules, with a status per municipality.

    The one place step 03 turns a key into numbers; the what-if calls it too, so both follow the same model.
    """
    return apportion_detailed(key, total, **rules.kwargs())


@dataclass
class AllocationSteps:
    """Step 03 as notebook 03 runs it, one cell per step: each function below fills in its part and returns it.

    :func:`recommend` runs them all in order; the notebook calls them one by one to show what each step does.
    """

    run: RunContext
    inputs: Inputs
    stored: KeyOnDisk
    caps: pd.Series | None
    minor_caps: pd.Series | None
    rules: Rules
    detailed: Apportionment | None = None
    adjustments: pd.DataFrame | None = None
    final: pd.Series | None = None
    minors_total: int = 0
    minors_basis: str = ""
    able: pd.Series | None = None
    minors: pd.Series | None = None
    population: pd.Series | None = None
    table: pd.DataFrame | None = None
    reference: pd.DataFrame | None = None

    @property
    def key(self) -> pd.Series:
        return self.stored.key

    def need(self, name: str, step: str):
        """The value a step left, or a Norwegian message saying which step to run first."""
        value = getattr(self, name)
        if value is None:
            raise BosettingError(f"Steget «{step}» er ikke kjørt ennå; kjør cellene i notatbok 03 i rekkefølge.")
        return value


def start(run: RunContext) -> AllocationSteps:
    """Step 1: the key from step 02, the caps from the feedback round and the rules from the parameters."""
    stored = read_key(run)
    caps, minor_caps = capacity_caps(run, stored.key.index)
    return AllocationSteps(run, load_inputs(run), stored, caps, minor_caps, Rules.from_params(run.params, caps))


def round_to_rules(steps: AllocationSteps) -> pd.Series:
    """Step 2: the key rounded to whole persons (0 or at least the minimum, never above a cap, exact total)."""
    steps.detailed = model_allocation(steps.key, steps.run.params.totalt, steps.rules)
    return steps.detailed.allocation


def adjust(steps: AllocationSteps) -> pd.Series:
    """Step 3: the county's own adjustments fixed, the rest of the total re-apportioned under the same rules."""
    model = steps.need("detailed", "avrunding").allocation
    steps.adjustments = read_adjustments(steps.run)
    total = steps.run.params.totalt
    steps.final = apply_adjustments(model, steps.key, steps.adjustments, total, **steps.rules.kwargs())
    if int(steps.final.sum()) != total:
        raise AllocationError(f"Etter justeringene er summen {format_int(steps.final.sum())}, ikke totaltallet "
                              f"{format_int(total)}; se over justeringsfilen.")
    return steps.final


def distribute_minors(steps: AllocationSteps) -> pd.Series:
    """Step 4: the unaccompanied minors, placed inside the numbers of those able to take them."""
    run, final = steps.run, steps.need("final", "justeringer")
    steps.minors_total, steps.minors_basis, steps.minors, steps.able = allocate_minors(
        run.params, steps.inputs, final, steps.minor_caps, steers=feedback_steers(run))
    return steps.minors


def result(steps: AllocationSteps) -> pd.DataFrame:
    """Step 5: the recommendation table with history and the reason line per municipality; writes anbefaling,
    the criteria's contributions (bidrag) and the minors' total."""
    run, stored, key = steps.run, steps.stored, steps.key
    params, out, inputs = run.params, run.processed_dir, steps.inputs
    detailed, final = steps.need("detailed", "avrunding"), steps.need("final", "justeringer")
    minors = steps.need("minors", "enslige mindreårige")
    model, adjustments = detailed.allocation, steps.adjustments

    population = inputs.population.loc[
        (inputs.population["variabel"] == "folketall") & (inputs.population["aar"] == params.aar - 1)
    ].set_index("kommunenummer")["verdi"].reindex(key.index).astype("float64")
    names = {c.id: c.navn for c in params.kriterier}
    status = detailed.table["status"] if "status" in detailed.table.columns else pd.Series("fordelt etter nøkkelen", index=key.index)

    table = inputs.municipalities[["kommunenummer", "kommune"]].set_index("kommunenummer")
    table["folketall"] = population.astype("Int64")
    table = table.join(history_wide(read_table(out, "bosettingstall")))
    table["nokkel_andel"] = key
    table["modell"] = model
    adj = adjustments.set_index("kommunenummer")
    table["justering"] = (final - model).astype("int64")
    table["justering_begrunnelse"] = adj["begrunnelse"].reindex(table.index)
    table["justering_besluttet_av"] = adj["besluttet_av"].reindex(table.index)
    table["anbefaling"] = final
    table["herav_em"] = minors.reindex(table.index).astype("int64")
    table["kan_ta_em"] = steps.able
    last = last_request_column(table.columns, params.aar)
    if last:
        table["endring_fra_anmodning"] = (table["anbefaling"] - table[last]).astype("Int64")
    table["status"] = status.reindex(table.index)
    table["begrunnelse"] = reason_lines(stored.shares, stored.weights, population, params.totalt, names,
                                        table["modell"], table["status"])
    table.loc[table["justering"] != 0, "begrunnelse"] = (
        table["begrunnelse"] + "; justert av fylket (" + table["justering_begrunnelse"].fillna("") + ")")
    table = table.reset_index().sort_values("kommunenummer", kind="stable")
    write_table(out, "anbefaling", table)

    contrib = criterion_contributions(stored.shares, pd.Series(stored.weights), final.reindex(stored.shares.index))
    write_table(out, "bidrag", contrib)
    write_document(out, "enslige_mindreaarige", {"enslige_mindreaarige_totalt": steps.minors_total,
                                                 "grunnlag": steps.minors_basis})
    steps.population, steps.table = population, table
    return table


def write_scenarios(steps: AllocationSteps) -> pd.DataFrame:
    """The allocation under each county total in the parameters; writes scenarier."""
    frame = scenario_table(steps.run, steps.key, steps.caps)
    write_table(steps.run.processed_dir, "scenarier", frame)
    return frame


def write_sensitivity(steps: AllocationSteps) -> pd.DataFrame:
    """How much the numbers move when the weights vary around the chosen ones; writes usikkerhet."""
    params, stored = steps.run.params, steps.stored
    sens = run_sensitivity(stored.shares, pd.Series(stored.weights), params.totalt, n_draws=params.usikkerhet_trekk,
                           concentration=params.usikkerhet_konsentrasjon, seed=params.usikkerhet_startverdi,
                           **steps.rules.kwargs())
    write_table(steps.run.processed_dir, "usikkerhet", sens)
    return sens


def write_reference_keys(steps: AllocationSteps) -> pd.DataFrame:
    """The reference keys beside the recommendation; writes referansenokler."""
    steps.reference = reference_keys(steps.run, steps.inputs, steps.need("table", "resultat"))
    write_table(steps.run.processed_dir, "referansenokler", steps.reference)
    return steps.reference


def write_backtest(steps: AllocationSteps) -> pd.DataFrame | None:
    """Against IMDi's actual request when it is in the data (None otherwise); writes backtest."""
    return backtest(steps.run, steps.need("table", "resultat"), steps.stored, steps.population, steps.reference)


def recommend(run: RunContext) -> pd.DataFrame:
    """The whole allocation step; writes anbefaling.csv and the side tables, returns the recommendation table."""
    steps = start(run)
    round_to_rules(steps)
    adjust(steps)
    distribute_minors(steps)
    table = result(steps)
    write_scenarios(steps)
    write_sensitivity(steps)
    write_reference_keys(steps)
    write_backtest(steps)
    return table


def scenario_table(run: RunContext, key: pd.Series, caps: pd.Series | None) -> pd.DataFrame:
    """The allocation under each county total in the parameters (long: scenario, kommunenummer, antall)."""
    params = run.params
    totals = sorted(set(params.scenarier) | {params.totalt})
    rows = []
    for total in totals:
        try:
            numbers = apportion(key, total, **Rules.from_params(params, caps).kwargs())
            note = ""
        except AllocationError as exc:
            numbers, note = pd.Series(pd.NA, index=key.index, dtype="Int64"), str(exc)
        for code, n in numbers.items():
            rows.append({"totalt": total, "kommunenummer": code, "antall": n, "merknad": note})
    frame = pd.DataFrame(rows)
    frame["antall"] = frame["antall"].astype("Int64")
    return frame


# When these keys are left out for want of input, the reason also says what the tool would use.
_LEFT_OUT_HINTS = {
    "sweden": "Med NAVs kommunetall for registrert ledighet (oppgitt i parameterfilen) regnes arbeidsmarkedsdelen som folketall × "
              "(1 − ledighet).",
    "denmark": "Med SSBs innvandrerandel per kommune (tabell 09817, oppgitt i parameterfilen) regnes innvandrerne som "
               "folketall × innvandrerandel.",
}


def reference_keys(run: RunContext, inputs: Inputs, table: pd.DataFrame) -> pd.DataFrame:
    """The reference keys beside the recommendation, apportioned under the same rules; left-out keys with a reason."""
    params = run.params
    t = table.set_index("kommunenummer")
    population = t["folketall"].astype("float64")
    last = last_request_column(t.columns, params.aar)
    last_year = t[last].astype("float64") if last else None
    area = _area(run, t.index)
    reception = None
    if inputs.settled_refugees is not None:
        settled = inputs.settled_refugees.loc[inputs.settled_refugees["variabel"] == "bosatte_flyktninger"]
        reception = settled.groupby("kommunenummer")["verdi"].sum().reindex(t.index).astype("float64")
    labour_market, immigrant_stock, used = labour_market_and_immigrant_stock(inputs, population)
    result = reference_key_table(params.totalt, population, last_year=last_year, labour_market=labour_market,
                                 reception=reception, area=area, immigrant_stock=immigrant_stock,
                                 minimum=params.minstetall, method=params.avrunding)
    numbers, left_out = result if isinstance(result, tuple) else (result, {})
    left_out = {k: (f"{why} {_LEFT_OUT_HINTS[k]}" if k in _LEFT_OUT_HINTS and k not in used else why)
                for k, why in left_out.items()}
    frame = numbers.reset_index().melt(id_vars=numbers.index.name or "index", var_name="nokkel", value_name="antall")
    frame = frame.rename(columns={numbers.index.name or "index": "kommunenummer"})
    frame["navn"] = frame["nokkel"].map(KEY_LABELS_NB).fillna(frame["nokkel"])
    # an available key built from the labour or immigrant data says what it used (the report shows it once per key)
    frame["merknad"] = frame["nokkel"].map(lambda key: used.get(key, ""))
    gone = pd.DataFrame([{"kommunenummer": "", "nokkel": k, "antall": pd.NA, "navn": KEY_LABELS_NB.get(k, k), "merknad": why}
                         for k, why in left_out.items()])
    frame = pd.concat([frame, gone], ignore_index=True) if not gone.empty else frame
    frame["antall"] = frame["antall"].astype("Int64")
    return frame


def _area(run: RunContext, index: pd.Index) -> pd.Series | None:
    """Land area per municipality, from step 01's geography table when it covers every municipality."""
    geography = read_optional(run.processed_dir, "geografi")
    if geography is None:
        return None
    area = geography.set_index("kommunenummer")["areal_km2"].reindex(index)
    return None if area.isna().any() else area.astype("float64")


def backtest(run: RunContext, table: pd.DataFrame, stored: KeyOnDisk, population: pd.Series,
             reference: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """When IMDi's actual request for the analysed year is in the data: how close the model came, against baselines."""
    column = f"anmodet_{run.params.aar}"
    if column not in table.columns:
        return None
    t = table.set_index("kommunenummer")
    actual = t[column].astype("float64")
    baselines = {}
    if reference is not None:
        # Keys that were left out carry no municipality rows (only a reason), so they have nothing to compare.
        available = reference.loc[reference["kommunenummer"].fillna("").astype(str).str.len() == 4]
        baselines = {key: part.set_index("kommunenummer")["antall"] for key, part in available.groupby("nokkel")}
    diff, summary = backtest_summary(t["anbefaling"], actual, baselines)
    frame = pd.DataFrame({"kommunenummer": t.index, "kommune": t["kommune"], "modell": t["anbefaling"].astype("int64"),
                          "faktisk_anmodet": actual.astype("Int64"), "avvik": diff.round(1)})
    frame = frame.sort_values("avvik", key=lambda s: s.abs(), ascending=False, kind="stable")
    write_table(run.processed_dir, "backtest", frame)
    write_document(run.processed_dir, "backtest", summary)
    return frame
