"""``bosetting etterprov``: the walk-forward backtest of the anchor model beside the simple baselines, as a table
for the terminal and as BACKTEST.md. Every target year is made only from what was known the spring before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bosetting_lib.formatting import format_decimal, format_percent
from bosetting_lib.model.anchor import DEFAULT_SETTINGS
from bosetting_lib.model.walkforward import CONTINUITY, NATIONAL, anchor_model, backtest_table, counties_won
from bosetting_lib.run.backtest_data import load_catalogue

YEARS = (2024, 2025)
MODEL = "modell"
NOTES = {2024: "2024 er laget av 2022-tallene alene (IMDis tabell for 2023 finnes ikke): et sprang på to år.",
         2025: "2025 er laget av det som var kjent våren 2024: IMDis tabeller for 2022 og 2024 (anmodet og vedtatt), "
               "folketallet 1. januar 2024."}


def run_backtest(data_dir: Path | str | None = None, years=YEARS) -> pd.DataFrame:
    """The full table: the default anchor model and every baseline, per county and for the whole country."""
    catalogue, municipalities = load_catalogue(data_dir)
    return backtest_table(catalogue, municipalities, years, {MODEL: anchor_model(DEFAULT_SETTINGS)})


def national_lines(table: pd.DataFrame) -> list[str]:
    """A Markdown table per year for the whole country: the model and each baseline, best MAE first."""
    lines = []
    for year, part in table.loc[table["fylkesnummer"] == NATIONAL].groupby("aar", sort=True):
        lines += [f"### {year}", "", NOTES.get(int(year), ""), "",
                  "| modell | MAE | median | Spearman ρ | innen ±20 % |", "|---|---:|---:|---:|---:|"]
        for row in part.sort_values("mae", kind="stable").itertuples():
            lines.append(f"| {row.modell} | {format_decimal(row.mae, 2)} | {format_decimal(row.median_ae, 1)} | "
                         f"{format_decimal(row.rho, 3)} | {format_percent(row.innen_20, 0)} |")
        lines.append("")
    won = counties_won(table, MODEL, CONTINUITY)
    lines += ["Fylker der modellen har lavere MAE enn kontinuitet (siste anmodning skalert):", ""]
    lines += [f"- {r.aar}: vunnet {r.vunnet}, likt {r.likt}, tapt {r.tapt}" for r in won.itertuples()]
    return lines


def write_backtest_markdown(table: pd.DataFrame, path: Path) -> None:
    text = ["# Etterprøving (laget av `bosetting etterprov`)", "",
            "Modellen er ankermodellen i `bosetting_lib/model/anchor.py` med standardinnstillingene (de samme som "
            "`modell` i `params/2026.yaml`, som anbefalingen bruker); de andre radene er "
            "enkle referanser fordelt med samme avrundingsregel. Lavere MAE (personer per kommune) er bedre. "
            "Forskningsnotatet med alle kandidater er `docs/backtest_research.md`.", "", *national_lines(table), ""]
    path.write_text("\n".join(text), encoding="utf-8")
