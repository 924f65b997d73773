"""Plausibility of the figures that steer (sources/plausibility.py), the godta_avvik override and its report block."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.errors import InputError, ParameterError
from bosetting_lib.sources import plausibility as pl
from bosetting_lib.steps.ingest import read_all


def tidy(rows, *, cells=None, **attrs) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["kommunenummer", "kommune", "aar", "variabel", "verdi"])
    frame["status"] = pd.Series([pd.NA] * len(frame), dtype="str")
    frame["verdi"] = frame["verdi"].astype("Float64")
    frame.attrs = {"value_cells": tuple(cells or ()), **attrs}
    return frame


def population(values: dict[str, list[float]], years=(2023, 2024, 2025)) -> pd.DataFrame:
    return tidy([(code, f"K{code}", y, "folketall", v) for code, vs in values.items() for y, v in zip(years, vs)])


def test_a_stock_that_jumps_or_collapses_is_refused_and_real_growth_is_not():
    pop = population({"5001": [210000, 212000, 214000], "5033": [790, 786000, 780], "5061": [1958, 1937, 1935]})
    found = pl.check_years(pop, file="f.csv")
    assert [(d.code, d.year) for d in found] == [("5033", 2024)]
    assert "ganger så mye" in found[0].why[0]
    pop = population({"5061": [1958, 19, 1935], "5001": [1, 2, 3]})
    assert [(d.code, d.year) for d in pl.check_years(pop, file="f.csv")] == [("5061", 2024)]


def test_flows_may_swing_but_not_by_a_factor_ten_and_a_hundred_persons():
    rows = [("5001", "Trondheim", y, "vedtatt", v) for y, v in ((2022, 1000), (2024, 520), (2025, 99999))]
    rows += [("3120", "Rakkestad", y, "vedtatt", v) for y, v in ((2022, 55), (2025, 5))]  # real: 2022 was Ukraine
    found = pl.check_years(tidy(rows), file="imdi.csv")
    assert [(d.code, d.year, d.value) for d in found] == [("5001", 2025, 99999.0)]


def test_more_persons_than_ten_percent_of_the_inhabitants_and_fifty_is_refused():
    pop = population({"1151": [190, 188, 190], "5033": [790, 786, 780]})
    rows = [("1151", "Utsira", 2022, "anmodet", 30), ("5033", "Tydal", 2025, "vedtatt", 470),
            ("5033", "Tydal", 2024, "vedtatt", 50)]
    found = pl.check_size(tidy(rows), pop, file="imdi.csv")
    assert [(d.code, d.year) for d in found] == [("5033", 2025)]
    assert "10 % av kommunens 780 innbyggere (2025)" in found[0].why[0]


def test_a_count_with_a_point_as_thousands_separator_is_refused_with_the_reading_it_probably_meant():
    frame = tidy([("5001", "Trondheim", 2025, "folketall", 216.518)],
                 cells=[("5001", 2025, "folketall", 7, "verdi", 216.518)])
    (found,) = pl.check_values(frame, file="f.csv")
    assert found.row == 7 and found.column == "verdi"
    assert "tusenskilletegn" in found.why[0] and "216\u00a0518" not in found.why[0] and "216 518" in found.why[0]
    problem = str(found.problem())
    assert "f.csv, rad 7, kolonne «verdi»: forventet et troverdig tall for 5001 Trondheim" in problem


def test_ranges_and_infinite_values():
    frame = tidy([("5001", "T", 2024, "sentralitetsklasse", 7), ("5006", "S", 2024, "sentralitetsklasse", 2.5),
                  ("5007", "N", 2024, "sentralitetsklasse", 4), ("5001", "T", 2024, "innvandrerandel", 101),
                  ("5006", "S", 2024, "lege_reservekapasitet", float("inf"))])
    found = {(d.code, d.variable) for d in pl.check_values(frame, file="f.csv")}
    assert found == {("5001", "sentralitetsklasse"), ("5006", "sentralitetsklasse"), ("5001", "innvandrerandel"),
                     ("5006", "lege_reservekapasitet")}


def test_a_split_municipalitys_fractional_part_is_not_the_files_fault():
    # Ålesund's 2022 figures are split on Ålesund and Haram by population: the parts are not whole, and no cell holds them.
    frame = tidy([("1508", "Ålesund", 2022, "anmodet", 88.6)], cells=[("1507", 2022, "anmodet", 3, "anmodet", 100.0)])
    assert pl.check_values(frame, file="f.html") == []


def test_one_typed_figure_that_swamps_the_county_is_refused():
    rows = []
    for year, big in ((2022, 300), (2024, 250), (2025, 5000)):
        rows += [("5001", "Trondheim", year, "anmodet", big)] + [(f"50{i:02d}", "x", year, "anmodet", 40) for i in range(2, 12)]
    found = pl.check_county_share(tidy(rows), file="imdi.csv")
    assert [(d.code, d.year) for d in found] == [("5001", 2025)]
    assert "andel av fylkets sum" in found[0].why[0]


def test_a_file_cut_inside_its_last_number_is_refused_only_when_it_has_no_final_newline():
    last = ("5061", 2025, "folketall", 19.0, 2226, "verdi", ((2024, 1958.0), (2023, 1970.0)))
    frame = tidy([("5061", "Rindal", 2025, "folketall", 19)], final_newline=False, last_cell=last)
    (found,) = pl.check_truncation(frame, file="07459.csv")
    assert found.row == 2226 and "avkortet" in found.why[0] and "last ned" in found.hint
    frame.attrs["final_newline"] = True
    assert pl.check_truncation(frame, file="07459.csv") == []
    # IMDi's tables hold one year each: the year before comes from the other tables
    last = ("5001", 2025, "herav_kollektiv_beskyttelse", 2.0, 39, "kolonne", ())
    frame = tidy([("5001", "Trondheim", 2025, "herav_kollektiv_beskyttelse", 2)], final_newline=False, last_cell=last)
    others = tidy([("5001", "Trondheim", 2024, "herav_kollektiv_beskyttelse", 287)])
    assert len(pl.check_truncation(frame, file="imdi.csv", others=others)) == 1


def test_an_override_accepts_exactly_the_cell_it_names_and_says_why():
    deviation = pl.Deviation("/x/imdi/nokkeltall_bosetting_2025_trondelag.csv", "5001", "Trondheim", 2025, "vedtatt",
                             99999.0, ("for høyt",), 2, "Antall personer kommunen har vedtatt å bosette:")
    right = pl.Override("imdi/nokkeltall_bosetting_2025_trondelag.csv", "5001", "vedtak i bystyret 12. mars",
                        kolonne="vedtatt", aar=2025)
    assert right.matches(deviation)
    assert pl.Override("nokkeltall_bosetting_2025_trondelag.csv", "5001", "x y",
                       kolonne="Antall personer kommunen har vedtatt å bosette:").matches(deviation)
    for wrong in (pl.Override("annen.csv", "5001", "x y", aar=2025), pl.Override(right.fil, "5006", "x y", aar=2025),
                  pl.Override(right.fil, "5001", "x y", aar=2024), pl.Override(right.fil, "5001", "x y", kolonne="anmodet")):
        assert not wrong.matches(deviation)
    problems, accepted = pl.apply_overrides([deviation], [right])
    assert problems == [] and accepted[0]["begrunnelse"] == "vedtak i bystyret 12. mars"


def _with_overrides(params_copy: Path, text: str) -> Path:
    params_copy.write_text(params_copy.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return params_copy


def test_godta_avvik_is_checked_when_the_parameters_are_loaded(params_copy):
    _with_overrides(params_copy, "godta_avvik:\n  - fil: imdi/x.csv\n    kommunenummer: 5001\n    begrunnelse: ja\n"
                                 "  - kommunenummer: \"5001\"\n    aar: 2025\n    hvorfor: skrivefeil\n")
    with pytest.raises(ParameterError) as caught:
        load_params(params_copy)
    text = str(caught.value)
    for needle in ("parameter «godta_avvik[0].kommunenummer»", "parameter «godta_avvik[0].begrunnelse»",
                   "parameter «godta_avvik[0]»: forventet kolonne", "parameter «godta_avvik[1].hvorfor»",
                   "parameter «godta_avvik[1].fil»: forventet parameteren er påkrevd"):
        assert needle in text, text


def test_a_typed_decision_is_refused_and_accepted_by_an_override_that_the_processed_data_records(data_copy, params_copy, tmp_path):
    imdi = data_copy / "raw" / "imdi" / "nokkeltall_bosetting_2025_trondelag.csv"
    imdi.write_bytes(imdi.read_bytes().replace(b"Trondheim;355;470;", b"Trondheim;355;99999;"))
    with pytest.raises(InputError, match="99 999"):
        read_all(load_params(params_copy), DataPaths(data_copy))
    _with_overrides(params_copy, "godta_avvik:\n  - fil: imdi/nokkeltall_bosetting_2025_trondelag.csv\n"
                                 "    kommunenummer: \"5001\"\n    kolonne: vedtatt\n    aar: 2025\n"
                                 "    begrunnelse: Bystyret vedtok dette tallet; se sak 12/25\n")
    result = read_all(load_params(params_copy), DataPaths(data_copy))
    (accepted,) = result.accepted_deviations
    assert accepted["kommunenummer"] == "5001" and accepted["verdi"] == "99 999"
    assert accepted["begrunnelse"].startswith("Bystyret")

    from bosetting_lib.outputs.report import accepted_deviations
    from bosetting_lib.steps.ingest import write_ingest

    folder = tmp_path / "processed"
    folder.mkdir()
    write_ingest(result, folder)
    assert json.loads((folder / "innlesing.json").read_text(encoding="utf-8"))["godtatte_avvik"] == [accepted]
    html = accepted_deviations(SimpleNamespace(run=SimpleNamespace(processed_dir=folder)))
    assert "Godtatt fordi:" in html and "Bystyret vedtok dette tallet; se sak 12/25" in html and "5001 Trondheim" in html
    empty = tmp_path / "empty"
    empty.mkdir()
    assert accepted_deviations(SimpleNamespace(run=SimpleNamespace(processed_dir=empty))) == ""
