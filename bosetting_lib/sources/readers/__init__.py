"""Readers for the raw source formats; each returns one tidy table on the analysed year's municipality structure.

The contract (columns, dtypes, metadata in ``attrs``) is in :mod:`bosetting_lib.sources.readers.tidy`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bosetting_lib.sources.readers.tidy import TIDY_COLUMNS, build_tidy, long_frame, translation_report
from bosetting_lib.sources.readers.imdi import read_imdi_table
from bosetting_lib.sources.readers.jsonstat import read_jsonstat
from bosetting_lib.sources.readers.statbank_csv import read_statbank_csv

__all__ = ["TIDY_COLUMNS", "build_tidy", "long_frame", "translation_report", "read_imdi_table", "read_jsonstat",
           "read_statbank_csv", "READER_KINDS", "read_raw_table"]

READER_KINDS = {
    "statbank_csv": read_statbank_csv,
    "ssb_csv": read_statbank_csv,
    "pxweb_csv": read_statbank_csv,
    "jsonstat": read_jsonstat,
    "ssb_json": read_jsonstat,
    "imdi": read_imdi_table,
}


def read_raw_table(path: str | Path, kind: str, **kwargs: Any) -> pd.DataFrame:
    """Read a raw file with the reader for ``kind`` (statbank_csv, jsonstat or imdi); keywords go to the reader."""
    if kind not in READER_KINDS:
        raise ValueError(f"Ukjent filtype «{kind}»; kjente typer: {', '.join(sorted(READER_KINDS))}.")
    return READER_KINDS[kind](path, **kwargs)
