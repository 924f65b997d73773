"""Who sends the report, its date and how final it is: shown on the report's first screen and in the workbook.

The date never comes from the clock, so that the same inputs still give byte-identical outputs: it is
``rapport.dato`` from the parameter file when set (required for ``status: endelig``), otherwise the newest reference
date among the run's own input files, labelled as such.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from bosetting_lib.config.params import Params

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november",
          "desember")
STATUS_TEXT = {"utkast": "Utkast – ikke vedtatt", "endelig": "Endelig"}
# Counties whose municipality is also the county: the sender is the municipality.
COUNTY_MUNICIPALITIES = {"03": "Oslo kommune"}


def norwegian_date(day: dt.date) -> str:
    """2026-12-02 -> '2. desember 2026'."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class ReportMeta:
    sender: str
    date: dt.date | None
    date_label: str  # "Dato" or "Datagrunnlag per"
    status: str

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def date_text(self) -> str:
        return norwegian_date(self.date) if self.date else "ikke satt"

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs, for the first screen and the workbook."""
        return [("Avsender", self.sender), (self.date_label, self.date_text), ("Status", self.status_text)]


def sender(params: Params) -> str:
    """rapport.avsender, or «<fylke> fylkeskommune» (Oslo: «Oslo kommune»)."""
    if params.rapport_avsender:
        return params.rapport_avsender
    if params.fylkesnummer in COUNTY_MUNICIPALITIES:
        return COUNTY_MUNICIPALITIES[params.fylkesnummer]
    return f"{params.fylke or 'Fylke ' + params.fylkesnummer} fylkeskommune"


def report_meta(params: Params, used_sources: pd.DataFrame | None = None) -> ReportMeta:
    """The report's sender, date and status from the parameters (date: see the module docstring)."""
    if params.rapport_dato is not None:
        return ReportMeta(sender(params), params.rapport_dato, "Dato", params.rapport_status)
    newest = None
    if used_sources is not None and "referansedato" in used_sources.columns:
        dates = pd.to_datetime(used_sources["referansedato"], errors="coerce", format="%Y-%m-%d").dropna()
        newest = dates.max().date() if len(dates) else None
    return ReportMeta(sender(params), newest, "Datagrunnlag per", params.rapport_status)
