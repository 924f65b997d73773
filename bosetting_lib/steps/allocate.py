"""Step 03, Fordeling: the anchor model's recommendation (bosetting_lib.model.anchor) under the rules, with the
municipalities' answers, the exceptions, the county's adjustments, the unaccompanied minors, scenarios, sensitivity,
reference keys, how the model has hit before, and the backtest; results go to processed/."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.errors import AllocationError, BosettingError
from bosetting_lib.feedback.form import WISH_CHOICES, WISH_DECLINES
from bosetting_lib.formatting import format_int
from bosetting_lib.model.allocation import apportion_minors
from bosetting_lib.model.anchor import (
    AnchorSettings,
    anchor_recommendation,
    describe_settings,
    explanation_table,
    part_labels,
    settings_from_params,
)
from bosetting_lib.model.backtest import backtest_summary
from bosetting_lib.model.history import history_wide, last_request_column
from bosetting_lib.model.indicators import Inputs
from bosetting_lib.model.reference_keys import KEY_LABELS_NB, labour_market_and_immigrant_stock, reference_key_table
from bosetting_lib.model.rules import apply_adjustments, caps_from_feedback, minors_able, minors_total
from bosetting_lib.model.sensitivity import anchor_sensitivity
from bosetting_lib.model.walkforward import (
    NATIONAL,
    anchor_model,
    backtest_table,
    catalogue_from_tidy,
    criteria_from_known,
)
from bosetting_lib.sources.readers.adjustments import ADJUSTMENT_COLUMNS, read_adjustments_file
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import (
    feedback_steers,
    load_inputs,
    read_optional,
    read_table,
    write_document,
    write_table,
)

WISH_MORE, WISH_SAME, WISH_FEWER = WISH_CHOICES[0], WISH_CHOICES[1], WISH_CHOICES[2]
# Years the walk-forward harness can judge (a request known, and an earlier year to anchor on).
BACKTEST_YEARS = (2024, 2025)


@dataclass(frozen=True)
class ModelInputs:
    """Everything the anchor model needs for one county and year, read once from the processed tables."""

    history: pd.DataFrame  # anmodet_YYYY, vedtatt_YYYY (+ _status) for the years before the analysed one
    criteria: pd.DataFrame  # step 02's indicators, by kommunenummer
    settings: AnchorSettings
    exceptions: tuple[dict, ...]  # [{kommunenummer, antall, begrunnelse}] from the parameters
    will_settle: pd.Series | None  # True: will settle (lifts a zero), False: declines, NA: no answer
    wishes: pd.Series | None  # +1 more than before, −1 fewer, 0 otherwise
    caps: pd.Series | None  # stated maximum (NaN: none)
    minor_caps: pd.Series | None

    @property
    def codes(self) -> pd.Index:
        return self.history.index

    def caps_with_declines(self) -> pd.Series | None:
        """The caps, with 0 for a municipality that declines (as the model applies them)."""
        if self.will_settle is None:
            return self.caps
        caps = self.caps if self.caps is not None else pd.Series(np.nan, index=self.codes)
        return caps.mask(self.will_settle.eq(False).fillna(False).astype(bool), 0.0)


def feedback_signals(feedback: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """(will_settle, wishes, caps, minor caps) from the processed feedback table.

    A municipality declines (False) when its answer says it does not want to settle; it will settle (True) when it
    states a capacity above 0 or wants more than before; otherwise NA. «Flere enn før» is +1, «Færre enn før» −1.
    """
    fb = feedback.set_index("kommunenummer").reindex(index)
    caps, minor_caps = caps_from_feedback(feedback, index)
    declines = fb["avslar"].astype("boolean").fillna(False).astype(bool) | fb["onske"].eq(WISH_DECLINES).fillna(False)
    says_yes = (fb["kapasitet_maks"].astype("Float64").fillna(0).gt(0) | fb["onske"].eq(WISH_MORE)).fillna(False)
    will = pd.Series(pd.NA, index=index, dtype="boolean")
    will[says_yes.to_numpy(bool)] = True
    will[declines.to_numpy(bool)] = False
    wishes = pd.Series(0.0, index=index)
    wishes[fb["onske"].eq(WISH_MORE).fillna(False).to_numpy(bool)] = 1.0
    wishes[fb["onske"].eq(WISH_FEWER).fillna(False).to_numpy(bool)] = -1.0
    return will, wishes, caps, minor_caps


def history_from(settlement: pd.DataFrame, year: int, codes: pd.Index) -> pd.DataFrame:
    """IMDi's history (the bosettingstall table) for the years before ``year``, one row per municipality."""
    return history_wide(settlement.loc[settlement["aar"] < year]).reindex(codes)


def history_before(run: RunContext, codes: pd.Index) -> pd.DataFrame:
    """IMDi's history for the years before the analysed one, one row per municipality of the county."""
    return history_from(read_table(run.processed_dir, "bosettingstall"), run.params.aar, codes)


def model_inputs_from(params: Params, settlement: pd.DataFrame, criteria: pd.DataFrame,
                      feedback: pd.DataFrame | None) -> ModelInputs:
    """The anchor model's inputs from tables (``criteria`` indexed by kommunenummer in the county's order);
    ``feedback`` only when the answers steer. Shared by step 03 and validation's dry run."""
    codes = pd.Index(criteria.index, name="kommunenummer")
    settings = settings_from_params(params, available=criteria.columns)
    will = wishes = caps = minor_caps = None
    if feedback is not None:
        will, wishes, caps, minor_caps = feedback_signals(feedback, codes)
    exceptions = tuple({"kommunenummer": e.kommunenummer, "antall": e.antall, "begrunnelse": e.begrunnelse}
                       for e in params.unntak)
    return ModelInputs(history_from(settlement, params.aar, codes), criteria, settings, exceptions, will, wishes,
                       caps, minor_caps)


def model_inputs(run: RunContext) -> ModelInputs:
    """The anchor model's inputs for this run; the answers steer only when feedback_steers (real answers)."""
    out = run.processed_dir
    codes = pd.Index(read_table(out, "kommuner")["kommunenummer"], name="kommunenummer")
    criteria = read_table(out, "indikatorer").reindex(codes)
    feedback = read_optional(out, "tilbakemeldinger") if feedback_steers(run) else None
    return model_inputs_from(run.params, read_table(out, "bosettingstall"), criteria, feedback)


def run_model(inputs: ModelInputs, total: int, settings: AnchorSettings | None = None) -> pd.DataFrame:
    """The anchor model's table for one county total (see anchor_recommendation)."""
    return anchor_recommendation(inputs.history, total, settings or inputs.settings, criteria=inputs.criteria,
                                 will_settle=inputs.will_settle, caps=inputs.caps, exceptions=inputs.exceptions,
                                 wishes=inputs.wishes)


def read_adjustments(run: RunContext) -> pd.DataFrame:
    """The county's own adjustments for the year (kommunenummer, ny_verdi or endring, begrunnelse, besluttet_av).

    The file is read and checked by :func:`~bosetting_lib.sources.readers.adjustments.read_adjustments_file`, the
    same function the validation runs before anything is written.
    """
    rel = run.params.inndata_valgfrie.get("justeringer")
    if rel is None:
        return pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
    return read_adjustments_file(run.data.raw / rel, read_table(run.processed_dir, "kommuner"))


def adjusted(model: pd.DataFrame, inputs: ModelInputs, adjustments: pd.DataFrame, total: int, *,
             also_excepted: tuple[str, ...] = ()) -> pd.Series:
    """The county's adjustments after the model: the adjusted municipalities fixed at their new numbers, the exceptions
    kept at theirs, and the rest re-apportioned over the others by the model's unrounded numbers, under the same rules.
    ``also_excepted``: more municipalities allowed a fixed number below the minimum (the what-if's exceptions)."""
    numbers = model["anbefaling"]
    if adjustments.empty:
        return numbers.copy()
    named = set(adjustments["kommunenummer"])
    kept = [{"kommunenummer": e["kommunenummer"], "ny_verdi": str(e["antall"]), "endring": "",
             "begrunnelse": e["begrunnelse"], "besluttet_av": ""}
            for e in inputs.exceptions if e["kommunenummer"] not in named]
    frame = pd.concat([adjustments, pd.DataFrame(kept, columns=adjustments.columns)], ignore_index=True) if kept else adjustments
    settings = inputs.settings
    return apply_adjustments(numbers, model["urundet"], frame, total, minimum=settings.minimum,
                             maximum=inputs.caps_with_declines(), method=settings.method,
                             exceptions=[*(e["kommunenummer"] for e in inputs.exceptions), *also_excepted])


def adjust_model(model: pd.DataFrame, inputs: ModelInputs, adjustments: pd.DataFrame, total: int) -> pd.Series:
    """The numbers after the county's adjustments (:func:`adjusted`), refused in Norwegian unless they sum to the total.

    With :func:`run_model` this is step 03's model; validation's dry run calls the same two functions, so a run that
    passes validation cannot fail here on its inputs."""
    final = adjusted(model, inputs, adjustments, total)
    if int(final.sum()) != total:
        raise AllocationError(f"Etter justeringene er summen {format_int(final.sum())}, ikke totaltallet "
                              f"{format_int(total)}; se over justeringsfilen.")
    return final


def allocate_minors(params: Params, inputs: Inputs, final: pd.Series, minor_caps: pd.Series | None, *,
                    steers: bool) -> tuple[int, str, pd.Series, pd.Series]:
    """The unaccompanied minors' total, its basis, their split inside the final numbers, and who can take them."""
    em_total, em_basis = minors_total(params, inputs)
    able = minors_able(inputs, final.index, feedback_steers=steers)
    minors = (apportion_minors(em_total, final, able, capacity=minor_caps, method=params.avrunding)
              if em_total > 0 else pd.Series(0, index=final.index, dtype="int64"))
    return em_total, em_basis, minors, able


@dataclass
class AllocationSteps:
    """Step 03 as notebook 03 runs it, one cell per step: each function below fills in its part and returns it.

    :func:`recommend` runs them all in order; the notebook calls them one by one to show what each step does.
    """

    run: RunContext
    inputs: Inputs
    model_inputs: ModelInputs
    model: pd.DataFrame | None = None
    adjustments: pd.DataFrame | None = None
    final: pd.Series | None = None
    minors_total: int = 0
    minors_basis: str = ""
    able: pd.Series | None = None
    minors: pd.Series | None = None
    population: pd.Series | None = None
    explanation: pd.DataFrame | None = None
    extra: dict | None = None
    table: pd.DataFrame | None = None
    reference: pd.DataFrame | None = None

    @property
    def settings(self) -> AnchorSettings:
        return self.model_inputs.settings

    @property
    def caps(self) -> pd.Series | None:
        """Stated maxima from the feedback round (None when the answers do not steer)."""
        return self.model_inputs.caps

    def need(self, name: str, step: str):
        """The value a step left, or a Norwegian message saying which step to run first."""
        value = getattr(self, name)
        if value is None:
            raise BosettingError(f"Steget «{step}» er ikke kjørt ennå; kjør cellene i notatbok 03 i rekkefølge.")
        return value


def start(run: RunContext) -> AllocationSteps:
    """Step 1: the history, step 02's criteria, the answers from the feedback round (caps, declines, more/fewer) and
    the rules and model settings from the parameters."""
    return AllocationSteps(run, load_inputs(run), model_inputs(run))


def anchor(steps: AllocationSteps) -> pd.DataFrame:
    """Step 2: the anchor model: the base from last year's request and decision, each criterion's tilt, the answers'
    moves, and the unrounded number. The model also rounds (step 3 shows that part of its table)."""
    steps.model = run_model(steps.model_inputs, steps.run.params.totalt)
    return steps.model


def round_to_rules(steps: AllocationSteps) -> pd.Series:
    """Step 3: the model's unrounded numbers as whole persons under the rules (0, an exception or at least the
    minimum, never above a cap, exact total), with the status and reason per municipality."""
    return steps.need("model", "ankermodellen")["anbefaling"]


def adjust(steps: AllocationSteps) -> pd.Series:
    """Step 4: the county's own adjustments fixed (and the exceptions kept), the rest of the total re-apportioned by
    the model's unrounded numbers under the same rules."""
    model = steps.need("model", "ankermodellen")
    steps.adjustments = read_adjustments(steps.run)
    steps.final = adjust_model(model, steps.model_inputs, steps.adjustments, steps.run.params.totalt)
    return steps.final


def distribute_minors(steps: AllocationSteps) -> pd.Series:
    """Step 5: the unaccompanied minors, placed inside the numbers of those able to take them."""
    run, final = steps.run, steps.need("final", "justeringer")
    steps.minors_total, steps.minors_basis, steps.minors, steps.able = allocate_minors(
        run.params, steps.inputs, final, steps.model_inputs.minor_caps, steers=feedback_steers(run))
    return steps.minors


def result(steps: AllocationSteps) -> pd.DataFrame:
    """Step 6: the recommendation table with history and the explanation that adds up from last year's request;
    writes anbefaling, the model's parts (modell_ledd), the explanation's whole parts (bidrag) and the minors' total."""
    run, mi, inputs = steps.run, steps.model_inputs, steps.inputs
    params, out = run.params, run.processed_dir
    model, final = steps.need("model", "ankermodellen"), steps.need("final", "justeringer")
    minors = steps.need("minors", "enslige mindreårige")
    adjustments = steps.adjustments
    codes = mi.codes

    population = inputs.population.loc[
        (inputs.population["variabel"] == "folketall") & (inputs.population["aar"] == params.aar - 1)
    ].set_index("kommunenummer")["verdi"].reindex(codes).astype("float64")
    adj = adjustments.set_index("kommunenummer")
    change = (final - model["anbefaling"]).astype("int64")
    is_adjusted = change.index.isin(adj.index)
    extra = {"justering": ("justert av fylket", change.where(is_adjusted, 0)),
             "justering_andre": ("fylkets justeringer av andre kommuner", change.where(~is_adjusted, 0))}
    explanation = explanation_table(model, mi.settings.tilts, extra)

    table = inputs.municipalities[["kommunenummer", "kommune"]].set_index("kommunenummer")
    table["folketall"] = population.astype("Int64")
    table = table.join(history_wide(read_table(out, "bosettingstall")))
    table["grunnlag_andel"] = model["grunnlag_andel"]
    table["modell"] = model["anbefaling"]
    table["justering"] = change
    table["justering_begrunnelse"] = adj["begrunnelse"].reindex(table.index)
    table["justering_besluttet_av"] = adj["besluttet_av"].reindex(table.index)
    table["anbefaling"] = final
    table["herav_em"] = minors.reindex(table.index).astype("int64")
    table["kan_ta_em"] = steps.able
    last = last_request_column(table.columns, params.aar)
    if last:
        table["endring_fra_anmodning"] = (table["anbefaling"] - table[last]).astype("Int64")
    table["status"] = model["status"]
    table["aarsak"] = model["aarsak"]
    table["null_viderefort"] = model["null_viderefort"]
    table["unntak_forslag"] = model["unntak_forslag"]
    table["unntak_forslag_begrunnelse"] = model["unntak_forslag_begrunnelse"]
    table["begrunnelse"] = explanation_text(explanation["tekst"], model, table)
    table = table.reset_index().sort_values("kommunenummer", kind="stable")
    write_table(out, "anbefaling", table)

    write_table(out, "modell_ledd", model)
    write_table(out, "bidrag", explanation)
    write_document(out, "enslige_mindreaarige", {"enslige_mindreaarige_totalt": steps.minors_total,
                                                 "grunnlag": steps.minors_basis})
    steps.population, steps.explanation, steps.extra, steps.table = population, explanation, extra, table
    return table


def write_scenarios(steps: AllocationSteps) -> pd.DataFrame:
    """The model's numbers under each county total in the parameters; writes scenarier."""
    frame = scenario_table(steps.run, steps.model_inputs)
    write_table(steps.run.processed_dir, "scenarier", frame)
    return frame


def write_sensitivity(steps: AllocationSteps) -> pd.DataFrame:
    """How much the numbers move when the model's settings vary around the chosen ones; writes usikkerhet."""
    params, mi = steps.run.params, steps.model_inputs
    sens = anchor_sensitivity(mi.history, steps.need("model", "ankermodellen"), mi.criteria, mi.settings, params.totalt,
                              n_draws=params.usikkerhet_trekk, spread=params.usikkerhet_spenn,
                              seed=params.usikkerhet_startverdi, caps=mi.caps_with_declines(),
                              fixed={e["kommunenummer"]: e["antall"] for e in mi.exceptions}, wishes=mi.wishes)
    write_table(steps.run.processed_dir, "usikkerhet", sens)
    return sens


def write_reference_keys(steps: AllocationSteps) -> pd.DataFrame:
    """The reference keys beside the recommendation; writes referansenokler."""
    steps.reference = reference_keys(steps.run, steps.inputs, steps.need("table", "resultat"))
    write_table(steps.run.processed_dir, "referansenokler", steps.reference)
    return steps.reference


def write_model_history(steps: AllocationSteps) -> pd.DataFrame:
    """How this year's model would have hit the county's earlier years, beside the simple references; writes
    modelltreff and the model document (settings, the explanation's part names, what the history left out)."""
    run, mi = steps.run, steps.model_inputs
    model, extra = steps.need("model", "ankermodellen"), steps.need("extra", "resultat")
    hits, hit_notes = model_history(run, mi.settings)
    write_table(run.processed_dir, "modelltreff", hits)
    labels = {k.lstrip("_"): v for k, v in part_labels(model.attrs.get("siste_aar"), mi.settings.tilts).items()}
    labels.update({k: label for k, (label, _) in extra.items()})
    write_document(run.processed_dir, "modell", {
        "innstillinger": describe_settings(mi.settings), "siste_aar": model.attrs.get("siste_aar"),
        "ledd": labels, "kriterier_brukt": [t.id for t in mi.settings.tilts],
        "tilbakemeldinger_styrer": mi.will_settle is not None, "etterproving": hit_notes,
    })
    return hits


def write_backtest(steps: AllocationSteps) -> pd.DataFrame | None:
    """Against IMDi's actual request when it is in the data (None otherwise); writes backtest."""
    return backtest(steps.run, steps.need("table", "resultat"), steps.reference)


def recommend(run: RunContext) -> pd.DataFrame:
    """The whole allocation step; writes anbefaling.csv and the side tables, returns the recommendation table."""
    steps = start(run)
    anchor(steps)
    round_to_rules(steps)
    adjust(steps)
    distribute_minors(steps)
    table = result(steps)
    write_scenarios(steps)
    write_sensitivity(steps)
    write_reference_keys(steps)
    write_model_history(steps)
    write_backtest(steps)
    return table


def explanation_text(texts: pd.Series, model: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """The explanation per municipality: the parts that add up, then why it is held at 0, an exception or adjusted."""
    out = texts.reindex(table.index).astype("str") + "."
    reason = model["aarsak"].reindex(table.index).fillna("").astype("str")
    out = out.where(reason.eq(""), out + " " + reason + ".")
    adjusted_by_county = table["justering"].ne(0) & table["justering_begrunnelse"].notna()
    out = out.where(~adjusted_by_county, out + " Fylkets begrunnelse: " + table["justering_begrunnelse"].astype("str") + ".")
    return out


def scenario_table(run: RunContext, inputs: ModelInputs) -> pd.DataFrame:
    """The model's numbers under each county total in the parameters (long: scenario, kommunenummer, antall): the
    anchor model run again for each total (the county's adjustments are for the year's total only)."""
    params = run.params
    totals = sorted(set(params.scenarier) | {params.totalt})
    rows = []
    for total in totals:
        try:
            numbers = run_model(inputs, total)["anbefaling"]
            note = ""
        except (AllocationError, BosettingError) as exc:
            numbers, note = pd.Series(pd.NA, index=inputs.codes, dtype="Int64"), str(exc)
        for code, n in numbers.items():
            rows.append({"totalt": total, "kommunenummer": code, "antall": n, "merknad": note})
    frame = pd.DataFrame(rows)
    frame["antall"] = frame["antall"].astype("Int64")
    return frame


def model_history(run: RunContext, settings: AnchorSettings) -> tuple[pd.DataFrame, dict]:
    """How this year's model settings, and the simple references, would have hit the county's earlier years.

    The walk-forward harness (bosetting_lib.model.walkforward) on the run's own processed tables, cut at the spring of
    the run: only tables dated before the analysed year are read, and only years before it are judged (a 2025 run
    judges 2024; a 2026 run 2024 and 2025). Criteria the harness cannot measure for an earlier year are left out of
    its model (listed in the notes).
    """
    params, out = run.params, run.processed_dir
    spring = params.aar - 1

    def known(name: str) -> pd.DataFrame | None:
        frame = read_optional(out, name)
        return None if frame is None else frame.loc[frame["aar"] <= spring].reset_index(drop=True)

    frames = [known("bosettingstall"), known("folketall"), known("bosatte_flyktninger"), known("sentralitet"),
              known("fastlege")]
    catalogue = catalogue_from_tidy(frames, "data/processed")
    requested = sorted({t.year for t in catalogue.tables if t.variable == "anmodet"})
    years = [y for y in BACKTEST_YEARS if y < params.aar and y in requested and any(r < y for r in requested)]
    municipalities = read_table(out, "kommuner")[["kommunenummer", "kommune"]].assign(
        fylkesnummer=params.fylkesnummer, fylke=params.fylke or params.fylkesnummer)
    columns = ["aar", "modell", "fylkesnummer", "fylke", "kommuner", "mae", "median_ae", "rho", "innen_20", "imdi_null",
               "null_riktig", "falske_positive", "imdi_1_9", "enige_1_9", "modell_1_9"]
    if not years:
        return pd.DataFrame(columns=columns), {"aar": [], "utelatte_kriterier": []}
    measurable = criteria_from_known(catalogue.known_at(years[0]), pd.Index(municipalities["kommunenummer"])).columns
    judged = replace(settings, tilts=tuple(t for t in settings.tilts if t.column in measurable))
    table = backtest_table(catalogue, municipalities, years, {"modell": anchor_model(judged)},
                           minimum=settings.minimum, method=settings.method)
    table = table.loc[table["fylkesnummer"] != NATIONAL, columns].reset_index(drop=True)
    left_out = [t.navn for t in settings.tilts if t.column not in measurable]
    return table, {"aar": years, "utelatte_kriterier": left_out}


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


def backtest(run: RunContext, table: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame | None:
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
