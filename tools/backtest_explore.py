"""Reproduce the walk-forward backtest research table (docs/backtest_research.md) from data/raw.

    PYTHONPATH=. .venv/bin/python tools/backtest_explore.py [--out DIR] [--data DIR] [--grid]

Prints the national table (every candidate and baseline, target years 2024 and 2025), the counties each candidate
wins against continuity, Trøndelag, and the 2025 result without the 2024 decisions (the one dating assumption worth
checking). Writes the full per-county table to DIR/backtest_research.csv when --out is given. --grid adds the
request-weight × recency grid and the single-criterion tilts (slow: about two minutes on two cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from bosetting_lib.model.anchor import AnchorSettings, Tilt
from bosetting_lib.model.walkforward import (
    BASELINES,
    CONTINUITY,
    NATIONAL,
    anchor_model,
    counties_won,
    predictions,
    share_model,
    summarise,
)
from bosetting_lib.run.backtest_data import load_catalogue

YEARS = (2024, 2025)


def tilt(criterion: str, strength: float, kind: str = "rank", direction: int = 1) -> Tilt:
    labels = {"folketall": "Folketall", "sentralitet": "Sentralitet", "fastlege": "Ledig fastlegekapasitet",
              "oppfylling": "Bosatt andel av vedtaket", "bosatte_per_1000": "Bosatte flyktninger per 1 000 innbyggere"}
    return Tilt(criterion, labels[criterion], criterion, strength, kind, direction)


# The default chosen by the research (see docs/backtest_research.md); kept here and in anchor.DEFAULT_SETTINGS.
def candidates(grid: bool) -> dict[str, AnchorSettings]:
    c = {
        "anker_0.5_siste_aar": AnchorSettings(request_weight=0.5, recency=0.0),
        "anker_0.5_eldre_0.5": AnchorSettings(request_weight=0.5, recency=0.5),
        "anker_+bosatte-0.05": AnchorSettings(recency=0.5, tilts=(tilt("bosatte_per_1000", 0.05, direction=-1),)),
        "anker_+folketall0.05": AnchorSettings(recency=0.5, tilts=(tilt("folketall", 0.05, "toward_population"),)),
        "anker_+oppfylling0.05": AnchorSettings(recency=0.5, tilts=(tilt("oppfylling", 0.05, "log_ratio"),)),
        "anker_+bosatte-0.05+folketall0.05": AnchorSettings(recency=0.5, tilts=(
            tilt("bosatte_per_1000", 0.05, direction=-1), tilt("folketall", 0.05, "toward_population"))),
        "anker_+sentralitet0.1": AnchorSettings(recency=0.5, tilts=(tilt("sentralitet", 0.1),)),
        "anker_-sentralitet0.1": AnchorSettings(recency=0.5, tilts=(tilt("sentralitet", 0.1, direction=-1),)),
        "anker_+oppfylling0.1_rang": AnchorSettings(recency=0.5, tilts=(tilt("oppfylling", 0.1),)),
        "anker_+fastlege0.1": AnchorSettings(recency=0.5, tilts=(tilt("fastlege", 0.1),)),
        "anker_+folketall0.2": AnchorSettings(recency=0.5, tilt_bound=0.2, tilts=(tilt("folketall", 0.2, "toward_population"),)),
        "anker_eldre_0.5_unntak5_brukt": AnchorSettings(recency=0.5, apply_proposed_exceptions=True),
    }
    if grid:
        for w in (0.25, 0.5, 0.75, 1.0):
            for r in (0.0, 0.25, 0.5, 0.75, 1.0):
                c[f"rutenett_anmodet{w:g}_eldre{r:g}"] = AnchorSettings(request_weight=w, recency=r)
        for criterion, kind in (("folketall", "toward_population"), ("sentralitet", "rank"), ("fastlege", "rank"),
                                ("oppfylling", "rank"), ("oppfylling", "log_ratio"), ("bosatte_per_1000", "rank")):
            for strength in (0.05, 0.1, 0.2):
                for direction in (1, -1):
                    sign = "+" if direction > 0 else "-"
                    c[f"enkelt_{criterion}_{kind}{sign}{strength:g}"] = AnchorSettings(
                        recency=0.5, tilt_bound=0.2, tilts=(tilt(criterion, strength, kind, direction),))
    return c


def national_view(table: pd.DataFrame) -> pd.DataFrame:
    nat = table.loc[table["fylkesnummer"] == NATIONAL]
    wide = nat.pivot(index="modell", columns="aar",
                     values=["mae", "median_ae", "rho", "innen_20", "null_riktig", "falske_positive", "enige_1_9"])
    wide.columns = [f"{m}_{y}" for m, y in wide.columns]
    trondelag = table.loc[table["fylkesnummer"] == "50"].pivot(index="modell", columns="aar", values="mae")
    wide["trondelag_mae_2025"] = trondelag[2025]
    models = [m for m in wide.index if m != CONTINUITY]
    won = pd.concat([counties_won(table, m) for m in models], ignore_index=True)
    for year in YEARS:
        wide[f"fylker_vunnet_{year}"] = won.loc[won["aar"] == year].set_index("modell")["vunnet"]
    cont = wide.loc[CONTINUITY]
    for year in YEARS:
        wide[f"mae_mot_kontinuitet_{year}"] = wide[f"mae_{year}"] / cont[f"mae_{year}"] - 1
    return wide


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args(argv)
    catalogue, munis = load_catalogue(args.data)
    models = {name: share_model(fn) for name, fn in BASELINES.items()}
    settings = candidates(args.grid)
    models.update({name: anchor_model(s) for name, s in settings.items()})
    table = summarise(predictions(catalogue, munis, YEARS, models))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_rows", 400)
    view = national_view(table)
    print("Hele landet (MAE, median, rho, innen ±20 %, nuller riktig, falske positive, enige 1–9):")
    print(view.round(3).to_string())
    default = "anker_+bosatte-0.05"
    print(f"\nPer fylke, MAE for {default} mot kontinuitet:")
    per = table.loc[table["modell"].isin([default, CONTINUITY, "kontinuitet_blandet"])]
    print(per.pivot(index=["fylkesnummer", "fylke"], columns=["aar", "modell"], values="mae").round(2).to_string())
    # What the assumption "the 2024 decisions were known in spring 2024" is worth.
    without = catalogue.without("vedtatt", 2024)
    check = summarise(predictions(without, munis, (2025,), {CONTINUITY: models[CONTINUITY], default: models[default]}))
    print("\n2025 uten vedtakene for 2024 (om de ikke var kjent våren 2024):")
    print(check.loc[check["fylkesnummer"] == NATIONAL, ["modell", "mae", "median_ae", "rho", "innen_20"]].round(3).to_string())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "backtest_research.csv", index=False, lineterminator="\n", float_format="%.6f")
        view.to_csv(args.out / "backtest_research_national.csv", lineterminator="\n", float_format="%.6f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
