from pathlib import Path

import pytest

from bosetting_lib.errors import ParameterError
from bosetting_lib.config.params import load_params


def test_bundled_2026_parameters_load():
    params = load_params(year=2026)
    assert params.fylkesnummer == "50"
    assert params.totalt == 1583
    assert params.minstetall == 10
    assert params.strengths() == {"spredning": 0.05}
    assert sorted(params.inndata_imdi) == [2022, 2024, 2025]


def test_bundled_model_parameters_are_the_backtested_default():
    from bosetting_lib.model.anchor import DEFAULT_SETTINGS, settings_from_params

    for year in (2025, 2026):
        assert settings_from_params(load_params(year=year)) == DEFAULT_SETTINGS
    assert load_params(year=2026).tilbakemelding_steg == 0.2


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
    columns = _problem_columns(_edit(params_copy, "unntak: []", "unntak: [{kommunenummer: 0301, antall: 5, begrunnelse: x}]"))
    assert columns == ["unntak[0].kommunenummer"]


def test_three_digit_code_is_refused(params_copy):
    edited = _edit(params_copy, "unntak: []", 'unntak: [{kommunenummer: "501", antall: 5, begrunnelse: x}]')
    assert _problem_columns(edited) == ["unntak[0].kommunenummer"]


def test_an_exception_with_number_and_reason_is_read(params_copy):
    _edit(params_copy, "unntak: []", 'unntak:\n  - {kommunenummer: "5025", antall: 5, begrunnelse: "Liten kommune, tolk i nabokommunen"}')
    params = load_params(params_copy, year=2026)
    assert params.unntak_koder == ("5025",)
    assert (params.unntak[0].antall, params.unntak[0].begrunnelse) == (5, "Liten kommune, tolk i nabokommunen")


def test_the_old_bare_code_list_is_refused_with_the_new_form(params_copy):
    _edit(params_copy, "unntak: []", 'unntak: ["5001"]')
    (problem,) = _problems(params_copy)
    assert "parameter «unntak[0]»" in problem
    assert "kommunenummer, antall og begrunnelse" in problem and "den gamle formen" in problem


@pytest.mark.parametrize(("item", "column"), [
    ('{kommunenummer: "5001", antall: 5}', "unntak[0].begrunnelse"),
    ('{kommunenummer: "5001", antall: 5, begrunnelse: " "}', "unntak[0].begrunnelse"),
    ('{kommunenummer: "5001", antall: -1, begrunnelse: x}', "unntak[0].antall"),
    ('{kommunenummer: "5001", antall: 5, grunn: x, begrunnelse: x}', "unntak[0].grunn"),
])
def test_an_exception_needs_a_count_and_a_reason(params_copy, item, column):
    assert _problem_columns(_edit(params_copy, "unntak: []", f"unntak: [{item}]")) == [column]


def test_the_old_weighted_key_is_refused_with_the_new_form(params_copy):
    text = params_copy.read_text(encoding="utf-8")
    params_copy.write_text(text + "kriterier:\n  - {id: befolkning, navn: Befolkning, indikator: folketall, vekt: 1.0}\n",
                           encoding="utf-8")
    (problem,) = _problems(params_copy)
    assert "parameter «kriterier»" in problem and "modell.kriterier" in problem and "erstattet" in problem


@pytest.mark.parametrize(("old", "new", "column"), [
    ("      styrke: 0.05", "      styrke: 0.8", "modell.kriterier[0].styrke"),
    ("      retning: færre", "      retning: ned", "modell.kriterier[0].retning"),
    ("      maate: rang", "      maate: median", "modell.kriterier[0].maate"),
    ("      tjener: Bosettingen skal være styrt og spredt", "      tjener: Noe departementet ikke har sagt",
     "modell.kriterier[0].tjener"),
    ("  anmodet_vekt: 0.5 ", "  anmodet_vekt: 1.5 ", "modell.anmodet_vekt"),
    ("  samlet_tak: 0.15 ", "  samlet_tak: 0.9 ", "modell.samlet_tak"),
    ("  nullregel: anmodet_null ", "  nullregel: alltid ", "modell.nullregel"),
    ("  steg: 0.2 ", "  steg: 0.9 ", "tilbakemelding.steg"),
])
def test_model_settings_are_checked(params_copy, old, new, column):
    assert _problem_columns(_edit(params_copy, old, new)) == [column]


def test_a_criterion_must_name_the_national_criterion_it_serves(params_copy):
    _edit(params_copy, "      tjener: Bosettingen skal være styrt og spredt\n", "")
    (problem,) = _problems(params_copy)
    assert "parameter «modell.kriterier[0].tjener»" in problem and "påkrevd" in problem


def test_the_old_dirichlet_concentration_is_refused_with_the_new_name(params_copy):
    _edit(params_copy, "  spenn: 0.5 ", "  konsentrasjon: 50 ")
    (problem,) = _problems(params_copy)
    assert "usikkerhet.konsentrasjon" in problem and "usikkerhet.spenn" in problem


def test_unknown_key_is_refused(params_copy):
    assert _problem_columns(_edit(params_copy, "minstetall: 10", "minstetall: 10\nminimum: 10")) == ["minimum"]


def test_wrong_type_and_a_negative_strength(params_copy):
    _edit(params_copy, "totalt: 1583", "totalt: mange")
    _edit(params_copy, "styrke: 0.05", "styrke: -0.05")
    assert set(_problem_columns(params_copy)) == {"totalt", "modell.kriterier[0].styrke"}


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


def test_a_year_without_a_parameter_file_says_how_to_make_one():
    with pytest.raises(ParameterError, match="finnes ikke") as info:
        load_params(year=2099)
    assert "bosetting nytt-aar 2099" in str(info.value)


# --- strict parameters (issue 15) ------------------------------------------------------------------------------


def _problems(path: Path) -> list[str]:
    with pytest.raises(ParameterError) as info:
        load_params(path, year=2026)
    return [str(p) for p in info.value.problems]


def test_duplicate_top_level_key_is_refused_with_both_lines(params_copy):
    _edit(params_copy, "minstetall: 10 ", "totalt: 1200\nminstetall: 10 ")
    text = params_copy.read_text(encoding="utf-8").splitlines()
    first, second = [i + 1 for i, line in enumerate(text) if line.startswith("totalt:")]
    (problem,) = _problems(params_copy)
    assert problem.startswith(f"{params_copy.name}, rad {second}, parameter «totalt»: forventet hver parameter bare én gang")
    assert f"fant ««totalt» på linje {first} og linje {second}»" in problem


@pytest.mark.parametrize(("old", "new", "name"), [
    ("  trekk: 10000\n", "  trekk: 10000\n  trekk: 500\n", "usikkerhet.trekk"),
    ("  frist: 2025-05-14 ", "  frist: 2025-06-01\n  frist: 2025-05-14 ", "tilbakemelding.frist"),
    ("      styrke: 0.05\n", "      styrke: 0.05\n      styrke: 0.10\n", "modell.kriterier[0].styrke"),
])
def test_duplicate_key_at_any_depth_is_refused(params_copy, old, new, name):
    _edit(params_copy, old, new)
    problems = _problems(params_copy)
    assert len(problems) == 1 and f"parameter «{name}»" in problems[0] and "bare én gang" in problems[0]


def test_same_key_in_different_groups_is_fine(params_copy):
    # every criterion and every exception has its own «id»; only a repeat inside one group is a mistake
    assert load_params(params_copy, year=2026).totalt == 1583


@pytest.mark.parametrize(("old", "new", "line_of", "expected"), [
    ("  trekk: 10000", "\ttrekk: 10000", "\ttrekk: 10000", "mellomrom til innrykk, ikke tabulator"),
    ("fylke: Trøndelag", "fylke: Trøndelag beskrivelse: x", "fylke: Trøndelag beskrivelse: x", "et kolon bare etter"),
    ('fylkesnummer: "50"', 'fylkesnummer: "50', 'fylkesnummer: "50', "et avsluttende anførselstegn"),
    ("scenarier: [1000, 1583, 2500]", "scenarier: [1000, 1583, 2500", "scenarier: [1000, 1583, 2500", "] til slutt"),
])
def test_yaml_syntax_error_names_line_and_column_in_norwegian(params_copy, old, new, line_of, expected):
    _edit(params_copy, old, new)
    line = next(i + 1 for i, text in enumerate(params_copy.read_text(encoding="utf-8").splitlines())
                if text.startswith(line_of))
    (problem,) = _problems(params_copy)
    assert problem.startswith(f"{params_copy.name}, rad {line}: forventet gyldig YAML (linje {line}, kolonne ")
    assert expected in problem
    assert f"fant «{line_of.strip()}" in problem


@pytest.mark.parametrize(("old", "new", "column", "suggestion"), [
    ("indikator: bosatte_per_1000_sist", "indikator: bosatte_per_1000_sit", "modell.kriterier[0].indikator",
     "bosatte_per_1000_sist"),
    ("indikator: bosatte_per_1000_sist", "indikator: folketal", "modell.kriterier[0].indikator", "folketall"),
    ("indikator: bosatte_per_1000_sist", "indikator: arbeidsledighet", "modell.kriterier[0].indikator", "ledighet"),
])
def test_unknown_indicator_or_basis_is_refused_with_a_suggestion(params_copy, old, new, column, suggestion):
    _edit(params_copy, old, new)
    (problem,) = _problems(params_copy)
    assert f"parameter «{column}»: forventet en kjent indikator (" in problem
    assert f"mente du «{suggestion}»?" in problem


def test_known_indicator_list_matches_the_indicators():
    from bosetting_lib.model.indicators import INDICATORS
    from bosetting_lib.config.params import KNOWN_INDICATORS

    assert list(KNOWN_INDICATORS) == list(INDICATORS)


# --- the county's name against the register (bosetting_lib/sources/county_check.py) -----------------------------------


@pytest.fixture(scope="module")
def register():
    from bosetting_lib.config.paths import PROJECT_ROOT
    from bosetting_lib.sources.register import Register

    return Register.load(PROJECT_ROOT / "data" / "raw" / "reference")


@pytest.mark.parametrize("name", ["Trøndelag", "Trøndelag - Trööndelage", "Trööndelage", "trøndelag"])
def test_county_name_in_any_official_form_matches_its_number(params_copy, register, name):
    from bosetting_lib.sources.county_check import check_county_against_register

    _edit(params_copy, "fylke: Trøndelag", f"fylke: {name}")
    assert check_county_against_register(load_params(params_copy, year=2026), register) == []


def test_county_name_contradicting_the_number_is_refused(params_copy, register):
    from bosetting_lib.sources.county_check import check_county_against_register

    _edit(params_copy, "fylke: Trøndelag", "fylke: Nordland")
    (problem,) = check_county_against_register(load_params(params_copy, year=2026), register)
    assert problem.column == "fylke"
    assert ("fylkesnummer «50» er Trøndelag, mens «Nordland» er fylkesnummer «18». Rett det av de to som er feil"
            in str(problem))


def test_unknown_county_name_and_number_are_refused_with_a_suggestion(params_copy, register):
    from bosetting_lib.sources.county_check import check_county_against_register

    _edit(params_copy, "fylke: Trøndelag", "fylke: Trondelag")
    _edit(params_copy, 'fylkesnummer: "50"', 'fylkesnummer: "16"')  # Sør-Trøndelag, before 2018
    problems = check_county_against_register(load_params(params_copy, year=2026), register)
    assert [p.column for p in problems] == ["fylkesnummer", "fylke"]
    assert "et fylkesnummer som finnes i 2026" in str(problems[0]) and "50 Trøndelag" in str(problems[0])
    assert "mente du «Trøndelag»?" in str(problems[1])
