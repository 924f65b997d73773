"""The suppression rule for small counts of persons, shared by the report and the tables for IMDi."""

from __future__ import annotations

import pandas as pd

# Counts of settled persons from 1 to 4 are not published, so that small groups cannot be identified
# (IMDi's and SSB's rule; IMDi shows them as ":").
SUPPRESSION_THRESHOLD = 5


def is_small_count(values: pd.Series) -> pd.Series:
    """True where a count of persons is 1–4 and must be shown as ':'."""
    numbers = pd.to_numeric(values, errors="coerce")
    return (numbers.notna() & (numbers > 0) & (numbers < SUPPRESSION_THRESHOLD)).astype(bool)
