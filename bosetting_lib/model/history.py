"""IMDi's history per municipality (request, decision, settled) as columns, and which year was 'last year'."""

from __future__ import annotations

import pandas as pd

HISTORY_VARIABLES = ("anmodet", "vedtatt", "bosatte")


def history_wide(settlement: pd.DataFrame) -> pd.DataFrame:
    """IMDi's history as columns like ``anmodet_2025``; suppressed cells keep their symbol in ``*_status`` columns."""
    rows = settlement.loc[settlement["variabel"].isin(HISTORY_VARIABLES)].copy()
    rows["kolonne"] = rows["variabel"] + "_" + rows["aar"].astype(str)
    values = rows.pivot(index="kommunenummer", columns="kolonne", values="verdi")
    status = rows.pivot(index="kommunenummer", columns="kolonne", values="status").add_suffix("_status")
    order = [f"{v}_{y}" for y in sorted(rows["aar"].unique()) for v in HISTORY_VARIABLES if f"{v}_{y}" in values.columns]
    return values[order].join(status[[f"{c}_status" for c in order]])


def history_years(columns, variable: str = "anmodet", before: int | None = None) -> list[int]:
    """The years a wide table has a column ``<variable>_<year>`` for, oldest first (only years before ``before``)."""
    years = sorted(int(c.split("_")[1]) for c in columns
                   if c.startswith(f"{variable}_") and not c.endswith("_status") and c.split("_")[1].isdigit())
    return [y for y in years if before is None or y < before]


def last_request_column(columns, year: int) -> str | None:
    """The column of the latest request before ``year`` (e.g. ``anmodet_2025`` for 2026), or None without history."""
    years = history_years(columns, "anmodet", before=year)
    return f"anmodet_{years[-1]}" if years else None
