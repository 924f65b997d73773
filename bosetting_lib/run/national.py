"""The whole country: every county's run (in parallel where cores allow) and a national overview."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bosetting_lib.errors import BosettingError
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import DataPaths, default_output_dir
from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent
from bosetting_lib.model.backtest import mean_absolute_deviation, rank_correlation, scale_to
from bosetting_lib.outputs.export import report_css, whole_or_decimal
from bosetting_lib.outputs.figures import PALETTE, figure_html, norwegian_axis
from bosetting_lib.outputs.html import Column, Html, esc, heading, paragraph, short_label, table
from bosetting_lib.outputs.national_workbook import write_national_workbook
from bosetting_lib.run.pipeline import run_pipeline
from bosetting_lib.steps.tables import has_table, read_table
from bosetting_lib.sources.register import Register

NATIONAL_FOLDER = "nasjonalt"
SIZE_BANDS = [(0, 2_000, "under 2 000"), (2_000, 5_000, "2 000–4 999"), (5_000, 10_000, "5 000–9 999"),
              (10_000, 20_000, "10 000–19 999"), (20_000, 50_000, "20 000–49 999"), (50_000, 10**9, "50 000 og over")]


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
                                                     _centrality(data_paths, base))
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


def county_summary(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per county: total, municipalities, how many asked for 0 or under 10, change from last year's request."""
    last = f"anmodet_{year - 1}"
    grouped = table.groupby(["fylkesnummer", "fylke"], sort=True)
    summary = grouped.agg(anbefaling=("anbefaling", "sum"), kommuner=("kommunenummer", "count"),
                          null=("anbefaling", lambda s: int((s == 0).sum())),
                          under_minstetall=("anbefaling", lambda s: int(((s > 0) & (s < 10)).sum())),
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


def write_national_outputs(year: int, out_root: Path, data_paths: DataPaths, result: NationalResult,
                           names: dict[str, str], centrality: pd.Series | None) -> Path:
    """anbefaling.csv, anbefaling.xlsx and oversikt.html for the whole country under outputs/<year>/nasjonalt/."""
    folder = out_root / str(year) / NATIONAL_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    table = national_table(year, out_root, result.succeeded)
    table.to_csv(folder / "anbefaling.csv", index=False, lineterminator="\n")
    summary = county_summary(table, year)
    reference = _reference_comparison(data_paths, year, result.succeeded)
    write_national_workbook(folder / "anbefaling.xlsx", year, table, summary, reference, data_paths, result.succeeded, names)
    backtest = national_backtest(data_paths, year, result.succeeded, table)
    if backtest is not None:
        backtest.to_csv(folder / "etterproving.csv", index=False, lineterminator="\n")
    history = model_history(data_paths, year, result.succeeded)
    if history is not None:
        history.to_csv(folder / "modelltreff.csv", index=False, lineterminator="\n", float_format="%.4f")
    html = overview_html(year, table, summary, reference, result, names, centrality, backtest, history)
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


def overview_html(year: int, municipalities: pd.DataFrame, summary: pd.DataFrame, reference: pd.DataFrame | None,
                  result: NationalResult, names: dict[str, str], centrality: pd.Series | None,
                  backtest: pd.DataFrame | None = None, history: pd.DataFrame | None = None) -> str:
    """The national overview in the county report's style: self-contained, lang="nb", no scripts."""
    parts = [f"<h1>Anbefalinger om bosetting {year} – hele landet</h1>",
             paragraph(f"Oversikten samler anbefalingene for {len(result.succeeded)} fylker, laget med de samme kriteriene og "
                       f"reglene, til sammen {format_int(municipalities['anbefaling'].sum())} personer fordelt på "
                       f"{format_int(len(municipalities))} kommuner. Hvert fylkes tall summerer nøyaktig til fylkets totaltall fra IMDi.",
                       css="ingress")]
    if result.failed:
        parts.append('<div class="banner" role="alert"><strong>Noen fylker feilet</strong>'
                     + esc("; ".join(f"{c} {names.get(c, '')}: {m.splitlines()[0]}" for c, m in sorted(result.failed.items())))
                     + "</div>")
    zero_share = (municipalities["anbefaling"] == 0).mean()
    parts.append(f'<ul class="nokkeltall"><li>Personer i alt<strong>{format_int(municipalities["anbefaling"].sum())}</strong></li>'
                 f'<li>Kommuner<strong>{format_int(len(municipalities))}</strong></li>'
                 f'<li>Anbefalt 0<strong>{format_percent(zero_share, 1)}</strong></li></ul>')
    # Each county's own report sits beside this folder (outputs/<year>/<county>/), so relative links work offline.
    parts.append(heading(2, "Fylkenes rapporter", "rapporter"))
    parts.append(Html("<ul>" + "".join(f'<li><a href="../{esc(c)}/anbefaling.html">{esc(c)} {esc(names.get(c, ""))}</a></li>'
                                       for c in result.succeeded) + "</ul>"))
    cols = [Column("fylkesnummer", "Nr.", numeric=False), Column("fylke", "Fylke", numeric=False),
            Column("anbefaling", "Anbefaling"), Column("kommuner", "Kommuner"), Column("null", "Anbefalt 0"),
            Column("under_minstetall", "Anbefalt 1–9"), Column("herav_em", "Herav enslige mindreårige")]
    if "anmodet_i_fjor" in summary.columns:
        cols += [Column("anmodet_i_fjor", f"Anmodet {year - 1}"),
                 Column("endring", "Endring", formatter=lambda r: format_change(r["endring"]))]
    totals = {"fylke": "Hele landet", "anbefaling": format_int(summary["anbefaling"].sum()),
              "kommuner": format_int(summary["kommuner"].sum()), "null": format_int(summary["null"].sum()),
              "under_minstetall": format_int(summary["under_minstetall"].sum()),
              "herav_em": format_int(summary["herav_em"].sum())}
    if "anmodet_i_fjor" in summary.columns:
        totals["anmodet_i_fjor"] = format_int(summary["anmodet_i_fjor"].sum())
        totals["endring"] = format_change(summary["endring"].sum())
    parts.append(heading(2, "Per fylke", "fylker"))
    parts.append(table(summary, cols, caption=f"Tabell 1. Anbefaling {year} per fylke", row_header="fylke",
                       table_id="tabell-fylker", total_row=totals))
    parts.append(_county_figure(summary, year))
    band = size_band(municipalities["folketall"].astype("float64"))
    by_size = distribution(municipalities, band, "storrelse")
    by_size["orden"] = by_size["storrelse"].map({t: i for i, (_, _, t) in enumerate(SIZE_BANDS)})
    by_size = by_size.sort_values("orden")
    dist_cols = [Column("kommuner", "Kommuner"), Column("anbefaling", "Anbefaling"), Column("null", "Anbefalt 0"),
                 Column("per_1000", "Per 1 000 innbyggere", formatter=lambda r: f"{r['per_1000']:.1f}".replace(".", ","))]
    parts.append(heading(2, "Etter kommunestørrelse og sentralitet", "fordeling"))
    parts.append(table(by_size, [Column("storrelse", "Innbyggere", numeric=False), *dist_cols],
                       caption="Tabell 2. Anbefaling etter kommunens folketall", row_header="storrelse", table_id="tabell-storrelse"))
    if centrality is not None:
        classes = municipalities["kommunenummer"].map(centrality).astype("Int64").astype(str).replace("<NA>", "ukjent")
        by_class = distribution(municipalities, classes, "sentralitet").sort_values("sentralitet")
        parts.append(table(by_class, [Column("sentralitet", "Sentralitetsklasse (1 = mest sentral)", numeric=False), *dist_cols],
                           caption="Tabell 3. Anbefaling etter SSBs sentralitetsklasse", row_header="sentralitet",
                           table_id="tabell-sentralitet"))
    if reference is not None and not reference.empty:
        wide = reference.pivot(index="fylkesnummer", columns="navn", values="flyttet").reset_index()
        wide.insert(1, "fylke", wide["fylkesnummer"].map(names))
        keys = [c for c in wide.columns if c not in ("fylkesnummer", "fylke")]
        parts.append(heading(2, "Sammenlignet med referansenøklene", "referanse"))
        parts.append(paragraph("Tallene viser hvor mange personer anbefalingen plasserer i en annen kommune enn hver "
                               "referansenøkkel gjør (halvparten av summen av absolutte forskjeller), per fylke."))
        short = {k: short_label(k) for k in keys}
        parts.append(table(wide, [Column("fylke", "Fylke", numeric=False)] + [Column(k, short[k]) for k in keys],
                           caption="Tabell 4. Personer plassert annerledes enn referansenøklene", row_header="fylke",
                           table_id="tabell-referanse",
                           note="«–»: nøkkelen er utelatt for fylket fordi inndataene den trenger mangler. Nøklene: "
                                + " ".join(f"{short[k]}: {k}." for k in keys if short[k] != k)))
    number = 5 if reference is not None and not reference.empty else 4
    if history is not None and not history.empty:
        parts.append(heading(2, "Slik har modellen truffet før", "modelltreff"))
        parts += _history_parts(history, number)
        number += 1
    if backtest is not None:
        parts.append(heading(2, "Etterprøving mot IMDis faktiske anmodning", "etterproving"))
        parts.append(paragraph(f"IMDis faktiske anmodning for {year} finnes i dataene. Rangkorrelasjonen sier hvor likt modellen og "
                               "IMDi rangerer kommunene (1 er helt likt); avviket er gjennomsnittlig forskjell i personer per "
                               "kommune etter at IMDis tall er skalert til samme totaltall. Ved siden av står kontinuitet: "
                               f"anmodningen for {year - 1} skalert til fylkets totaltall, det modellen må slå."))
        cols = [Column("fylke", "Fylke", numeric=False), Column("kommuner", "Kommuner"),
                Column("rangkorrelasjon", "Rangkorrelasjon", formatter=lambda r: format_decimal(r["rangkorrelasjon"], 2)),
                Column("gjennomsnittlig_absolutt_avvik", "Gjennomsnittlig avvik (personer)",
                       formatter=lambda r: format_decimal(r["gjennomsnittlig_absolutt_avvik"], 1))]
        if "kontinuitet_avvik" in backtest.columns:
            cols += [Column("kontinuitet_rangkorrelasjon", "Kontinuitet: rangkorrelasjon",
                            formatter=lambda r: format_decimal(r["kontinuitet_rangkorrelasjon"], 2)),
                     Column("kontinuitet_avvik", "Kontinuitet: avvik (personer)",
                            formatter=lambda r: format_decimal(r["kontinuitet_avvik"], 1))]
        parts.append(table(backtest, cols,
                           caption=f"Tabell {number}. Modellen og kontinuitet mot IMDis anmodning {year}, per fylke og for hele landet",
                           row_header="fylke", table_id="tabell-etterproving"))
    parts.append(paragraph("Kilde: IMDi, SSB, egne beregninger. Tallene fra IMDi og SSB brukes etter NLOD.", css="merknad"))
    title = f"Anbefalinger om bosetting {year} – hele landet"
    return ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>\n{report_css()}\n</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def _history_parts(history: pd.DataFrame, number: int) -> list:
    """The model beside continuity for the years each county's run could judge, and where the model loses."""
    years = sorted(int(y) for y in history["aar"].unique())
    wide = history.pivot_table(index=["fylkesnummer", "fylke"], columns="aar", values=["modell_avvik", "kontinuitet_avvik"])
    wide.columns = [f"{a}_{y}" for a, y in wide.columns]
    wide = wide.reset_index().sort_values("fylkesnummer", key=lambda c: c.eq("00"), kind="stable")  # the country last
    cols = [Column("fylke", "Fylke", numeric=False)]
    for y in years:
        cols += [Column(f"modell_avvik_{y}", f"Modellen {y}", formatter=lambda r, y=y: format_decimal(r[f"modell_avvik_{y}"], 1)),
                 Column(f"kontinuitet_avvik_{y}", f"Kontinuitet {y}",
                        formatter=lambda r, y=y: format_decimal(r[f"kontinuitet_avvik_{y}"], 1))]
    counties = history.loc[history["fylkesnummer"] != "00"]
    worse = counties["modell_avvik"] > counties["kontinuitet_avvik"] + 1e-9
    lost = [f"{y}: " + (", ".join(counties.loc[(counties["aar"] == y) & worse, "fylke"]) or "ingen") for y in years]
    text = ("Hvert fylkes kjøring prøver årets modell på årene før, laget bare av det som var kjent våren før, og "
            "sammenligner med kontinuitet (fjorårets anmodning skalert). Tallene er gjennomsnittlig avvik fra IMDis faktiske "
            "anmodning i personer per kommune; lavere er bedre. Fylker der modellen traff dårligere enn kontinuitet: "
            + "; ".join(lost) + ".")
    return [paragraph(text),
            table(wide, cols, caption=f"Tabell {number}. Slik har modellen og kontinuitet truffet før, per fylke og for hele landet",
                  row_header="fylke", table_id="tabell-modelltreff")]


def _county_figure(summary: pd.DataFrame, year: int) -> str:
    s = summary.sort_values("anbefaling", kind="stable")
    fig, ax = plt.subplots(figsize=(8, 5))
    y = np.arange(len(s))
    ax.barh(y, s["anbefaling"], color=PALETTE["blue"], label=f"Anbefaling {year}")
    if "anmodet_i_fjor" in s.columns:
        ax.scatter(s["anmodet_i_fjor"], y, marker="o", facecolors="none", edgecolors=PALETTE["orange"], linewidths=1.5,
                   zorder=3, label=f"Anmodet {year - 1}")
    # The label sits past both the bar and last year's circle, so the circle never covers it.
    ends = s[["anbefaling", "anmodet_i_fjor"]].max(axis=1) if "anmodet_i_fjor" in s.columns else s["anbefaling"]
    for yi, (value, end) in enumerate(zip(s["anbefaling"], ends)):
        ax.annotate(format_int(value), (end, yi), textcoords="offset points", xytext=(7, -3), fontsize=8)
    ax.set_yticks(list(y), s["fylke"].tolist())
    ax.set_xlabel("Personer")
    ax.set_xlim(0, float(ends.max()) * 1.12)
    norwegian_axis(ax.xaxis)
    ax.legend(loc="lower right", frameon=False)
    biggest = s.iloc[-1]
    alt = (f"Liggende stolpediagram med én stolpe per fylke for anbefalingen {year}, med tallet ved stolpen, og en åpen "
           f"sirkel for fjorårets anmodning. Størst er {biggest['fylke']} med {format_int(biggest['anbefaling'])}.")
    return figure_html(fig, alt=alt, caption=f"Figur 1. Anbefaling {year} per fylke (stolper) og anmodning {year - 1} "
                       "(sirkler). Kilde: IMDi, egne beregninger.", figure_id="figur-fylker")
