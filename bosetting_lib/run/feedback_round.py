"""The feedback round from the command line: one prefilled form per municipality in the county."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths, default_output_dir
from bosetting_lib.errors import BosettingError, ParameterError, Problem
from bosetting_lib.feedback.form import write_forms
from bosetting_lib.run.counties import resolve_county_params
from bosetting_lib.sources.freshness import files_present, imdi_problems
from bosetting_lib.steps.ingest import read_all
from bosetting_lib.outputs.report_meta import norwegian_date

# Addresses on the reserved example domains (example.no, example.com …) reach nobody.
_EXAMPLE_ADDRESS = re.compile(r"@(?:[\w-]+\.)*example\.[a-z]+\b", re.IGNORECASE)
TEST_NOTE = "PRØVE – skal ikke sendes ut"


class FormRefused(BosettingError):
    """The forms would go out with a deadline in the past or an address nobody reads."""


def check_sendable(deadline: dt.date, contact: str | None, params_file: Path, today: dt.date) -> None:
    """Refuse a deadline before today and a missing or example.* return address, saying what to set."""
    problems = []
    if deadline < today:
        problems.append(f"Svarfristen {norwegian_date(deadline)} er passert (i dag er {norwegian_date(today)}). "
                        f"Sett tilbakemelding.frist i {params_file.name} til en dato fram i tid, eller gi --frist ÅÅÅÅ-MM-DD.")
    if not contact or not contact.strip():
        problems.append(f"Skjemaet sier ikke hvor det skal sendes. Sett tilbakemelding.kontakt i {params_file.name} "
                        "til fylkeskommunens adresse for svarene.")
    elif _EXAMPLE_ADDRESS.search(contact):
        problems.append(f"Svaradressen «{contact}» er en eksempeladresse som ingen leser. Sett tilbakemelding.kontakt i "
                        f"{params_file.name} til fylkeskommunens adresse for svarene.")
    if problems:
        raise FormRefused("Skjemaene er ikke laget:\n" + "\n".join(f"  - {p}" for p in problems)
                          + "\nEr dette bare en prøve, kan du kjøre med --proeve; skjemaene merkes da «" + TEST_NOTE + "».")


def write_county_forms(
    year: int,
    *,
    params_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    deadline: dt.date | None = None,
    county: str | None = None,
    test_run: bool = False,
    today: dt.date | None = None,
    notice: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the year's forms, prefilled with each municipality's recent figures from IMDi's tables.

    The deadline and return address come from the parameters (``tilbakemelding.frist``, ``tilbakemelding.kontakt``);
    a deadline before ``today`` (the clock) or an example.* address is refused unless ``test_run``, which marks
    every form as a test. ``county`` makes the forms for another county, as ``kjor --fylke`` does. The forms need no
    county total. When last year's IMDi table is missing, ``notice`` is told so (the forms then stop at the year
    before; see freshness.py).
    """
    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    if county is None:
        params = load_params(params_file, year=year, allow_missing_total=True)
        target = Path(out_dir) if out_dir else default_output_dir() / str(year) / "skjema"
        return _write(params, data_paths, target, deadline, test_run, today, notice)
    with tempfile.TemporaryDirectory(prefix="bosetting-skjema-") as workdir:
        params = resolve_county_params(year, county, params_file, data_paths, Path(workdir))
        target = Path(out_dir) if out_dir else default_output_dir() / str(year) / params.fylkesnummer / "skjema"
        return _write(params, data_paths, target, deadline, test_run, today, notice)


def _write(params, data_paths: DataPaths, target: Path, deadline: dt.date | None, test_run: bool,
           today: dt.date | None, notice: Callable[[str], None] | None = None) -> list[Path]:
    deadline = deadline or params.tilbakemelding_frist
    if deadline is None:
        raise ParameterError(Problem(str(params.source), expected="en svarfrist (tilbakemelding.frist eller --frist)",
                                     found="mangler", column="tilbakemelding.frist"))
    if notice is not None:
        for problem in imdi_problems(params, files_present(params, data_paths)):
            notice(f"skjemaene viser ikke {params.aar - 1}: {problem}")
    if not test_run:
        check_sendable(deadline, params.tilbakemelding_kontakt, Path(params.source), today or dt.date.today())
    inputs = read_all(params, data_paths, include_feedback=False)
    target.mkdir(parents=True, exist_ok=True)
    return write_forms(
        inputs.municipalities[["kommunenummer", "kommune"]],
        inputs.settlement,
        year=params.aar,
        county_name=params.fylke or params.fylkesnummer,
        deadline=deadline,
        out_dir=target,
        contact=params.tilbakemelding_kontakt,
        note=TEST_NOTE if test_run else None,
    )
