"""The national overview page (oversikt.html): every county's recommendation, in the county report's style."""

from __future__ import annotations

from __future__ import annotations
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent
from bosetting_lib.outputs.export import report_css
from bosetting_lib.outputs.figures import PALETTE, figure_html, norwegian_axis
from bosetting_lib.outputs.html import Column, Html, esc, heading, paragraph, short_label, table


def overview_html(year: int, municipalities: pd.DataFrame, summary: pd.DataFrame, reference: pd.DataFrame | None,
                  succeeded: list[str], failed: dict[str, str], names: dict[str, str],
                  by_size: pd.DataFrame, by_class: pd.DataFrame | None,
                  backtest: pd.DataFrame | None = None, history: pd.DataFrame | None = None) -> str:
    """The national overview in the county report's style: self-contained, lang="nb", no scripts. Presentation
    only: every table comes computed (run/national.py and model/national_summary.py)."""
    parts = [f"<h1>Anbefalinger om bosetting {year} – hele landet</h1>",
             paragraph(f"Oversikten samler anbefalingene for {len(succeeded)} fylker, laget med de samme kriteriene og "
                       f"reglene, til sammen {format_int(municipalities['anbefaling'].sum())} personer fordelt på "
                       f"{format_int(len(municipalities))} kommuner. Hvert fylkes tall summerer nøyaktig til fylkets totaltall fra IMDi.",
                       css="ingress")]
    if failed:
        parts.append('<div class="banner" role="alert"><strong>Noen fylker feilet</strong>'
                     + esc("; ".join(f"{c} {names.get(c, '')}: {m.splitlines()[0]}" for c, m in sorted(failed.items())))
                     + "</div>")
    zero_share = (municipalities["anbefaling"] == 0).mean()
    parts.append(f'<ul class="nokkeltall"><li>Personer i alt<strong>{format_int(municipalities["anbefaling"].sum())}</strong></li>'
                 f'<li>Kommuner<strong>{format_int(len(municipalities))}</strong></li>'
                 f'<li>Anbefalt 0<strong>{format_percent(zero_share, 1)}</strong></li></ul>')
    # Each county's own report sits beside this folder (outputs/<year>/<county>/), so relative links work offline.
    parts.append(heading(2, "Fylkenes rapporter", "rapporter"))
    parts.append(Html("<ul>" + "".join(f'<li><a href="../{esc(c)}/anbefaling.html">{esc(c)} {esc(names.get(c, ""))}</a></li>'
                                       for c in succeeded) + "</ul>"))
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
    dist_cols = [Column("kommuner", "Kommuner"), Column("anbefaling", "Anbefaling"), Column("null", "Anbefalt 0"),
                 Column("per_1000", "Per 1 000 innbyggere", formatter=lambda r: format_decimal(r["per_1000"], 1))]
    parts.append(heading(2, "Etter kommunestørrelse og sentralitet", "fordeling"))
    parts.append(table(by_size, [Column("storrelse", "Innbyggere", numeric=False), *dist_cols],
                       caption="Tabell 2. Anbefaling etter kommunens folketall", row_header="storrelse", table_id="tabell-storrelse"))
    if by_class is not None:
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
