"""The what-if behind notebook 03's panel: from the official result with the county's adjustments, municipalities by
name, number or code, exceptions with a reason, and a Norwegian refusal instead of a silent loss of persons."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.errors import BosettingError
from bosetting_lib.steps import allocate
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.ingest import ingest
from bosetting_lib.steps.key_step import compute_criteria
from bosetting_lib.steps.tables import read_table
from bosetting_lib.steps.whatif import WhatIfError, prepare_what_if, what_if

TOTAL = 1583
# The county's own adjustments for the test run: Trondheim fixed at 450, Steinkjer five more than the model.
ADJUSTMENTS = ("kommunenummer;ny_verdi;endring;begrunnelse;besluttet_av\n"
               "5001;450;;boligmangel;fylkesutvalget\n"
               "5006;;+5;nytt mottak;fylkesutvalget\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> RunContext:
    """Step 01-03 on a copy of the bundled data with an adjustments file (few sensitivity draws: only speed)."""
    root = tmp_path_factory.mktemp("whatif")
    shutil.copytree(PROJECT_ROOT / "data" / "raw", root / "data" / "raw")
    (root / "data" / "raw" / "justeringer.csv").write_text(ADJUSTMENTS, encoding="utf-8")
    params = load_params(year=2026)
    params = dataclasses.replace(params, usikkerhet_trekk=200,
                                 inndata_valgfrie={**params.inndata_valgfrie, "justeringer": "justeringer.csv"})
    context = RunContext(params, DataPaths(root / "data"), root / "processed")
    context.processed_dir.mkdir()
    ingest(context)
    compute_criteria(context)
    allocate.recommend(context)
    return context


@pytest.fixture(scope="module")
def base(run):
    return prepare_what_if(run)


def official(run) -> pd.Series:
    return read_table(run.processed_dir, "anbefaling").set_index("kommunenummer")["anbefaling"]


def test_no_change_shows_no_differences_even_when_the_county_has_adjusted(run, base):
    assert official(run)["5001"] == 450  # the county's adjustment is in the official result
    result = what_if(run)
    assert result.changed.empty
    assert result.table["hva_om"].equals(result.table["anbefaling"])
    assert result.table.loc["5001", "merknad"] == "fylkets justering (boligmangel)"
    assert result.table.loc["5006", "merknad"] == "fylkets justering (nytt mottak)"
    # the settings are shown, and unchanged when nothing was asked
    assert result.effective_settings == {"anmodet_vekt": base.settings.request_weight,
                                         "eldre_aar": base.settings.recency, **base.strengths}


@pytest.mark.parametrize("label", ["Trondheim", 5001, "5001", "trondheim kommune", "5001 Trondheim"])
def test_a_municipality_by_name_number_or_code_string_is_fixed_and_the_total_kept(base, label):
    result = what_if(base, justeringer={label: 400})
    assert result.table.loc["5001", "hva_om"] == 400
    assert result.table["hva_om"].sum() == TOTAL
    assert "erstatter fylkets justering (boligmangel)" in result.table.loc["5001", "merknad"]
    # The persons Trondheim gives up go to the others; the county's other adjustment still holds (+5 on the model).
    assert result.table.loc["5001", "forskjell"] == -50
    assert "fylkets justering" in result.table.loc["5006", "merknad"]


@pytest.mark.parametrize("label", ["Trondhjem", 450, "9999", "Oslo", True])
def test_an_unknown_municipality_is_refused_in_norwegian_never_lost(base, label):
    with pytest.raises(WhatIfError, match="Ukjent kommune i justeringer") as info:
        what_if(base, justeringer={label: 450})
    assert isinstance(info.value, BosettingError)
    assert "kommunenummeret med fire sifre" in str(info.value)


def test_the_same_municipality_twice_is_refused(base):
    with pytest.raises(WhatIfError, match="Samme kommune står to ganger"):
        what_if(base, justeringer={"Trondheim": 400, 5001: 410})


def test_an_exception_below_the_minimum_needs_a_reason(base):
    with pytest.raises(WhatIfError, match="under minstetallet .* må begrunnes"):
        what_if(base, justeringer={"Tydal": 5})
    with pytest.raises(WhatIfError, match="skal begrunnes"):
        what_if(base, justeringer={"Tydal": 5}, unntak={"Tydal": "  "})
    result = what_if(base, justeringer={"Tydal": 5}, unntak={"Tydal": "lang reisevei"})
    assert result.table.loc["5033", "hva_om"] == 5
    assert result.table["hva_om"].sum() == TOTAL
    assert "unntak fra minstetallet: lang reisevei" in result.table.loc["5033", "merknad"]


def test_settings_out_of_range_or_unknown_criteria_give_a_norwegian_error(base):
    with pytest.raises(WhatIfError, match="Ukjent kriterium i styrker"):
        what_if(base, styrker={"sol": 0.1})
    for bad in (-0.1, 0.6, float("nan"), "mye", True):
        with pytest.raises(WhatIfError, match="Styrken for «Bosatte flyktninger per innbygger sist» må være et tall fra 0 til 0,5"):
            what_if(base, styrker={"spredning": bad})
    for bad in (-0.1, 1.5, "halv"):
        with pytest.raises(WhatIfError, match="Vekt på siste anmodning i grunnlaget må være et tall fra 0 til 1"):
            what_if(base, anmodet_vekt=bad)
        with pytest.raises(WhatIfError, match="Vekt på eldre år må være et tall fra 0 til 1"):
            what_if(base, eldre_aar=bad)
    # every criterion at strength 0 is allowed: the base alone, said in words, and the sum still the total
    result = what_if(base, styrker={c: 0 for c in base.strengths})
    assert result.table["hva_om"].sum() == TOTAL and any("styrke 0" in note for note in result.notes)


def test_changed_settings_are_used_and_returned(base):
    result = what_if(base, anmodet_vekt=1.0, styrker={"spredning": 0.2})
    used = result.effective_settings
    assert used["anmodet_vekt"] == 1.0 and used["spredning"] == 0.2
    assert used["eldre_aar"] == base.settings.recency  # not asked, not changed
    shown = result.settings.set_index("innstilling")
    assert shown.loc["spredning", "anbefaling"] == base.strengths["spredning"]
    # by the criterion's name too, with the same result
    assert what_if(base, anmodet_vekt=1.0, styrker={"Bosatte flyktninger per innbygger sist": 0.2}).table.equals(result.table)
    assert result.table["hva_om"].sum() == TOTAL and not result.changed.empty
    # the request weight alone moves the numbers too (the base follows the request instead of the decision)
    assert not what_if(base, anmodet_vekt=0.0).changed.empty


def test_a_changed_total_keeps_the_sum_and_the_countys_adjustments(base):
    result = what_if(base, totalt=2000)
    assert result.table["hva_om"].sum() == 2000 and result.total == 2000
    assert result.table.loc["5001", "hva_om"] == 450
    with pytest.raises(WhatIfError, match="går ikke etter reglene"):
        what_if(base, totalt=300)  # the county's fixed 450 for Trondheim is more than the whole total
    for bad in (-1, 12.5, "mange"):
        with pytest.raises(WhatIfError, match="helt tall ≥ 0"):
            what_if(base, totalt=bad)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strength=st.floats(0, 0.5), request=st.floats(0, 1), recency=st.floats(0, 1), total=st.integers(0, 3000),
       minimum=st.integers(0, 20), fixed=st.integers(0, 600), excepted=st.booleans(),
       pick=st.integers(0, 37))
def test_the_sum_is_always_the_total_or_a_norwegian_error(base, strength, request, recency, total, minimum, fixed,
                                                          excepted, pick):
    code = base.official.index[pick]
    kwargs = {"styrker": {c: strength for c in base.strengths}, "anmodet_vekt": request, "eldre_aar": recency,
              "totalt": total, "minstetall": minimum, "justeringer": {code: fixed}}
    if excepted:
        kwargs["unntak"] = {code: "prøver et unntak"}
    try:
        result = what_if(base, **kwargs)
    except WhatIfError as exc:
        assert str(exc)  # a refusal with a message, never a wrong table
        return
    numbers = result.table["hva_om"]
    assert numbers.sum() == total
    assert numbers[code] == fixed
    others = numbers.drop(code)
    assert ((others == 0) | (others >= minimum)).all()


def test_the_steps_of_03_must_run_in_order(run):
    steps = allocate.start(run)
    with pytest.raises(BosettingError, match="kjør cellene i notatbok 03 i rekkefølge"):
        allocate.adjust(steps)


def test_the_panel_builds_without_a_screen_and_refuses_in_words(base, run):
    pytest.importorskip("ipywidgets")
    from bosetting_lib.outputs.whatif_widgets import build_what_if_panel, what_if_panel

    panel = build_what_if_panel(base)
    assert "summen av hva om-tallene er 1\u00a0583" in panel.output.value
    assert "ingen kommuner får et annet tall" in panel.output.value
    assert set(panel.setting_sliders) == {"anmodet_vekt", "eldre_aar", *base.strengths}
    panel.setting_sliders["anmodet_vekt"].value = 1.0  # an observer redraws at once
    assert "kommuner får et annet tall" in panel.output.value and bytes(panel.chart.value).startswith(b"\x89PNG")
    assert panel.arguments()["anmodet_vekt"] == 1.0 and panel.arguments()["styrker"] is None
    panel.setting_sliders["spredning"].value = 0.2
    assert panel.arguments()["styrker"] == {"spredning": 0.2}
    panel.fixed["5033"] = (5, None)
    assert panel.update() is None and "Går ikke" in panel.output.value
    panel.fixed["5033"] = (5, "lang reisevei")
    assert panel.update().table.loc["5033", "hva_om"] == 5
    assert panel.last_ms > 0 and "ms" in panel.status.value
    # run without a screen (papermill): a sentence, no widgets
    assert "JupyterLab" in what_if_panel(run, interaktiv=False)


def test_show_what_if_gives_tables_or_the_refusal_in_words(base):
    from bosetting_lib.outputs.whatif_widgets import show_what_if

    shown = show_what_if(base, totalt=TOTAL + 100)
    assert "summen av hva om-tallene er 1\u00a0683" in shown and "Kommuner med endret tall" in shown
    refused = show_what_if(base, justeringer={"Trondhjem": 450})
    assert "Går ikke" in refused and "Ukjent kommune" in refused


def test_an_exception_without_its_fixed_number_is_refused_in_words(base):
    with pytest.raises(WhatIfError, match="sett tallet i justeringer også for 5033 Tydal"):
        what_if(base, unntak={"Tydal": "lang reisevei"})
