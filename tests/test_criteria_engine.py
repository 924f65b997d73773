"""The criteria engine on the bundled data, in-process: indicators, key, rules, minors, adjustments, what-if, backtest."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from bosetting_lib.steps.context import RunContext
from bosetting_lib.errors import AllocationError, InputError
from bosetting_lib.model.indicators import COUNT, RATE, IndicatorInfo, Inputs, decisions_mean, settled_per_1000, willingness
from bosetting_lib.steps.ingest import ingest
from bosetting_lib.model.key import build_key, contributions, population_influence
from bosetting_lib.config.params import Criterion, load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.model.rules import apply_adjustments
from bosetting_lib.steps.allocate import capacity_caps, read_adjustments, recommend
from bosetting_lib.steps.key_step import compute_key
from bosetting_lib.steps.tables import read_processed
from bosetting_lib.steps.whatif import what_if


def _run(tmp_path, year: int, params=None) -> RunContext:
    params = params or load_params(year=year)
    run = RunContext(params, DataPaths(), tmp_path / f"processed-{year}")
    run.processed_dir.mkdir()
    ingest(run)
    compute_key(run)
    return run


@pytest.fixture(scope="module")
def run2026(tmp_path_factory):
    run = _run(tmp_path_factory.mktemp("engine"), 2026)
    recommend(run)
    return run


def tidy(rows):
    frame = pd.DataFrame(rows, columns=["kommunenummer", "kommune", "aar", "variabel", "verdi", "status"])
    frame["verdi"] = frame["verdi"].astype("Float64")
    frame["status"] = frame["status"].astype("str")
    return frame


def small_inputs(settlement, population=None) -> Inputs:
    municipalities = pd.DataFrame({"kommunenummer": ["0001", "0002"], "kommune": ["A", "B"]})
    population = population if population is not None else tidy(
        [("0001", "A", y, "folketall", 1000.0, pd.NA) for y in (2022, 2023, 2025)]
        + [("0002", "B", y, "folketall", 3000.0, pd.NA) for y in (2022, 2023, 2025)])
    return Inputs(municipalities, population, settlement, 2026)


def test_decisions_skip_years_without_a_request_and_pending_decisions():
    settlement = tidy([
        ("0001", "A", 2022, "vedtatt", 30.0, pd.NA), ("0001", "A", 2024, "vedtatt", pd.NA, "-"),
        ("0002", "B", 2022, "vedtatt", 60.0, pd.NA), ("0002", "B", 2024, "vedtatt", pd.NA, "avventer vedtak"),
    ])
    values, info = decisions_mean(small_inputs(settlement))
    # "-" (not asked, so no decision) is not a "no": both municipalities are averaged over 2022 only
    assert values.tolist() == [30.0, 60.0]
    assert info.type == COUNT and "«-»" in info.manglende


def test_willingness_is_capped_and_missing_when_never_asked():
    settlement = tidy([
        ("0001", "A", 2025, "anmodet", 10.0, pd.NA), ("0001", "A", 2025, "vedtatt", 40.0, pd.NA),
        ("0002", "B", 2025, "anmodet", 0.0, pd.NA), ("0002", "B", 2025, "vedtatt", pd.NA, "-"),
    ])
    values, info = willingness(small_inputs(settlement))
    assert values.iloc[0] == 1.2 and pd.isna(values.iloc[1])
    assert info.type == RATE


def test_settled_per_1000_leaves_out_the_partial_latest_year():
    settled = tidy([("0001", "A", 2022, "bosatte_flyktninger", 10.0, pd.NA), ("0001", "A", 2024, "bosatte_flyktninger", 99.0, pd.NA),
                    ("0002", "B", 2022, "bosatte_flyktninger", 6.0, pd.NA)])
    inputs = dataclasses.replace(small_inputs(tidy([])), settled_refugees=settled)
    values, info = settled_per_1000(inputs)
    assert values.tolist() == [10.0, 2.0] and info.aar == "2022"


def _info(kinds):
    return pd.DataFrame([dataclasses.asdict(IndicatorInfo(k, k, "", "", "", "", t, "ekte")) for k, t in kinds.items()])


def test_key_shares_sum_to_one_rates_scale_their_base_and_missing_values_are_neutral_and_flagged():
    index = pd.Index(["0001", "0002", "0003"], name="kommunenummer")
    population = pd.Series([1000.0, 3000.0, 6000.0], index=index)
    indicators = pd.DataFrame({"folketall": population, "score": [2.0, 1.0, np.nan]}, index=index)
    criteria = [Criterion("pop", "Befolkning", "", "folketall", 0.5), Criterion("s", "Poeng", "", "score", 0.5)]
    key = build_key(indicators, _info({"folketall": COUNT, "score": RATE}), criteria, {}, population)
    assert np.allclose(key.shares.sum(), 1.0) and np.isclose(key.key.sum(), 1.0)
    # 0003 has no score: it keeps its population share (0.6); 0001 and 0002 share the rest by population × score
    assert np.isclose(key.shares.loc["0003", "s"], 0.6)
    assert np.isclose(key.shares.loc["0001", "s"] / key.shares.loc["0002", "s"], (1000 * 2) / (3000 * 1))
    assert key.flags["kommunenummer"].tolist() == ["0003"]
    contrib = contributions(key.shares, key.weights, 100)
    assert np.isclose(contrib.to_numpy().sum(), 100)


def test_an_unavailable_indicator_gives_its_weight_to_the_others_and_says_so():
    index = pd.Index(["0001", "0002"], name="kommunenummer")
    population = pd.Series([1000.0, 3000.0], index=index)
    criteria = [Criterion("pop", "Befolkning", "", "folketall", 0.6), Criterion("arb", "Arbeid", "", "ledighet", 0.4)]
    key = build_key(pd.DataFrame({"folketall": population}), _info({"folketall": COUNT}), criteria,
                    {"ledighet": "kommunetall for ledighet mangler"}, population)
    assert key.weights == {"pop": 1.0}
    assert "Arbeid" in key.notes[0] and "ledighet mangler" in key.notes[0]


def test_population_influence_is_zero_for_a_pure_population_key():
    population = pd.Series([1.0, 3.0, 6.0])
    influence = population_influence(population / population.sum(), population)
    assert influence["flyttet_andel"] == pytest.approx(0.0) and influence["korrelasjon"] == pytest.approx(1.0)


def test_recommendation_follows_the_rules_and_explains_every_number(run2026):
    table = read_processed(run2026, "anbefaling")
    assert len(table) == 38 and table["anbefaling"].sum() == 1583
    assert ((table["anbefaling"] == 0) | (table["anbefaling"] >= 10)).all()
    assert table["begrunnelse"].str.len().gt(5).all()
    assert (table["modell"] == table["anbefaling"]).all() and (table["justering"] == 0).all()
    meta = json.loads((run2026.processed_dir / "nokkel.json").read_text(encoding="utf-8"))
    assert sum(meta["vekter"].values()) == pytest.approx(1.0)
    contrib = pd.read_csv(run2026.processed_dir / "bidrag.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")
    assert np.allclose(contrib.sum(axis=1), table.set_index("kommunenummer")["anbefaling"].reindex(contrib.index))


def test_example_feedback_is_shown_but_does_not_cap_by_default(run2026, tmp_path):
    assert capacity_caps(run2026, pd.Index(["5033"])) == (None, None)
    steering = dataclasses.replace(run2026.params, bruk_eksempeldata=True)
    run = RunContext(steering, run2026.data, run2026.processed_dir)
    caps, _ = capacity_caps(run, read_processed(run2026, "anbefaling")["kommunenummer"])
    assert caps["5033"] == 0  # Tydal says in the example answers that it does not wish to settle


def test_minors_are_inside_each_total_and_only_where_able(run2026):
    table = read_processed(run2026, "anbefaling")
    meta = json.loads((run2026.processed_dir / "enslige_mindreaarige.json").read_text(encoding="utf-8"))
    assert table["herav_em"].sum() == meta["enslige_mindreaarige_totalt"] > 0
    assert (table["herav_em"] <= table["anbefaling"]).all()
    assert not table.loc[~table["kan_ta_em"].astype(bool), "herav_em"].any()


def test_scenarios_sensitivity_and_reference_keys_are_written(run2026):
    scenarios = pd.read_csv(run2026.processed_dir / "scenarier.csv", dtype={"kommunenummer": str})
    assert scenarios.groupby("totalt")["antall"].sum().to_dict() == {1000: 1000, 1583: 1583, 2500: 2500}
    sens = pd.read_csv(run2026.processed_dir / "usikkerhet.csv")
    assert (sens["p10"] <= sens["p50"]).all() and (sens["p50"] <= sens["p90"]).all()
    ref = pd.read_csv(run2026.processed_dir / "referansenokler.csv", dtype={"kommunenummer": str})
    available = ref.dropna(subset=["kommunenummer"])
    assert set(available["nokkel"]) >= {"population", "continuity", "nrw"}
    assert available.groupby("nokkel")["antall"].sum().eq(1583).all()
    assert set(ref.loc[ref["kommunenummer"].isna(), "nokkel"]) == {"sweden", "denmark"}


def test_adjustment_is_applied_within_the_rules_and_keeps_the_total(run2026):
    key = pd.read_csv(run2026.processed_dir / "nokkel.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")["nokkel"]
    model = read_processed(run2026, "anbefaling").set_index("kommunenummer")["modell"]
    adjustments = pd.DataFrame({"kommunenummer": ["5001"], "ny_verdi": ["400"], "endring": [""],
                                "begrunnelse": ["boligmangel"], "besluttet_av": ["fylkesutvalget"]})
    final = apply_adjustments(model, key, adjustments, 1583, minimum=10, maximum=None, method="sainte-lague", exceptions=[])
    assert final["5001"] == 400 and final.sum() == 1583
    assert ((final == 0) | (final >= 10)).all()
    too_many = adjustments.assign(ny_verdi=["1600"])
    with pytest.raises(AllocationError, match="går ikke opp"):
        apply_adjustments(model, key, too_many, 1583, minimum=10, maximum=None, method="sainte-lague", exceptions=[])


def test_adjustments_file_errors_name_row_and_column(run2026, tmp_path, data_copy):
    (data_copy / "raw" / "justeringer.csv").write_text(
        "kommunenummer;ny_verdi;endring;begrunnelse;besluttet_av\n5001;400;;boligmangel;fylkesutvalget\n9999;;+5;;\n",
        encoding="utf-8")
    params = dataclasses.replace(run2026.params, inndata_valgfrie={**run2026.params.inndata_valgfrie, "justeringer": "justeringer.csv"})
    run = RunContext(params, DataPaths(data_copy), run2026.processed_dir)
    with pytest.raises(InputError) as info:
        read_adjustments(run)
    text = str(info.value)
    assert "justeringer.csv, rad 3, kolonne «kommunenummer»" in text and "rad 3, kolonne «begrunnelse»" in text


def test_what_if_changes_the_numbers_without_writing(run2026):
    before = {p.name: p.stat().st_mtime_ns for p in run2026.processed_dir.iterdir()}
    result = what_if(run2026, vekter={"befolkning": 0.6}).table
    assert result["hva_om"].sum() == 1583 and result["forskjell"].abs().sum() > 0
    same = what_if(run2026).table
    assert (same["forskjell"] == 0).all()
    assert {p.name: p.stat().st_mtime_ns for p in run2026.processed_dir.iterdir()} == before


def test_backtest_2025_compares_with_imdis_actual_request(tmp_path):
    run = _run(tmp_path, 2025)
    recommend(run)
    summary = json.loads((run.processed_dir / "backtest.json").read_text(encoding="utf-8"))
    assert 0.5 < summary["rangkorrelasjon"] <= 1.0
    # the baselines are real numbers for the keys that exist, and keys left out are not compared at all
    assert set(summary["sammenligning"]) == {"modell", "population", "continuity", "nrw"}
    assert all(value == value and value > 0 for value in summary["sammenligning"].values())
    assert summary["gjennomsnittlig_absolutt_avvik"] > 0
    backtest = pd.read_csv(run.processed_dir / "backtest.csv", dtype={"kommunenummer": str})
    assert len(backtest) == 38 and backtest["faktisk_anmodet"].sum() == 1446
    # the analysed year's own request never steers its key
    indicators = pd.read_csv(run.processed_dir / "indikatorer_beskrivelse.csv", dtype=str)
    assert "2025" not in indicators.loc[indicators["id"] == "vedtatt_snitt", "aar"].iloc[0]
