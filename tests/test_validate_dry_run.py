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


def test_a_criterion_without_data_is_left_out_and_validation_passes(data_copy, params_copy):
    # Trøndelag has no NAV figures: the anchor model leaves a criterion on unemployment out (it tilts no municipality),
    # as notebook 02 does, so validation must not stop on it either.
    _edit(params_copy, "      indikator: bosatte_per_1000_sist\n", "      indikator: ledighet\n")
    result = read_and_check(load_params(params_copy), DataPaths(data_copy))
    assert len(result.municipalities) == 38


def test_exceptions_that_leave_too_few_for_the_others_stop_validation(data_copy, params_copy):
    # 1 578 of 1 583 fixed for Trondheim leaves 5 persons, fewer than the minimum: the anchor model in notebook 03
    # would stop, so the dry run stops first (check_rules only sees that the exceptions fit inside the total).
    _edit(params_copy, "unntak: []", 'unntak: [{kommunenummer: "5001", antall: 1578, begrunnelse: "stort mottak"}]')
    (problem,) = _problems(params_copy, data_copy)
    assert "parameter «totalt»" in problem and "Etter unntakene er 5 personer igjen" in problem


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
