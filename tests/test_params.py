from pathlib import Path

import pytest

from bosetting_lib.errors import ParameterError
from bosetting_lib.config.params import load_params


def test_bundled_2026_parameters_load():
    params = load_params(year=2026)
    assert params.fylkesnummer == "50"
    assert params.totalt == 1583
    assert params.minstetall == 10
    assert abs(sum(params.weights().values()) - 1) < 1e-9
    assert sorted(params.inndata_imdi) == [2022, 2024, 2025]


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _problem_columns(path: Path) -> list[str]:
    with pytest.raises(ParameterError) as info:
        load_params(path, year=2026)
    assert all(p.file == str(path) for p in info.value.problems)
    assert path.name in str(info.value)
    return [p.column for p in info.value.problems]


def test_unquoted_county_number_is_refused(params_copy):
    assert _problem_columns(_edit(params_copy, 'fylkesnummer: "50"', "fylkesnummer: 50")) == ["fylkesnummer"]


def test_unquoted_municipality_code_in_exceptions_is_refused(params_copy):
    # YAML reads 0301 as the integer 301 (or octal): codes must be quoted strings
    columns = _problem_columns(_edit(params_copy, "unntak: []", "unntak: [0301, \"5001\"]"))
    assert columns == ["unntak[0]"]


def test_three_digit_code_is_refused(params_copy):
    assert _problem_columns(_edit(params_copy, "unntak: []", 'unntak: ["501"]')) == ["unntak[0]"]


def test_unknown_key_is_refused(params_copy):
    assert _problem_columns(_edit(params_copy, "minstetall: 10", "minstetall: 10\nminimum: 10")) == ["minimum"]


def test_wrong_type_and_weights_not_summing_to_one(params_copy):
    _edit(params_copy, "totalt: 1583", "totalt: mange")
    _edit(params_copy, "vekt: 0.30", "vekt: 0.50")
    assert set(_problem_columns(params_copy)) == {"totalt", "kriterier"}


def test_unknown_rounding_method_and_negative_minimum(params_copy):
    _edit(params_copy, "avrunding: sainte-lague", "avrunding: hamilton")
    _edit(params_copy, "minstetall: 10", "minstetall: -1")
    assert set(_problem_columns(params_copy)) == {"avrunding", "minstetall"}


def test_year_in_file_must_match(params_copy):
    _edit(params_copy, "aar: 2026", "aar: 2025")
    assert _problem_columns(params_copy) == ["aar"]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="finnes ikke"):
        load_params(tmp_path / "2030.yaml")
