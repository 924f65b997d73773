"""`bosetting valider` runs the model in memory (run/validate.check_model): what would stop notebook 02 or 03 on the
inputs stops validation instead, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.errors import InputError
from bosetting_lib.run.validate import read_and_check


def _edit(params: Path, old: str, new: str) -> None:
    text = params.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    params.write_text(text.replace(old, new), encoding="utf-8")


def _problems(params: Path, data: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_and_check(load_params(params), DataPaths(data))
    return [str(p) for p in caught.value.problems]


def test_the_bundled_inputs_pass_the_dry_run_and_nothing_is_written(data_copy, params_copy):
    before = sorted(p.relative_to(data_copy) for p in data_copy.rglob("*"))
    result = read_and_check(load_params(params_copy), DataPaths(data_copy))
    assert len(result.municipalities) == 38
    assert sorted(p.relative_to(data_copy) for p in data_copy.rglob("*")) == before


def test_criteria_whose_indicators_all_are_missing_stop_validation(data_copy, params_copy):
    # Trøndelag has no NAV figures: a key built on unemployment alone cannot be computed (notebook 02 used to stop).
    text = params_copy.read_text(encoding="utf-8")
    start = text.index("\nkriterier:\n") + 1
    end = text.index("# For andre fylker")
    params_copy.write_text(text[:start] + "kriterier:\n  - id: ledighet\n    navn: Lav ledighet\n    indikator: ledighet\n"
                           "    vekt: 1.0\n\n" + text[end:], encoding="utf-8")
    (problem,) = _problems(params_copy, data_copy)
    assert "parameter «kriterier»" in problem and "Ingen av kriteriene har data" in problem


def test_minors_the_able_municipalities_cannot_take_stop_validation(data_copy, params_copy):
    _edit(params_copy, "enslige_mindreaarige: null", "enslige_mindreaarige: 1500")
    (problem,) = _problems(params_copy, data_copy)
    assert "parameter «enslige_mindreaarige»" in problem and "forventet et antall enslige mindreårige" in problem


def test_an_adjustment_above_the_stated_capacity_is_named_by_its_row(data_copy, params_copy):
    # Example answers cap the numbers only with bruk_eksempeldata; then Osen's stated capacity applies.
    _edit(params_copy, "bruk_eksempeldata: false", "bruk_eksempeldata: true")
    table = data_copy / "raw" / "justeringer" / "justeringer_2026.csv"
    table.parent.mkdir()
    table.write_text("kommunenummer,ny_verdi,endring,begrunnelse,besluttet_av\n5001,900,,Nytt mottak,Fylkesutvalget\n",
                     encoding="utf-8")
    with (data_copy / "raw" / "manifest.csv").open("a", encoding="utf-8") as f:
        f.write("justeringer/justeringer_2026.csv,ekte,Fylkesutvalget (test),MIT,2025-06-10,Fylkets justeringer.\n")
    _edit(params_copy, "  delingsvekter: reference/delingsvekter.csv\n\n",
          "  delingsvekter: reference/delingsvekter.csv\n  justeringer: justeringer/justeringer_2026.csv\n\n")
    # The example answers state 400 for Trondheim (5001); the adjustment sets 900.
    problems = _problems(params_copy, data_copy)
    assert any("justeringer_2026.csv, rad 2, kolonne «ny_verdi»" in p and "høyst kommunens oppgitte kapasitet 400" in p
               for p in problems), problems
