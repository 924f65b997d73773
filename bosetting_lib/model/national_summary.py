"""The whole country at a glance: per county, per size band and per centrality class (pure aggregations)."""

from __future__ import annotations

import pandas as pd

SIZE_BANDS = [(0, 2_000, "under 2 000"), (2_000, 5_000, "2 000–4 999"), (5_000, 10_000, "5 000–9 999"),
              (10_000, 20_000, "10 000–19 999"), (20_000, 50_000, "20 000–49 999"), (50_000, 10**9, "50 000 og over")]


def county_summary(table: pd.DataFrame, year: int, minimum: int = 10) -> pd.DataFrame:
    """Per county: total, municipalities, how many asked for 0 or under the minimum, change from last year's request."""
    last = f"anmodet_{year - 1}"
    grouped = table.groupby(["fylkesnummer", "fylke"], sort=True)
    summary = grouped.agg(anbefaling=("anbefaling", "sum"), kommuner=("kommunenummer", "count"),
                          null=("anbefaling", lambda s: int((s == 0).sum())),
                          under_minstetall=("anbefaling", lambda s: int(((s > 0) & (s < minimum)).sum())),
                          herav_em=("herav_em", "sum")).reset_index()
    if last in table.columns:
        summary["anmodet_i_fjor"] = grouped[last].sum().to_numpy()
        summary["endring"] = summary["anbefaling"] - summary["anmodet_i_fjor"]
    return summary


def distribution(table: pd.DataFrame, by: pd.Series, label: str) -> pd.DataFrame:
    """Municipalities, recommendation and share asked for 0 per group (size band or centrality class)."""
    frame = table.assign(gruppe=by.to_numpy())
    out = frame.groupby("gruppe", sort=False).agg(kommuner=("kommunenummer", "count"), anbefaling=("anbefaling", "sum"),
                                                    folketall=("folketall", "sum"),
                                                    null=("anbefaling", lambda s: int((s == 0).sum()))).reset_index()
    out["per_1000"] = out["anbefaling"] / out["folketall"] * 1000
    return out.rename(columns={"gruppe": label})


def size_band(population: pd.Series) -> pd.Series:
    """The municipality's size band by population."""
    labels = pd.Series("", index=population.index, dtype="str")
    for low, high, text in SIZE_BANDS:
        labels[(population >= low) & (population < high)] = text
    return labels


def size_distribution(municipalities: pd.DataFrame) -> pd.DataFrame:
    """The recommendation by the municipalities' size band, smallest band first."""
    band = size_band(municipalities["folketall"].astype("float64"))
    by_size = distribution(municipalities, band, "storrelse")
    by_size["orden"] = by_size["storrelse"].map({t: i for i, (_, _, t) in enumerate(SIZE_BANDS)})
    return by_size.sort_values("orden")


def centrality_distribution(municipalities: pd.DataFrame, centrality: pd.Series | None) -> pd.DataFrame | None:
    """The recommendation by SSB's centrality class (None without the classes)."""
    if centrality is None:
        return None
    classes = municipalities["kommunenummer"].map(centrality).astype("Int64").astype(str).replace("<NA>", "ukjent")
    return distribution(municipalities, classes, "sentralitet").sort_values("sentralitet")
