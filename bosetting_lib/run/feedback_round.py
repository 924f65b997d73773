"""The feedback round from the command line: one prefilled form per municipality in the county."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from bosetting_lib.sources.freshness import files_present, imdi_problems
from bosetting_lib.errors import ParameterError, Problem
from bosetting_lib.feedback.form import write_forms
from bosetting_lib.steps.ingest import read_all
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths, default_output_dir


def write_county_forms(
    year: int,
    *,
    params_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    deadline: dt.date | None = None,
    notice: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the year's forms, prefilled with each municipality's recent figures from IMDi's tables.

    The forms need no county total. When last year's IMDi table is missing, ``notice`` is told so (the forms then
    stop at the year before; see freshness.py).
    """

    params = load_params(params_file, year=year, allow_missing_total=True)
    deadline = deadline or params.tilbakemelding_frist
    if deadline is None:
        raise ParameterError(Problem(str(params.source), expected="en svarfrist (tilbakemelding.frist eller --frist)",
                                     found="mangler", column="tilbakemelding.frist"))
    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    if notice is not None:
        for problem in imdi_problems(params, files_present(params, data_paths)):
            notice(f"skjemaene viser ikke {year - 1}: {problem}")
    inputs = read_all(params, data_paths, include_feedback=False)
    target = Path(out_dir) if out_dir else default_output_dir() / str(year) / "skjema"
    target.mkdir(parents=True, exist_ok=True)
    return write_forms(
        inputs.municipalities[["kommunenummer", "kommune"]],
        inputs.settlement,
        year=year,
        county_name=params.fylke or params.fylkesnummer,
        deadline=deadline,
        out_dir=target,
        contact=params.tilbakemelding_kontakt,
    )
