"""bosetting: the county's yearly recommendation for settling refugees, from raw data to report."""

__version__ = "0.1.0"
