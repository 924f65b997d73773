"""The whole country: every county's run (in parallel where cores allow) and a national overview."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bosetting_lib.errors import BosettingError
from bosetting_lib.model.national_summary import centrality_distribution, county_summary, size_distribution
from bosetting_lib.outputs.national_overview import overview_html
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths, default_output_dir
from bosetting_lib.model.backtest import mean_absolute_deviation, rank_correlation, scale_to
from bosetting_lib.outputs.export import whole_or_decimal
from bosetting_lib.outputs.national_workbook import write_national_workbook
from bosetting_lib.run.pipeline import run_pipeline
from bosetting_lib.steps.tables import has_table, read_table
from bosetting_lib.sources.register import Register

NATIONAL_FOLDER = "nasjonalt"


@dataclass
class NationalResult:
    """Which counties succeeded, which failed (with the reason), and where the national outputs are."""

    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    national_dir: Path | None = None


def _run_county(year: int, county: str, params_file: str | None, data_dir: str | None, out_dir: str, timeout: int) -> tuple[str, float]:
    """Worker: one county's full run (in its own process, so a crash cannot take the others down)."""
    start = time.perf_counter()
    run_pipeline(year, county=county, params_file=params_file, data_dir=data_dir, out_dir=out_dir,
                 progress=lambda _: None, timeout=timeout)
    return county, time.perf_counter() - start


def run_all_counties(
    year: int,
    *,
    params_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    counties: list[str] | None = None,
    workers: int | None = None,
    timeout: int = 600,
    progress: Callable[[str], None] = print,
) -> NationalResult:
    """Run every county (or the given ones); a failing county is reported and the others go on."""
    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    out_root = Path(out_dir).resolve() if out_dir else default_output_dir()
    base = load_params(params_file, year=year)
    register = Register.load(data_paths.raw / base.inndata_register)
    names = register.counties(year).set_index("fylkesnummer")["fylke"].to_dict()
    wanted = counties or list(names)
    # One more process than cores: a county's run waits for kernels to start for part of its time.
    workers = workers or max(1, min(len(wanted), (os.cpu_count() or 1) + 1))
    result = NationalResult()
    progress(f"Kjører {len(wanted)} fylker for {year} med {workers} prosesser samtidig …")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_county, year, c, str(params_file) if params_file else None,
                               str(data_paths.data_dir), str(out_root), timeout): c for c in wanted}
        for done, future in enumerate(as_completed(futures), start=1):
            county = futures[future]
            label = f"{county} {names.get(county, '')}".strip()
            try:
                _, seconds = future.result()
            except BosettingError as exc:
                result.failed[county] = str(exc)
                progress(f"[{done}/{len(wanted)}] {label}: FEILET – {str(exc).splitlines()[0]}")
                continue
            except Exception as exc:  # noqa: BLE001 - one county's bug must not stop the others
                result.failed[county] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                progress(f"[{done}/{len(wanted)}] {label}: FEILET – {result.failed[county]}")
                continue
            result.succeeded.append(county)
            progress(f"[{done}/{len(wanted)}] {label}: ferdig ({seconds:.0f} s)")
    result.succeeded.sort()
    if result.succeeded:
        result.national_dir = write_national_outputs(year, out_root, data_paths, result, names,
                                                     _centrality(data_paths, base), base.minstetall)
        progress(f"Nasjonal oversikt: {result.national_dir / 'oversikt.html'}")
    return result


def national_table(year: int, out_root: Path, counties: list[str]) -> pd.DataFrame:
    """Every municipality of the given counties: the county CSVs stacked, codes as strings."""
    frames = [pd.read_csv(out_root / str(year) / c / "anbefaling.csv", dtype={"kommunenummer": str, "fylkesnummer": str})
              for c in counties]
    table = pd.concat(frames, ignore_index=True)
    # Counts stay whole numbers even where a symbol left a gap (pandas would otherwise turn the column to floats).
    for column in table.columns:
        if column.split("_")[0] in ("anmodet", "vedtatt", "bosatte") or column in ("folketall", "endring_fra_anmodning"):
            table[column] = whole_or_decimal(table[column])
    return table.sort_values(["fylkesnummer", "kommunenummer"], kind="stable").reset_index(drop=True)


def _centrality(data_paths: DataPaths, params) -> pd.Series | None:
    rel = params.inndata_valgfrie.get("sentralitet")
    if rel is None or not (data_paths.raw / rel).is_file():
        return None
    frame = pd.read_csv(data_paths.raw / rel, dtype={"kommunenummer": str})
    return frame.set_index("kommunenummer")["sentralitetsklasse"]


def write_national_outputs(year: int, out_root: Path, data_paths: DataPaths, result: NationalResult,
                           names: dict[str, str], centrality: pd.Series | None, minimum: int = 10) -> Path:
    """anbefaling.csv, anbefaling.xlsx and oversikt.html for the whole country under outputs/<year>/nasjonalt/."""
    folder = out_root / str(year) / NATIONAL_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    table = national_table(year, out_root, result.succeeded)
    table.to_csv(folder / "anbefaling.csv", index=False, lineterminator="\n")
    summary = county_summary(table, year, minimum)
    reference = _reference_comparison(data_paths, year, result.succeeded)
    write_national_workbook(folder / "anbefaling.xlsx", year, table, summary, reference, data_paths, result.succeeded, names)
    backtest = national_backtest(data_paths, year, result.succeeded, table)
    if backtest is not None:
        backtest.to_csv(folder / "etterproving.csv", index=False, lineterminator="\n")
    history = model_history(data_paths, year, result.succeeded)
    if history is not None:
        history.to_csv(folder / "modelltreff.csv", index=False, lineterminator="\n", float_format="%.4f")
    html = overview_html(year, table, summary, reference, result.succeeded, result.failed, names,
                         size_distribution(table), centrality_distribution(table, centrality), backtest, history)
    (folder / "oversikt.html").write_text(html, encoding="utf-8")
    return folder


def national_backtest(data_paths: DataPaths, year: int, counties: list[str], table: pd.DataFrame) -> pd.DataFrame | None:
    """Per county and for the whole country: how the model compares with IMDi's actual request for the year."""
    column = f"anmodet_{year}"
    if column not in table.columns:
        return None
    continuity = _continuity(data_paths, year, counties, table)
    rows = []
    for county, part in [*table.groupby("fylkesnummer", sort=True), ("00", table)]:
        actual = part[column].astype("float64")
        model = part["anbefaling"].astype("float64")
        correlation = rank_correlation(model, actual)
        scale = scale_to(model, actual)
        row = {"fylkesnummer": county, "fylke": "Hele landet" if county == "00" else part["fylke"].iloc[0],
               "kommuner": int(actual.notna().sum()),
               "rangkorrelasjon": None if correlation is None else round(correlation, 4),
               "gjennomsnittlig_absolutt_avvik": mean_absolute_deviation(model, actual, scale)}
        if continuity is not None:
            numbers = continuity.reindex(part["kommunenummer"]).set_axis(part.index).astype("float64")
            same = rank_correlation(numbers, actual)
            row["kontinuitet_avvik"] = mean_absolute_deviation(numbers, actual, scale)
            row["kontinuitet_rangkorrelasjon"] = None if same is None else round(same, 4)
        rows.append(row)
    return pd.DataFrame(rows)


def _continuity(data_paths: DataPaths, year: int, counties: list[str], table: pd.DataFrame) -> pd.Series | None:
    """Last year's request scaled to each county's total (the «continuity» reference key of each county's run)."""
    parts = []
    for county in counties:
        folder = data_paths.processed(year) / county
        if not has_table(folder, "referansenokler"):
            return None
        ref = read_table(folder, "referansenokler")
        parts.append(ref.loc[ref["nokkel"] == "continuity"].set_index("kommunenummer")["antall"])
    numbers = pd.concat(parts) if parts else pd.Series(dtype="float64")
    return None if numbers.empty or numbers.reindex(table["kommunenummer"]).isna().any() else numbers


def model_history(data_paths: DataPaths, year: int, counties: list[str]) -> pd.DataFrame | None:
    """Per county and for the whole country: how this year's model and continuity hit the years before (each county's
    «modelltreff», written by its step 03 from what was known each spring). The country's MAE is the mean over its
    municipalities (each county's MAE weighted by its number of municipalities), which is exact for a mean."""
    frames = [read_table(data_paths.processed(year) / c, "modelltreff") for c in counties
              if has_table(data_paths.processed(year) / c, "modelltreff")]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return None
    hits = pd.concat(frames, ignore_index=True)
    hits = hits.loc[hits["modell"].isin(("modell", "kontinuitet_anmodet"))]
    wide = hits.pivot_table(index=["aar", "fylkesnummer", "fylke", "kommuner"], columns="modell", values="mae").reset_index()
    national = (wide.assign(m=wide["modell"] * wide["kommuner"], k=wide["kontinuitet_anmodet"] * wide["kommuner"])
                .groupby("aar").agg(kommuner=("kommuner", "sum"), m=("m", "sum"), k=("k", "sum")).reset_index())
    national = national.assign(fylkesnummer="00", fylke="Hele landet", modell=national["m"] / national["kommuner"],
                               kontinuitet_anmodet=national["k"] / national["kommuner"]).drop(columns=["m", "k"])
    out = pd.concat([wide, national], ignore_index=True)
    out = out.rename(columns={"modell": "modell_avvik", "kontinuitet_anmodet": "kontinuitet_avvik"})
    out["modell_best"] = out["modell_avvik"] < out["kontinuitet_avvik"] - 1e-9
    return out.sort_values(["aar", "fylkesnummer"], kind="stable").reset_index(drop=True)[
        ["aar", "fylkesnummer", "fylke", "kommuner", "modell_avvik", "kontinuitet_avvik", "modell_best"]]


def _reference_comparison(data_paths: DataPaths, year: int, counties: list[str]) -> pd.DataFrame | None:
    """Per county and key: persons the recommendation places differently from each reference key."""
    rows = []
    for county in counties:
        path = data_paths.processed(year) / county / "referansenokler.csv"
        rec = data_paths.processed(year) / county / "anbefaling.csv"
        if not (path.is_file() and rec.is_file()):
            continue
        ref = pd.read_csv(path, dtype={"kommunenummer": str}).dropna(subset=["kommunenummer"])
        mine = pd.read_csv(rec, dtype={"kommunenummer": str}).set_index("kommunenummer")["anbefaling"]
        for key, part in ref.groupby("nokkel"):
            other = part.set_index("kommunenummer")["antall"].reindex(mine.index)
            rows.append({"fylkesnummer": county, "nokkel": key, "navn": part["navn"].iloc[0],
                         "flyttet": int((mine - other).abs().sum() // 2)})
    return pd.DataFrame(rows) if rows else None


