"""From processed tables to the recommendation: indicators, key, bounded rounding, minors, adjustments,
scenarios, sensitivity, reference keys and backtest. Notebooks 02 and 03 call these; results go to processed/."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bosetting_lib.allocation import apportion, apportion_detailed, apportion_minors
from bosetting_lib.context import RunContext
from bosetting_lib.errors import AllocationError
from bosetting_lib.formatting import format_decimal, format_int, format_percent
from bosetting_lib.indicators import (
    IndicatorUnavailable,
    Inputs,
    build_indicators,
    immigrant_share_rate,
    unemployment_rate,
)
from bosetting_lib.raw_manifest import example_files
from bosetting_lib.key import Key, build_key, placed_differently, population_influence
from bosetting_lib.reference_keys import KEY_LABELS_NB, reference_key_table
from bosetting_lib.sensitivity import criterion_contributions, run_sensitivity

HISTORY_VARIABLES = ("anmodet", "vedtatt", "bosatte")


def read_processed(run: RunContext, name: str) -> pd.DataFrame:
    """A processed table by name, with codes as strings and the nullable value column typed."""
    frame = pd.read_csv(run.processed_dir / f"{name}.csv", dtype={"kommunenummer": str, "fylkesnummer": str, "status": str})
    if "verdi" in frame.columns:
        frame["verdi"] = frame["verdi"].astype("Float64")
    return frame


def _optional(run: RunContext, name: str) -> pd.DataFrame | None:
    return read_processed(run, name) if (run.processed_dir / f"{name}.csv").is_file() else None


def example_inputs(run: RunContext) -> frozenset[str]:
    """The optional inputs (parameter keys) whose files the manifest marks as example data."""
    examples = example_files(run.data)
    return frozenset(
        key for key, rel in run.params.inndata_valgfrie.items()
        if any(f == rel or f.startswith(rel.rstrip("/") + "/") for f in examples)
    )


def feedback_steers(run: RunContext) -> bool:
    """Feedback answers cap the numbers only when they are real, or when the parameters explicitly allow example data."""
    return "tilbakemeldinger" in run.params.inndata_valgfrie and (
        "tilbakemeldinger" not in example_inputs(run) or run.params.bruk_eksempeldata
    )


def _before(tidy: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    return None if tidy is None else tidy.loc[tidy["aar"] < year].reset_index(drop=True)


def load_inputs(run: RunContext) -> Inputs:
    """The processed tables the indicators need; example data is left out unless the parameters include it."""
    examples = example_inputs(run)
    use = lambda key: key not in examples or run.params.bruk_eksempeldata  # noqa: E731
    feedback = _optional(run, "tilbakemeldinger") if use("tilbakemeldinger") else None
    return Inputs(
        municipalities=read_processed(run, "kommuner"),
        population=read_processed(run, "folketall"),
        # Only years before the analysed one steer the key; the analysed year's own request is kept for the backtest.
        settlement=_before(read_processed(run, "bosettingstall"), run.params.aar),
        year=run.params.aar,
        settled_refugees=_before(_optional(run, "bosatte_flyktninger"), run.params.aar) if use("bosatte_flyktninger") else None,
        centrality=_optional(run, "sentralitet") if use("sentralitet") else None,
        gp_capacity=_optional(run, "fastlege") if use("fastlege") else None,
        feedback=feedback,
        labour=_optional(run, "ledighet") if use("ledighet") else None,
        immigrant_share=_optional(run, "innvandrerandel") if use("innvandrerandel") else None,
        example_inputs=frozenset("feedback" if k == "tilbakemeldinger" else k for k in examples),
    )


def compute_key(run: RunContext) -> Key:
    """Indicators, the criteria's shares and the weighted key; written to processed/ and returned."""
    inputs = load_inputs(run)
    wanted = sorted({c.indikator for c in run.params.kriterier} | {c.grunnlag for c in run.params.kriterier} | {"folketall"})
    values, info, unavailable = build_indicators(inputs, wanted)
    key = build_key(values, info, run.params.kriterier, unavailable, values["folketall"].astype("float64"))
    out = run.processed_dir
    values.to_csv(out / "indikatorer.csv", lineterminator="\n", float_format="%.6f")
    info.to_csv(out / "indikatorer_beskrivelse.csv", index=False, lineterminator="\n")
    key.shares.join(key.key).to_csv(out / "nokkel.csv", lineterminator="\n", float_format="%.12f")
    key.flags.to_csv(out / "nokkel_flagg.csv", index=False, lineterminator="\n")
    influence = population_influence(key.key, values["folketall"].astype("float64"))
    if "vedtatt_snitt" in values.columns:
        # The other thing a key can quietly follow is the municipalities' own past decisions (continuity).
        influence["flyttet_fra_vedtak"] = placed_differently(key.key, values["vedtatt_snitt"].astype("float64"))
    influence["andel_vekt_fra_vedtak"] = sum(
        key.weights.get(c.id, 0.0) for c in run.params.kriterier if "vedtatt_snitt" in (c.indikator, c.grunnlag))
    meta = {"vekter": key.weights, "merknader": key.notes, "utelatte_indikatorer": unavailable,
            "befolkningens_innflytelse": {k: None if v is None else round(v, 6) for k, v in influence.items()}}
    (out / "nokkel.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return key


@dataclass(frozen=True)
class KeyOnDisk:
    """The key as notebook 02 wrote it."""

    shares: pd.DataFrame
    key: pd.Series
    weights: dict[str, float]
    meta: dict


def read_key(run: RunContext) -> KeyOnDisk:
    """Read the key written by :func:`compute_key`."""
    frame = pd.read_csv(run.processed_dir / "nokkel.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")
    meta = json.loads((run.processed_dir / "nokkel.json").read_text(encoding="utf-8"))
    shares = frame.drop(columns="nokkel")
    return KeyOnDisk(shares, frame["nokkel"], meta["vekter"], meta)


def history_wide(settlement: pd.DataFrame) -> pd.DataFrame:
    """IMDi's history as columns like ``anmodet_2025``; suppressed cells keep their symbol in ``*_status`` columns."""
    rows = settlement.loc[settlement["variabel"].isin(HISTORY_VARIABLES)].copy()
    rows["kolonne"] = rows["variabel"] + "_" + rows["aar"].astype(str)
    values = rows.pivot(index="kommunenummer", columns="kolonne", values="verdi")
    status = rows.pivot(index="kommunenummer", columns="kolonne", values="status").add_suffix("_status")
    order = [f"{v}_{y}" for y in sorted(rows["aar"].unique()) for v in HISTORY_VARIABLES if f"{v}_{y}" in values.columns]
    return values[order].join(status[[f"{c}_status" for c in order]])


def capacity_caps(run: RunContext, index: pd.Index) -> tuple[pd.Series | None, pd.Series | None]:
    """Caps from the feedback round (stated maximum; declining gives 0) and minor capacities, when feedback steers."""
    if not feedback_steers(run):
        return None, None
    feedback = _optional(run, "tilbakemeldinger")
    if feedback is None:
        return None, None
    return caps_from_feedback(feedback, index)


def caps_from_feedback(feedback: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """(caps, minor capacities) on ``index`` from the feedback table: the stated maximum, 0 when declining, NaN = no cap."""
    fb = feedback.set_index("kommunenummer").reindex(index)
    caps = fb["kapasitet_maks"].astype("Float64")
    declines = fb["avslar"].astype("boolean").fillna(False)
    caps = caps.mask(declines, 0)
    return caps.astype("float64"), fb["em_kapasitet"].astype("float64")


def read_adjustments(run: RunContext) -> pd.DataFrame:
    """The county's own adjustments for the year (kommunenummer, ny_verdi or endring, begrunnelse, besluttet_av).

    The file is read and checked by :func:`bosetting_lib.ingest.read_adjustments_file`, the same function the
    validation runs before anything is written.
    """
    from bosetting_lib.ingest import ADJUSTMENT_COLUMNS, read_adjustments_file

    rel = run.params.inndata_valgfrie.get("justeringer")
    if rel is None:
        return pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
    return read_adjustments_file(run.data.raw / rel, read_processed(run, "kommuner"))


def apply_adjustments(model: pd.Series, key: pd.Series, adjustments: pd.DataFrame, total: int, *, minimum: int,
                      maximum: pd.Series | None, method: str, exceptions: list[str]) -> pd.Series:
    """Fix the adjusted municipalities at their new numbers and re-apportion the rest of the total over the others."""
    if adjustments.empty:
        return model.copy()
    fixed = {}
    for row in adjustments.itertuples(index=False):
        fixed[row.kommunenummer] = int(row.ny_verdi) if row.ny_verdi else int(model[row.kommunenummer]) + int(row.endring)
    bad = {code: n for code, n in fixed.items() if n < 0 or (0 < n < minimum and code not in exceptions)}
    if bad:
        raise AllocationError("Justeringen gir et tall som bryter regelen om 0 eller minst "
                              f"{minimum}: " + ", ".join(f"{c}: {n}" for c, n in bad.items()))
    rest_total = total - sum(fixed.values())
    if rest_total < 0:
        raise AllocationError(f"Justeringene fordeler {sum(fixed.values())} personer, mer enn totaltallet {total}; "
                              "tallene går ikke opp.")
    others = key.index.difference(list(fixed), sort=False)
    others = key.index[key.index.isin(others)]
    rest = apportion(key.loc[others], rest_total, minimum=minimum,
                     maximum=None if maximum is None else maximum.reindex(others), method=method,
                     exceptions=[e for e in exceptions if e in others])
    return pd.concat([rest, pd.Series(fixed, dtype="int64")]).reindex(key.index).astype("int64")


def minors_total(run: RunContext, inputs: Inputs) -> tuple[int, str]:
    """The unaccompanied-minors total: from the parameters, or estimated from the county's recent share."""
    if run.params.enslige_mindreaarige is not None:
        return run.params.enslige_mindreaarige, "fra parameterfilen"
    settled = inputs.settled_refugees
    if settled is None:
        return 0, "ikke oppgitt, og ingen historikk for enslige mindreårige: ingen fordeling"
    full = settled.loc[settled["aar"] < run.params.aar - 2]  # the latest year is partial
    wide = full.pivot_table(index=["kommunenummer", "aar"], columns="variabel", values="verdi", aggfunc="sum")
    # Municipality-years whose count of minors is suppressed leave both the numerator and the denominator, so the
    # share is not biased low by the hidden 1-4s.
    known = wide.dropna(subset=["bosatte_em", "bosatte_flyktninger"])
    if known.empty or known["bosatte_flyktninger"].sum() == 0:
        return 0, "ikke oppgitt, og ingen historikk for enslige mindreårige: ingen fordeling"
    share = float(known["bosatte_em"].sum() / known["bosatte_flyktninger"].sum())
    years = sorted(int(y) for y in known.index.get_level_values("aar").unique())
    year_text = " og ".join([", ".join(map(str, years[:-1])), str(years[-1])]) if len(years) > 1 else str(years[0])
    estimate = int(round(share * run.params.totalt))
    hidden = int(len(wide) - len(known))
    hidden_text = f"; {format_int(hidden)} kommuneår med skjulte tall er holdt utenfor" if hidden else ""
    return estimate, (f"anslag: {format_percent(share, 1)} av de bosatte i fylket var enslige mindreårige i {year_text}, "
                      f"ganget med totaltallet{hidden_text}")


def minors_able(run: RunContext, inputs: Inputs, index: pd.Index) -> pd.Series:
    """Municipalities able to take minors: they settled minors recently, or (when feedback steers) say so."""
    able = pd.Series(False, index=index)
    settled = inputs.settled_refugees
    if settled is not None:
        em = settled.loc[settled["variabel"] == "bosatte_em"]
        # A suppressed count (":") means a few minors were settled, so the municipality has done it.
        took = em.loc[(em["verdi"].fillna(0) > 0) | em["status"].eq(":").fillna(False).astype(bool), "kommunenummer"]
        able[able.index.isin(took)] = True
    if feedback_steers(run) and inputs.feedback is not None:
        says = inputs.feedback.set_index("kommunenummer")["em_kan_bosette"].astype("boolean").reindex(index)
        able = able.mask(says.eq(True).fillna(False).astype(bool), True)
        able = able.mask(says.eq(False).fillna(False).astype(bool), False)
    return able


def reason_lines(shares: pd.DataFrame, weights: dict[str, float], population: pd.Series, total: int,
                 names: dict[str, str], final: pd.Series, status: pd.Series) -> pd.Series:
    """One line per municipality: from a population-only split to its number, criterion by criterion (persons).

    Each criterion moves the number by weight × (its share − the population share) × total; the two that move it
    most are named, the rest are summed, and rounding to the rules closes the gap to the final number. The parts
    are rounded together (largest remainder), so the whole numbers shown add up to the result.
    """
    pop_share = population / population.sum()
    push = pd.DataFrame({c: weights[c] * (shares[c] - pop_share) * total for c in shares.columns})
    lines = {}
    for code, row in push.iterrows():
        start = pop_share[code] * total
        named = list(row.abs().sort_values(ascending=False, kind="stable").index[:2])
        rest = row.drop(named).sum()
        rounding = final[code] - (start + row.sum())
        whole = _sum_preserving([start, *(row[c] for c in named), rest, rounding], int(final[code]))
        parts = [f"Etter folketall alene: {format_int(whole[0])}"]
        parts += [f"{names[c].lower()} {_signed(v)}" for c, v in zip(named, whole[1:3]) if v != 0]
        if whole[3] != 0:
            parts.append(f"andre kriterier {_signed(whole[3])}")
        if status[code] != "fordelt etter nøkkelen":
            parts.append(f"avrunding {_signed(whole[4])} ({status[code]})")
        elif whole[4] != 0:
            # Rounding others up to the minimum is paid for by the larger municipalities.
            label = "avrunding og minstetallet for andre kommuner" if abs(rounding) >= 1.5 else "avrunding"
            parts.append(f"{label} {_signed(whole[4])}")
        lines[code] = "; ".join(parts) + f". Resultat {format_int(final[code])}."
    return pd.Series(lines)


def _sum_preserving(values: list[float], target: int) -> list[int]:
    """Whole numbers close to ``values`` that add up to ``target`` (largest remainder; ties by position)."""
    floors = [math.floor(v + 1e-9) for v in values]
    missing = target - sum(floors)
    order = sorted(range(len(values)), key=lambda i: -(values[i] - floors[i]))
    for i in order[:max(missing, 0)]:
        floors[i] += 1
    for i in sorted(range(len(values)), key=lambda i: values[i] - floors[i])[:max(-missing, 0)]:
        floors[i] -= 1
    return floors


def _signed(value: float) -> str:
    """A signed whole number of persons: '+12', '−5'."""
    number = int(round(value))
    return ("+" if number > 0 else "") + format_int(number) if number else "±0"


def recommend(run: RunContext) -> pd.DataFrame:
    """The whole allocation step; writes anbefaling.csv and the side tables, returns the recommendation table."""
    params, out = run.params, run.processed_dir
    inputs = load_inputs(run)
    stored = read_key(run)
    key = stored.key
    caps, minor_caps = capacity_caps(run, key.index)
    detailed = apportion_detailed(key, params.totalt, minimum=params.minstetall, maximum=caps,
                                  method=params.avrunding, exceptions=list(params.unntak))
    model = detailed.allocation
    adjustments = read_adjustments(run)
    final = apply_adjustments(model, key, adjustments, params.totalt, minimum=params.minstetall, maximum=caps,
                              method=params.avrunding, exceptions=list(params.unntak))

    em_total, em_basis = minors_total(run, inputs)
    able = minors_able(run, inputs, key.index)
    minors = (apportion_minors(em_total, final, able, capacity=minor_caps, method=params.avrunding)
              if em_total > 0 else pd.Series(0, index=key.index, dtype="int64"))

    population = inputs.population.loc[
        (inputs.population["variabel"] == "folketall") & (inputs.population["aar"] == params.aar - 1)
    ].set_index("kommunenummer")["verdi"].reindex(key.index).astype("float64")
    names = {c.id: c.navn for c in params.kriterier}
    status = detailed.table["status"] if "status" in detailed.table.columns else pd.Series("fordelt etter nøkkelen", index=key.index)

    table = inputs.municipalities[["kommunenummer", "kommune"]].set_index("kommunenummer")
    table["folketall"] = population.astype("Int64")
    table = table.join(history_wide(read_processed(run, "bosettingstall")))
    table["nokkel_andel"] = key
    table["modell"] = model
    adj = adjustments.set_index("kommunenummer")
    table["justering"] = (final - model).astype("int64")
    table["justering_begrunnelse"] = adj["begrunnelse"].reindex(table.index)
    table["justering_besluttet_av"] = adj["besluttet_av"].reindex(table.index)
    table["anbefaling"] = final
    table["herav_em"] = minors.reindex(table.index).astype("int64")
    table["kan_ta_em"] = able
    last_years = sorted(int(c.split("_")[1]) for c in table.columns
                        if c.startswith("anmodet_") and not c.endswith("_status") and int(c.split("_")[1]) < params.aar)
    if last_years:
        last = f"anmodet_{last_years[-1]}"
        table["endring_fra_anmodning"] = (table["anbefaling"] - table[last]).astype("Int64")
    table["status"] = status.reindex(table.index)
    table["begrunnelse"] = reason_lines(stored.shares, stored.weights, population, params.totalt, names,
                                        table["modell"], table["status"])
    table.loc[table["justering"] != 0, "begrunnelse"] = (
        table["begrunnelse"] + "; justert av fylket (" + table["justering_begrunnelse"].fillna("") + ")")
    table = table.reset_index().sort_values("kommunenummer", kind="stable")
    table.to_csv(out / "anbefaling.csv", index=False, lineterminator="\n", float_format="%.10f")

    contrib = criterion_contributions(stored.shares, pd.Series(stored.weights), final.reindex(stored.shares.index))
    contrib.to_csv(out / "bidrag.csv", lineterminator="\n", float_format="%.6f")
    _write_minors_meta(out, em_total, em_basis)
    scenario_table(run, key, caps).to_csv(out / "scenarier.csv", index=False, lineterminator="\n")
    sens = run_sensitivity(stored.shares, pd.Series(stored.weights), params.totalt, n_draws=params.usikkerhet_trekk,
                           concentration=params.usikkerhet_konsentrasjon, seed=params.usikkerhet_startverdi,
                           minimum=params.minstetall, maximum=caps, method=params.avrunding,
                           exceptions=list(params.unntak))
    sens.to_csv(out / "usikkerhet.csv", lineterminator="\n", float_format="%.6f")
    reference = reference_keys(run, inputs, table)
    reference.to_csv(out / "referansenokler.csv", index=False, lineterminator="\n")
    backtest(run, table, stored, population, reference)
    return table


def _write_minors_meta(out: Path, total: int, basis: str) -> None:
    data = {"enslige_mindreaarige_totalt": total, "grunnlag": basis}
    (out / "enslige_mindreaarige.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def scenario_table(run: RunContext, key: pd.Series, caps: pd.Series | None) -> pd.DataFrame:
    """The allocation under each county total in the parameters (long: scenario, kommunenummer, antall)."""
    params = run.params
    totals = sorted(set(params.scenarier) | {params.totalt})
    rows = []
    for total in totals:
        try:
            numbers = apportion(key, total, minimum=params.minstetall, maximum=caps, method=params.avrunding,
                                exceptions=list(params.unntak))
            note = ""
        except AllocationError as exc:
            numbers, note = pd.Series(pd.NA, index=key.index, dtype="Int64"), str(exc)
        for code, n in numbers.items():
            rows.append({"totalt": total, "kommunenummer": code, "antall": n, "merknad": note})
    frame = pd.DataFrame(rows)
    frame["antall"] = frame["antall"].astype("Int64")
    return frame


def labour_market_and_immigrant_stock(inputs: Inputs, population: pd.Series) -> tuple[
        pd.Series | None, pd.Series | None, dict[str, str]]:
    """The Swedish key's labour-market vector and the Danish key's immigrant stock, when the inputs exist.

    * Labour market (Sweden): population × (1 − registered unemployment / 100), i.e. the residents who are not
      registered as fully unemployed, using the same annual mean as the unemployment indicator. Employed persons by
      workplace would measure the labour market's size better, but no municipal figure for it is in the data; with
      unemployment between 1 and 4 % this vector stays close to population, so the Swedish key differs from
      population mainly through its reception part. Documented in the report next to the key.
    * Immigrant stock (Denmark): population × immigrant share / 100 (SSB 09817, 1 January of the same year as the
      population), the number of immigrants already living there.

    Either is None when its table is missing or has no values for the county; a municipality without a value makes
    the key left out (reference_keys never guesses). Returns (labour market, stock, {key: what was used}).
    """
    used: dict[str, str] = {}
    labour = stock = None
    try:
        rate, year = unemployment_rate(inputs)
        labour = population * (1 - rate.reindex(population.index).astype("float64") / 100)
        used["sweden"] = (f"Arbeidsmarkedsdelen er folketallet × (1 − registrert ledighet {year}, NAV), altså bosatte som "
                          f"ikke er registrert helt ledige; den ligger nær folketallet fordi ledigheten bare er "
                          f"{format_decimal(float(rate.min()), 1)}–{format_decimal(float(rate.max()), 1)} %. Mottaket er "
                          "bosatte flyktninger de siste årene.")
    except IndicatorUnavailable:
        pass
    try:
        share, year = immigrant_share_rate(inputs)
        stock = population * share.reindex(population.index).astype("float64") / 100
        used["denmark"] = (f"Innvandrerne som allerede bor der er regnet som folketallet × innvandrerandelen 1. januar "
                           f"{year} (SSB 09817).")
    except IndicatorUnavailable:
        pass
    return labour, stock, used


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
    last_cols = sorted(c for c in t.columns if c.startswith("anmodet_") and not c.endswith("_status")
                       and int(c.split("_")[1]) < params.aar)
    last_year = t[last_cols[-1]].astype("float64") if last_cols else None
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
    """Land area per municipality, from the county list when it covers every municipality."""
    path = run.data.reference / "kommuner_trondelag.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={"kommunenummer": str}).set_index("kommunenummer")
    area = frame["areal_km2"].reindex(index)
    return None if area.isna().any() else area.astype("float64")


def backtest(run: RunContext, table: pd.DataFrame, stored: KeyOnDisk, population: pd.Series,
             reference: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """When IMDi's actual request for the analysed year is in the data: how close the model came, against baselines."""
    column = f"anmodet_{run.params.aar}"
    if column not in table.columns:
        return None
    t = table.set_index("kommunenummer")
    actual = t[column].astype("float64")
    model = t["anbefaling"].astype("float64")
    both = actual.notna()
    scale = model[both].sum() / actual[both].sum() if actual[both].sum() else 1.0

    def mean_abs(numbers: pd.Series) -> float:
        return round(float((numbers.reindex(t.index).astype("float64") - actual * scale)[both].abs().mean()), 2)

    diff = model - actual * scale
    rank_corr = float(np.corrcoef(model[both].rank(), actual[both].rank())[0, 1])
    frame = pd.DataFrame({"kommunenummer": t.index, "kommune": t["kommune"], "modell": model.astype("int64"),
                          "faktisk_anmodet": actual.astype("Int64"), "avvik": diff.round(1)})
    frame = frame.sort_values("avvik", key=lambda s: s.abs(), ascending=False, kind="stable")
    frame.to_csv(run.processed_dir / "backtest.csv", index=False, lineterminator="\n")
    baselines = {"modell": mean_abs(model)}
    if reference is not None:
        # Keys that were left out carry no municipality rows (only a reason), so they have nothing to compare.
        available = reference.loc[reference["kommunenummer"].fillna("").astype(str).str.len() == 4]
        for key, part in available.groupby("nokkel"):
            baselines[str(key)] = mean_abs(part.set_index("kommunenummer")["antall"])
    zero_model = sorted(t.index[(model == 0) & (actual > 0)])
    zero_actual = sorted(t.index[(model > 0) & (actual == 0)])
    summary = {"rangkorrelasjon": round(rank_corr, 4), "gjennomsnittlig_absolutt_avvik": baselines["modell"],
               "skalert_med": round(float(scale), 6), "sammenligning": baselines,
               "modell_0_imdi_over_0": zero_model, "modell_over_0_imdi_0": zero_actual}
    (run.processed_dir / "backtest.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return frame
