"""The county's own inputs for the municipality information: read from the documented layouts, bad rows named."""

from __future__ import annotations

import pytest

from bosetting_lib.errors import InputError
from bosetting_lib.outputs.municipality_info import municipality_rows
from bosetting_lib.sources.readers.county_inputs import read_county_inputs, read_plan
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.sources.register import Register


@pytest.fixture
def municipalities():
    return Register.load(DataPaths().reference).municipalities(2026, county="50")


def test_bundled_templates_are_read_and_marked_as_example_data(data_copy, municipalities):
    params = load_params(year=2026)
    county = read_county_inputs(params, DataPaths(data_copy), municipalities)
    assert county.plan is not None and county.plan.eksempeldata and len(county.plan.hovedtiltak) == 3
    assert {"kvalifiseringsplan", "videregaende_tilbud", "fylkets_kunnskap"} <= county.example_keys
    rows = municipality_rows(municipalities[["kommunenummer", "kommune"]], None, county)
    assert len(rows) == len(municipalities)
    melhus = rows.set_index("kommunenummer").loc["5028"]
    assert "Eksempelskole Trondheim" in melhus["videregaende"], "an offer reaches the municipalities it serves"
    assert rows.set_index("kommunenummer").loc["5033", "videregaende"] == "ingen registrert"


def test_bad_rows_are_named_with_file_row_and_column(data_copy, municipalities):
    offers = data_copy / "raw" / "fylket" / "videregaende_tilbud.csv"
    text = offers.read_text(encoding="utf-8").replace("5021,5021;5022,", "5021,5021;9999,").replace(",ja,", ",kanskje,", 1)
    offers.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_county_inputs(load_params(year=2026), DataPaths(data_copy), municipalities)
    message = str(error.value)
    assert "videregaende_tilbud.csv, rad 2, kolonne «tilpasset_yrkesopplaering»" in message and "kanskje" in message
    assert "videregaende_tilbud.csv, rad 5, kolonne «dekker»" in message and "9999" in message


def test_plan_without_title_or_with_a_bad_date_is_refused(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("dato: mars\nhovedtiltak: [Et tiltak]\nfarge: blå\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_plan(plan)
    message = str(error.value)
    assert "parameter «tittel»: forventet nøkkelen er påkrevd" in message
    assert "parameter «dato»: forventet en dato ÅÅÅÅ-MM-DD" in message and "farge" in message


def test_contact_details_are_scrubbed_from_the_county_notes(data_copy, municipalities):
    notes = data_copy / "raw" / "fylket" / "fylkets_kunnskap.csv"
    notes.write_text("kommunenummer,merknad\n5001,Ring Kari på 922 33 444 eller kari@trondheim.kommune.no\n", encoding="utf-8")
    county = read_county_inputs(load_params(year=2026), DataPaths(data_copy), municipalities)
    rows = municipality_rows(municipalities[["kommunenummer", "kommune"]], None, county)
    text = rows.set_index("kommunenummer").loc["5001", "fylkets_kunnskap"]
    assert "922" not in text and "@" not in text


def test_county_file_saved_from_excel_reads_the_same(tmp_path):
    """Windows-1252 with semicolons (Excel's «CSV» in Norway) gives the same table as the bundled UTF-8 file."""
    import csv
    import io

    from bosetting_lib.sources.readers.county_inputs import OFFER_COLUMNS, _read_csv

    bundled = PROJECT_ROOT / "data" / "raw" / "fylket" / "videregaende_tilbud.csv"
    rows = list(csv.reader(io.StringIO(bundled.read_text(encoding="utf-8-sig"))))
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    excel = tmp_path / "videregaende_tilbud.csv"
    excel.write_bytes(text.getvalue().encode("cp1252"))
    codes = {code for row in rows[1:] for code in [row[0], *row[1].split(";")] if code}
    assert _read_csv(excel, OFFER_COLUMNS, codes, "videregaende_tilbud").equals(
        _read_csv(bundled, OFFER_COLUMNS, codes, "videregaende_tilbud"))
