"""The report's sections as HTML, built from the processed tables; the report notebook only displays them.

Every data value is escaped (free text from municipalities included); numbers use the Norwegian format; every
figure has alt text and a caption; every table a caption and header cells.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bosetting_lib.context import RunContext
from bosetting_lib.feedback import public_feedback_table
from bosetting_lib.figures import PALETTE, SERIES_COLOURS, SERIES_HATCHES, figure_html
from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent, norwegian_text
from bosetting_lib.html_blocks import Column, Html, bullet_list, esc, heading, paragraph, table
from bosetting_lib.recommendation import example_inputs, feedback_steers, read_processed

from bosetting_lib.suppression import SUPPRESSION_THRESHOLD
SUPPRESSION_NOTE = (
    "«:» betyr at tallet er skjult av personvernhensyn (færre enn 5 personer). «-» betyr at kommunen ikke fattet "
    "vedtak fordi den ikke ble anmodet. «–» betyr at tallet ikke finnes."
)
SOURCE_NOTE = "Kilde: IMDi, SSB, egne beregninger."


def suppress_persons(value: object) -> str:
    """A count of settled persons for publication: 1–4 becomes ':' so that small groups cannot be identified."""
    if value is None or pd.isna(value):
        return "–"
    number = int(round(float(value)))
    return ":" if 0 < number < SUPPRESSION_THRESHOLD else format_int(number)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from the run's processed folder."""

    run: RunContext
    table: pd.DataFrame
    indicator_info: pd.DataFrame
    contributions: pd.DataFrame
    key_meta: dict
    sensitivity: pd.DataFrame
    scenarios: pd.DataFrame
    reference: pd.DataFrame
    minors: dict
    feedback: pd.DataFrame | None
    backtest: pd.DataFrame | None
    backtest_summary: dict | None
    sources: pd.DataFrame
    manifest: dict

    @property
    def params(self):
        return self.run.params

    @property
    def history_years(self) -> list[int]:
        years = {int(c.split("_")[1]) for c in self.table.columns if c.startswith("anmodet_") and not c.endswith("status")}
        return sorted(y for y in years if y < self.params.aar)

    @property
    def last_year(self) -> int | None:
        return max(self.history_years) if self.history_years else None

    @property
    def county_name(self) -> str:
        return self.params.fylke or f"fylke {self.params.fylkesnummer}"

    @property
    def criterion_names(self) -> dict[str, str]:
        return {c.id: c.navn for c in self.params.kriterier}

    @property
    def example_files(self) -> list[str]:
        return self.sources.loc[self.sources["datatype"] == "eksempel", "fil"].tolist()


def _read_json(path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_report_data(run: RunContext) -> ReportData:
    """Read the processed tables and the raw data's manifest."""
    out = run.processed_dir
    contrib = pd.read_csv(out / "bidrag.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")
    order = [c.id for c in run.params.kriterier if c.id in contrib.columns]
    feedback = None
    if (out / "tilbakemeldinger.csv").is_file():
        raw = pd.read_csv(out / "tilbakemeldinger.csv", dtype={"kommunenummer": str})
        feedback = public_feedback_table(raw)
    backtest = pd.read_csv(out / "backtest.csv", dtype={"kommunenummer": str}) if (out / "backtest.csv").is_file() else None
    return ReportData(
        run=run,
        table=read_processed(run, "anbefaling"),
        indicator_info=pd.read_csv(out / "indikatorer_beskrivelse.csv", dtype=str),
        contributions=contrib[order],
        key_meta=_read_json(out / "nokkel.json") or {},
        sensitivity=pd.read_csv(out / "usikkerhet.csv", dtype={"kommunenummer": str}).set_index("kommunenummer"),
        scenarios=pd.read_csv(out / "scenarier.csv", dtype={"kommunenummer": str, "merknad": str}),
        reference=pd.read_csv(out / "referansenokler.csv", dtype={"kommunenummer": str, "merknad": str}),
        minors=_read_json(out / "enslige_mindreaarige.json") or {},
        feedback=feedback,
        backtest=backtest,
        backtest_summary=_read_json(out / "backtest.json"),
        sources=pd.read_csv(run.data.manifest, dtype=str, keep_default_na=False),
        manifest=run.manifest(),
    )


# ----------------------------------------------------------------------------------------------------------------
# First screen


def title_block(data: ReportData) -> Html:
    """Title, the recommendation in plain words, the key figures and the few messages that matter."""
    p, t = data.params, data.table
    zero = t.loc[t["anbefaling"] == 0, "kommune"].tolist()
    weights = sorted(data.key_meta.get("vekter", {}).items(), key=lambda kv: -kv[1])
    names = data.criterion_names
    weight_text = ", ".join(f"{names.get(k, k).lower()} {format_percent(v, 0)}" for k, v in weights)
    parts = [
        f"<h1>Anbefaling om bosetting av flyktninger i {p.aar} – {esc(data.county_name)}</h1>",
        paragraph(
            f"{data.county_name} fylkeskommune anbefaler at kommunene i fylket til sammen anmodes om å bosette "
            f"{format_int(p.totalt)} flyktninger i {p.aar}. Tallet for hver kommune står i tabellen under. Tallene er "
            f"regnet ut etter årets nasjonale kriterier med en åpen nøkkel ({weight_text}) og rundet av slik at hver "
            f"kommune får 0 eller minst {p.minstetall} personer og summen blir nøyaktig {format_int(p.totalt)}.",
            css="ingress",
        ),
    ]
    em = int(t["herav_em"].sum()) if "herav_em" in t.columns else 0
    figures = [("Samlet anbefaling", format_int(p.totalt) + " personer"),
               ("Herav enslige mindreårige", format_int(em)),
               ("Kommuner som anbefales å bosette", f"{format_int(len(t) - len(zero))} av {format_int(len(t))}")]
    if data.last_year is not None:
        figures.append((f"IMDis anmodning {data.last_year}", format_int(t[f"anmodet_{data.last_year}"].sum()) + " personer"))
    parts.append('<ul class="nokkeltall">' + "".join(f"<li>{esc(k)}<strong>{v}</strong></li>" for k, v in figures) + "</ul>")
    parts.append(heading(2, "Det viktigste", "viktigste"))
    parts.append(bullet_list(key_messages(data)))
    return Html("".join(parts))


def key_messages(data: ReportData) -> list[str]:
    """The few messages a reader needs first, generated from the numbers."""
    p, t = data.params, data.table
    messages = []
    if data.last_year is not None:
        last = f"anmodet_{data.last_year}"
        scaled = t[last] * p.totalt / t[last].sum()
        change = (t["anbefaling"] - scaled).round()
        up = t.assign(d=change).sort_values("d", ascending=False, kind="stable").head(3)
        down = t.assign(d=change).sort_values("d", kind="stable").head(3)
        messages.append(
            f"Sammenlignet med IMDis anmodning for {data.last_year} (skalert til årets totaltall) får "
            + ", ".join(f"{r.kommune} ({format_change(r.d)})" for r in up.itertuples()) + " flest flere, og "
            + ", ".join(f"{r.kommune} ({format_change(r.d)})" for r in down.itertuples()) + " flest færre."
        )
    zero = t.loc[t["anbefaling"] == 0, "kommune"].tolist()
    if zero:
        messages.append(f"{len(zero)} kommuner anbefales 0 fordi andelen deres er for liten til minstetallet på "
                        f"{p.minstetall}: {', '.join(zero)}.")
    raised = t.loc[t["status"].eq("rundet opp til minstetallet"), "kommune"].tolist()
    if raised:
        messages.append(f"{len(raised)} kommuner er rundet opp til minstetallet {p.minstetall}: {', '.join(raised)}.")
    adjusted = t.loc[t["justering"] != 0]
    messages.append(f"Fylket har justert {len(adjusted)} kommuner etter modellen." if len(adjusted)
                    else "Fylket har ikke justert noen tall etter modellen.")
    influence = data.key_meta.get("befolkningens_innflytelse", {})
    if influence:
        messages.append(
            f"Nøkkelen plasserer {format_percent(influence['flyttet_andel'], 0)} av personene annerledes enn en ren "
            "fordeling etter folketall; resten følger folketallet (se «Befolkningens innflytelse»)."
        )
    wide = data.sensitivity.assign(spenn=data.sensitivity["p90"] - data.sensitivity["p10"]).sort_values("spenn", ascending=False)
    top = wide.head(1)
    if len(top):
        code = top.index[0]
        name = t.set_index("kommunenummer").loc[code, "kommune"]
        messages.append(f"Tallene er lite følsomme for vektene: det største spennet (10.–90. persentil) er "
                        f"{format_int(top['p10'].iloc[0])}–{format_int(top['p90'].iloc[0])} for {name}.")
    if data.example_files and not feedback_steers(data.run):
        messages.append("Tilbakemeldingene fra kommunene i denne rapporten er eksempeldata. De vises, men påvirker ikke tallene.")
    return messages


def example_banner(data: ReportData) -> Html:
    """A visible banner naming every input that is example data, and whether it steers the numbers."""
    examples = data.example_files
    if not examples:
        return Html("")
    steering = data.params.bruk_eksempeldata
    consequence = ("ANBEFALINGEN BYGGER DELVIS PÅ EKSEMPELDATA, fordi parameterfilen tar dem med (bruk_eksempeldata)."
                   if steering else "Eksempeldataene vises i rapporten, men påvirker ikke tallene: anbefalingen bygger "
                   "bare på publisert statistikk.")
    folders = sorted({f.rsplit("/", 1)[0] + "/" if "/" in f else f for f in examples})
    return Html(
        '<div class="banner" role="note"><strong>Inneholder eksempeldata</strong>'
        f"Disse inndataene er eksempeldata og ikke ekte statistikk eller ekte svar: {esc(', '.join(folders))} "
        f"({len(examples)} filer). {esc(consequence)}</div>"
    )


def contents(data: ReportData) -> Html:
    """A table of contents with links to the sections (internal anchors only)."""
    items = [("anbefaling", "Anbefalt antall per kommune"), ("sammenligning", "Sammenlignet med i fjor"),
             ("bidrag", "Hva hvert kriterium bidrar med"), ("kart", "Oversikt over fylket"),
             ("usikkerhet", "Hvor sikre er tallene?"), ("scenarier", "Andre totaltall"),
             ("referanse", "Andre fordelingsmodeller"), ("mindreaarige", "Enslige mindreårige"),
             ("justeringer", "Fylkets egne justeringer"), ("tilbakemeldinger", "Tilbakemeldinger fra kommunene")]
    if data.backtest is not None:
        items.append(("etterproving", "Etterprøving"))
    items += [("metode", "Slik er tallene laget"), ("kilder", "Datakilder"), ("manifest", "Sporbarhet")]
    links = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in items)
    return Html(f'<nav aria-label="Innhold"><h2 id="innhold">Innhold</h2><ol>{links}</ol></nav>')


# ----------------------------------------------------------------------------------------------------------------
# The table


def _history_cell(variable: str, year: int):
    def cell(row: pd.Series) -> str:
        status = row.get(f"{variable}_{year}_status")
        if isinstance(status, str) and status:
            return esc(status)
        value = row.get(f"{variable}_{year}")
        return suppress_persons(value) if variable == "bosatte" else format_int(value)
    return cell


def recommendation_section(data: ReportData) -> Html:
    """The recommendation table for every municipality with history, minors, change and a one-line reason."""
    p, t = data.params, data.table
    # What the reader looks for first (number and why) comes first; the history follows to the right.
    columns = [Column("kommunenummer", "Nr.", numeric=False), Column("kommune", "Kommune", numeric=False),
               Column("anbefaling", f"Anbefaling {p.aar}", css="anbefaling"),
               Column("herav_em", "Herav enslige mindreårige")]
    if data.last_year is not None:
        columns.append(Column("endring_fra_anmodning", f"Endring fra anmodning {data.last_year}",
                              formatter=lambda r: format_change(r["endring_fra_anmodning"])))
    columns += [Column("begrunnelse", "Hvorfor (sammenlignet med fordeling etter folketall)", numeric=False, css="tekst"),
                Column("folketall", f"Folketall 1.1.{p.aar - 1}")]
    for year in sorted(data.history_years, reverse=True):
        for variable, label in (("anmodet", "anmodet"), ("vedtatt", "vedtatt"), ("bosatte", "bosatt")):
            if f"{variable}_{year}" in t.columns:
                columns.append(Column(f"{variable}_{year}", f"{year} {label}", formatter=_history_cell(variable, year)))
    totals = {"kommune": "Sum", "folketall": format_int(t["folketall"].sum()), "anbefaling": format_int(t["anbefaling"].sum()),
              "herav_em": format_int(t["herav_em"].sum())}
    for year in data.history_years:
        for variable in ("anmodet", "vedtatt"):
            if f"{variable}_{year}" in t.columns:
                totals[f"{variable}_{year}"] = format_int(t[f"{variable}_{year}"].sum())
    if data.last_year is not None:
        totals["endring_fra_anmodning"] = format_change(t["endring_fra_anmodning"].sum())
    years = data.history_years
    gaps = [y for y in range(min(years), max(years)) if y not in years] if years else []
    return Html(
        heading(2, f"Anbefalt antall per kommune i {p.aar}", "anbefaling")
        + paragraph("Tabellen viser anbefalingen for hver kommune sammen med IMDis tall for årene som finnes"
                    + (f" (tall for {', '.join(map(str, gaps))} finnes ikke per kommune i dataene)" if gaps else "")
                    + ". «Hvorfor» sier hvilke kriterier som trekker kommunens tall mest opp eller ned sammenlignet med en "
                    "fordeling bare etter folketall, i personer.")
        + table(t, columns, caption=f"Tabell 1. Anbefalt antall flyktninger per kommune i {p.aar}, med IMDis tall for tidligere år",
                row_header="kommune", table_id="tabell-anbefaling", total_row=totals,
                note=SUPPRESSION_NOTE + " Summen av bosatte er utelatt fordi skjulte tall mangler. " + SOURCE_NOTE)
    )


# ----------------------------------------------------------------------------------------------------------------
# Figures


def figure_against_last_year(data: ReportData) -> Html:
    """Dot plot: this year's recommendation against the latest request, every municipality, directly labelled."""
    if data.last_year is None:
        return Html("")
    year = data.last_year
    t = data.table.sort_values("anbefaling", kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(4, 0.24 * len(t))))
    y = np.arange(len(t))
    ax.scatter(t[f"anmodet_{year}"].astype("float64"), y, marker="o", facecolors="none", edgecolors=PALETTE["orange"],
               linewidths=1.5, label=f"IMDis anmodning {year}", zorder=3)
    ax.scatter(t["anbefaling"], y, marker="D", color=PALETTE["blue"], label=f"Anbefaling {data.params.aar}", zorder=4)
    for yi, (rec, name) in enumerate(zip(t["anbefaling"], t["kommune"])):
        ax.annotate(format_int(rec), (rec, yi), textcoords="offset points", xytext=(6, -3), fontsize=7, color="#333333")
    ax.set_yticks(list(y), t["kommune"].tolist())
    ax.set_xlabel("Personer")
    ax.grid(axis="x", color="#dddddd")
    ax.legend(loc="lower right", frameon=False)
    last = t[f"anmodet_{year}"]
    up, down = int((t["anbefaling"] > last).sum()), int((t["anbefaling"] < last).sum())
    alt = (f"Prikkdiagram med én rad per kommune. For hver kommune vises anbefalingen for {data.params.aar} som en fylt "
           f"rute med tallet ved siden av, og IMDis anmodning for {year} som en åpen sirkel. {up} kommuner får høyere tall "
           f"enn anmodningen i {year}, {down} får lavere. Alle tallene står i tabell 1.")
    caption = (f"Figur 1. Anbefaling {data.params.aar} (ruter, med tall) mot IMDis anmodning {year} (sirkler), personer per "
               f"kommune, sortert etter anbefalingen. Totaltallet var {format_int(last.sum())} i {year} og er "
               f"{format_int(data.params.totalt)} i {data.params.aar}. Kilde: IMDi, egne beregninger.")
    return Html(heading(2, f"Sammenlignet med anmodningen for {year}", "sammenligning")
                + figure_html(fig, alt=alt, caption=caption, figure_id="figur-mot-fjoraaret"))


def figure_contributions(data: ReportData) -> Html:
    """Stacked bars: how many persons each criterion contributes to each municipality's number."""
    contrib = data.contributions
    names = data.criterion_names
    t = data.table.set_index("kommunenummer")
    order = t["anbefaling"].sort_values(kind="stable").index
    c = contrib.reindex(order)
    fig, ax = plt.subplots(figsize=(8.5, max(4, 0.26 * len(c))))
    left = np.zeros(len(c))
    y = np.arange(len(c))
    for i, criterion in enumerate(c.columns):
        ax.barh(y, c[criterion], left=left, color=SERIES_COLOURS[i % len(SERIES_COLOURS)], edgecolor="white",
                hatch=SERIES_HATCHES[i % len(SERIES_HATCHES)], label=names.get(criterion, criterion), linewidth=0.5)
        left += c[criterion].to_numpy()
    for yi, total in enumerate(left):
        ax.annotate(format_int(total), (total, yi), textcoords="offset points", xytext=(4, -3), fontsize=7)
    ax.set_yticks(list(y), t.loc[order, "kommune"].tolist())
    ax.set_xlabel("Personer")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    biggest = c.sum(axis=0).sort_values(ascending=False)
    alt = ("Liggende stolpediagram med én stolpe per kommune, delt i farge og mønster etter kriterium. Stolpens lengde er "
           "kommunens anbefalte antall, og hver del viser hvor mange personer kriteriet står for. Til sammen for fylket "
           "står " + ", ".join(f"{names.get(k, k).lower()} for {format_int(v)}" for k, v in biggest.items())
           + " personer. Tallene per kommune står i tabell 2.")
    caption = ("Figur 2. Hva hvert kriterium bidrar med til hver kommunes tall (personer). Kommunens anbefalte antall "
               "er fordelt på kriteriene i forhold til vekt × kommunens andel. Kilde: egne beregninger.")
    rows = c.round(1).join(t[["kommune", "anbefaling"]]).reset_index().sort_values("kommunenummer")
    columns = [Column("kommune", "Kommune", numeric=False)] + [
        Column(k, names.get(k, k), formatter=lambda r, k=k: format_decimal(r[k], 1)) for k in c.columns
    ] + [Column("anbefaling", "Anbefaling")]
    return Html(
        heading(2, "Hva hvert kriterium bidrar med", "bidrag")
        + figure_html(fig, alt=alt, caption=caption, figure_id="figur-bidrag")
        + table(rows, columns, caption="Tabell 2. Personer per kriterium og kommune (desimaler fordi bidragene er andeler av hele personer)",
                row_header="kommune", table_id="tabell-bidrag")
    )


def figure_map(data: ReportData) -> Html:
    """A map-like overview: each municipality at a point inside it, the circle's area proportional to its number."""
    path = data.run.data.reference / "adm_senter_trondelag.csv"
    t = data.table.set_index("kommunenummer")
    if not path.is_file():
        return Html(heading(2, "Oversikt over fylket", "kart") + paragraph("Koordinater for kommunene mangler, så kartet er utelatt."))
    points = pd.read_csv(path, dtype={"kommunenummer": str}).set_index("kommunenummer").reindex(t.index)
    if points["punkt_i_flate_lat"].isna().any():
        return Html(heading(2, "Oversikt over fylket", "kart")
                    + paragraph("Koordinater finnes ikke for alle kommunene i fylket, så kartet er utelatt."))
    lat, lon = points["punkt_i_flate_lat"].astype(float), points["punkt_i_flate_lon"].astype(float)
    fig, ax = plt.subplots(figsize=(7, 7))
    sizes = t["anbefaling"].astype(float)
    ax.scatter(lon, lat, s=np.where(sizes > 0, sizes * 1.6 + 10, 12), marker="o",
               facecolors=np.where(sizes > 0, PALETTE["sky"], "none"), edgecolors=PALETTE["black"], linewidths=0.7)
    for code in t.index:
        label = f"{t.loc[code, 'kommune']} {format_int(sizes[code])}"
        ax.annotate(label, (lon[code], lat[code]), textcoords="offset points", xytext=(5, 3), fontsize=6.5)
    ax.set_aspect(1 / np.cos(np.deg2rad(lat.mean())))
    ax.set_xlabel("Lengdegrad")
    ax.set_ylabel("Breddegrad")
    ax.grid(color="#eeeeee")
    alt = ("Punktkart over fylket med én sirkel per kommune, plassert i kommunen og merket med navn og anbefalt antall. "
           "Sirkelens areal følger antallet; kommuner med 0 har en tom liten sirkel. De største tallene ligger i og rundt "
           f"{t['anbefaling'].idxmax() and t.loc[t['anbefaling'].idxmax(), 'kommune']}.")
    caption = ("Figur 3. Anbefalt antall per kommune vist i et punkt inne i hver kommune (beregnet fra Kartverkets "
               "kommunegrenser 2024). Kilde: Kartverket, egne beregninger.")
    return Html(heading(2, "Oversikt over fylket", "kart") + figure_html(fig, alt=alt, caption=caption, figure_id="figur-kart"))


def sensitivity_section(data: ReportData) -> Html:
    """How much each number moves when the weights move: ranges over the draws, and rank stability."""
    p = data.params
    s = data.sensitivity.join(data.table.set_index("kommunenummer")[["kommune"]])
    s = s.sort_values("base", kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(4, 0.24 * len(s))))
    y = np.arange(len(s))
    ax.hlines(y, s["p10"], s["p90"], color=PALETTE["blue"], linewidth=3, label="10.–90. persentil")
    ax.scatter(s["base"], y, marker="|", s=120, color=PALETTE["black"], label="Anbefaling (valgte vekter)", zorder=3)
    ax.set_yticks(list(y), s["kommune"].tolist())
    ax.set_xlabel("Personer")
    ax.grid(axis="x", color="#dddddd")
    ax.legend(loc="lower right", frameon=False)
    spread = (s["p90"] - s["p10"])
    widest = s.assign(spenn=spread).sort_values("spenn", ascending=False, kind="stable").head(5)
    alt = (f"Intervalldiagram med én rad per kommune: en strek fra 10. til 90. persentil av kommunens antall når vektene "
           f"trekkes tilfeldig rundt de valgte ({format_int(p.usikkerhet_trekk)} trekk), og et loddrett merke ved anbefalingen. "
           "Størst spenn har " + ", ".join(f"{r.kommune} ({format_int(r.p10)}–{format_int(r.p90)})" for r in widest.itertuples()) + ".")
    caption = (f"Figur 4. Hvor mye hver kommunes tall flytter seg når vektene varieres rundt de valgte "
               f"(Dirichlet-trekk, konsentrasjon {format_int(p.usikkerhet_konsentrasjon)}, {format_int(p.usikkerhet_trekk)} trekk, "
               "fast startverdi). Kilde: egne beregninger.")
    rows = widest.reset_index()
    rows["stabil_rang"] = rows["same_rank_share"]
    cols = [Column("kommune", "Kommune", numeric=False), Column("base", "Anbefaling"), Column("p10", "10. persentil"),
            Column("p50", "Median"), Column("p90", "90. persentil"),
            Column("stabil_rang", "Samme rangering", formatter=lambda r: format_percent(r["stabil_rang"], 0))]
    return Html(
        heading(2, "Hvor sikre er tallene?", "usikkerhet")
        + paragraph("Vektene er et politisk valg. For å vise hvor mye valget betyr, er vektene trukket tilfeldig rundt de "
                    "valgte mange ganger, og fordelingen regnet ut på nytt for hvert trekk med de samme reglene.")
        + figure_html(fig, alt=alt, caption=caption, figure_id="figur-usikkerhet")
        + table(rows, cols, caption="Tabell 3. De fem kommunene med størst spenn når vektene varieres",
                row_header="kommune", table_id="tabell-usikkerhet")
    )


def scenario_section(data: ReportData) -> Html:
    """The allocation under each county total in the parameters."""
    sc = data.scenarios
    wide = sc.pivot(index="kommunenummer", columns="totalt", values="antall")
    t = data.table.set_index("kommunenummer")[["kommune"]].join(wide).reset_index()
    totals = sorted(sc["totalt"].unique())
    cols = [Column("kommune", "Kommune", numeric=False)] + [
        Column(tot, f"Totalt {format_int(tot)}" + (" (valgt)" if tot == data.params.totalt else "")) for tot in totals]
    notes = sc.loc[sc["merknad"].fillna("") != "", ["totalt", "merknad"]].drop_duplicates()
    note_text = " ".join(f"Totalt {format_int(r.totalt)}: {norwegian_text(r.merknad)}" for r in notes.itertuples())
    sums = {tot: format_int(wide[tot].sum()) for tot in totals}
    return Html(
        heading(2, "Andre totaltall", "scenarier")
        + paragraph(f"Behovet er usikkert og endres ofte i løpet av året (i 2022 fra {format_int(5500)} til "
                    f"{format_int(35000)} nasjonalt, i 2025 kuttet fra {format_int(18900)} til {format_int(12640)}). Tabellen viser fordelingen med samme nøkkel og regler for andre "
                    "totaltall. Metoden er husmonoton: et høyere totaltall gir aldri noen kommune færre, bortsett fra når "
                    "en kommune går fra 0 til minstetallet.")
        + table(t, cols, caption="Tabell 4. Fordeling per kommune ved ulike totaltall for fylket", row_header="kommune",
                table_id="tabell-scenarier", total_row={"kommune": "Sum", **sums}, note=note_text or None)
    )


def reference_section(data: ReportData) -> Html:
    """The recommendation beside the reference keys used elsewhere, under the same rounding rules."""
    ref = data.reference
    available = ref.loc[ref["kommunenummer"].notna() & (ref["kommunenummer"] != "")]
    left_out = ref.loc[ref["kommunenummer"].isna() | (ref["kommunenummer"] == "")]
    wide = available.pivot(index="kommunenummer", columns="nokkel", values="antall")
    labels = {k: norwegian_text(v) for k, v in available.drop_duplicates("nokkel").set_index("nokkel")["navn"].items()}
    t = data.table.set_index("kommunenummer")[["kommune", "anbefaling"]].join(wide).reset_index()
    cols = [Column("kommune", "Kommune", numeric=False), Column("anbefaling", "Anbefaling", css="anbefaling")] + [
        Column(k, labels[k]) for k in wide.columns]
    pieces = [heading(2, "Andre fordelingsmodeller", "referanse"),
              paragraph("Til sammenligning er totaltallet fordelt med nøkler som brukes andre steder, med de samme "
                        "avrundingsreglene. Forskjellene viser hva årets kriterier betyr i praksis."),
              table(t, cols, caption="Tabell 5. Anbefalingen sammenlignet med referansenøkler", row_header="kommune",
                    table_id="tabell-referanse")]
    if len(left_out):
        pieces.append(paragraph("Utelatt: " + " ".join(f"{norwegian_text(r.navn)}: {norwegian_text(r.merknad)}"
                                                       for r in left_out.itertuples())))
    return Html("".join(pieces))


def minors_section(data: ReportData) -> Html:
    """Unaccompanied minors: the total, how it was set, and who gets them."""
    t = data.table
    total = data.minors.get("enslige_mindreaarige_totalt", 0)
    basis = norwegian_text(data.minors.get("grunnlag", ""))
    rows = t.loc[t["herav_em"] > 0]
    able = int(t["kan_ta_em"].astype(bool).sum()) if "kan_ta_em" in t.columns else 0
    text = (f"Av totaltallet er {format_int(total)} enslige mindreårige ({basis}). De fordeles bare på kommuner som kan ta "
            f"imot dem ({able} kommuner: de som har bosatt enslige mindreårige de siste årene, eller som selv sier at de "
            "kan når tilbakemeldingene brukes), i forhold til kommunens samlede tall, aldri over kommunens oppgitte "
            "kapasitet for enslige mindreårige og aldri over kommunens samlede tall.")
    cols = [Column("kommune", "Kommune", numeric=False), Column("anbefaling", "Anbefaling i alt"),
            Column("herav_em", "Herav enslige mindreårige")]
    body = table(rows, cols, caption="Tabell 6. Kommuner som anbefales å bosette enslige mindreårige",
                 row_header="kommune", table_id="tabell-em") if len(rows) else paragraph("Ingen kommuner får enslige mindreårige.")
    return Html(heading(2, "Enslige mindreårige", "mindreaarige") + paragraph(text) + body)


def adjustments_section(data: ReportData) -> Html:
    """The county's own adjustments after the model, side by side with the model's number and the reason."""
    t = data.table
    adjusted = t.loc[t["justering"] != 0]
    head = heading(2, "Fylkets egne justeringer", "justeringer")
    if adjusted.empty:
        return Html(head + paragraph("Fylket har ikke justert noen av modellens tall. Justeringer føres i en egen fil "
                                     "(kommune, nytt tall eller endring, begrunnelse, hvem som besluttet) og vises her."))
    cols = [Column("kommune", "Kommune", numeric=False), Column("modell", "Modellens tall"),
            Column("justering", "Justering", formatter=lambda r: format_change(r["justering"])),
            Column("anbefaling", "Anbefaling"), Column("justering_begrunnelse", "Begrunnelse", numeric=False),
            Column("justering_besluttet_av", "Besluttet av", numeric=False)]
    others = t.loc[(t["justering"] == 0) & (t["modell"] != t["anbefaling"])]
    return Html(head + paragraph("Fylket har justert tallene under etter modellen. Resten av totaltallet er fordelt på nytt "
                                 "på de andre kommunene med de samme reglene, slik at summen fortsatt stemmer.")
                + table(adjusted, cols, caption="Tabell 7. Justeringer etter modellen", row_header="kommune", table_id="tabell-justeringer")
                + (paragraph(f"{len(others)} andre kommuner fikk et annet tall da resten ble fordelt på nytt.") if len(others) else ""))


def feedback_section(data: ReportData) -> Html:
    """Who answered the feedback round and who did not, with a short profile of each answer (escaped, no contacts)."""
    head = heading(2, "Tilbakemeldinger fra kommunene", "tilbakemeldinger")
    fb = data.feedback
    if fb is None:
        return Html(head + paragraph("Det er ikke lest inn tilbakemeldinger fra kommunene dette året."))
    example = "tilbakemeldinger" in example_inputs(data.run)
    answered = fb.loc[fb["svart"].astype(bool)]
    missing = fb.loc[~fb["svart"].astype(bool), "kommune"].tolist()
    parts = [head]
    if example:
        parts.append('<p class="banner" role="note"><strong>Eksempeldata</strong>Svarene under er eksempeldata, ikke ekte '
                     "svar fra kommunene. De vises for å vise hvordan rapporten ser ut, og påvirker ikke tallene.</p>")
    parts.append(paragraph(f"{len(answered)} av {len(fb)} kommuner har svart. "
                           + (f"Ikke svart: {', '.join(missing)}." if missing else "Alle har svart.")))
    steering = feedback_steers(data.run)
    parts.append(paragraph("Oppgitt kapasitet brukes som øvre grense for kommunens tall, og kommuner som ikke ønsker å "
                           "bosette får 0." if steering else
                           "Svarene brukes ikke i beregningen av tallene i år (se banneret over)."))
    for row in answered.sort_values("kommunenummer").itertuples():
        items = []
        def add(label: str, value: object) -> None:
            if value is not None and not pd.isna(value) and str(value).strip():
                items.append(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>")
        capacity = row.kapasitet_tekst if not pd.isna(row.kapasitet_tekst) else None
        add("Kapasitet (oppgitt)", capacity)
        add("Ønske", row.onske)
        add("Kan bosette enslige mindreårige", _yes_no(row.em_kan_bosette))
        add("Kapasitet for enslige mindreårige", None if pd.isna(row.em_kapasitet) else format_int(row.em_kapasitet))
        add("Kvalifiseringstilbud med resultater", row.kvalifiseringstilbud)
        add("Interkommunalt samarbeid", row.samarbeid)
        add("Om samarbeidet", row.samarbeid_tekst)
        add("Behov for arbeidskraft", row.arbeidskraftbehov)
        add("Merknad fra analytiker", row.flagg)
        parts.append(f'<section class="profil"><h3 id="profil-{esc(row.kommunenummer)}">{esc(row.kommune)}</h3><dl>{"".join(items)}</dl></section>')
    return Html("".join(parts))


def _yes_no(value: object) -> str | None:
    """'Ja'/'Nei' for a yes/no answer however the CSV round trip typed it; None when not answered."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip().casefold()
    return {"true": "Ja", "ja": "Ja", "1": "Ja", "false": "Nei", "nei": "Nei", "0": "Nei"}.get(text)


def backtest_section(data: ReportData) -> Html:
    """How the model compares with IMDi's actual request for the year, when that is in the data."""
    if data.backtest is None or data.backtest_summary is None:
        return Html("")
    s, b = data.backtest_summary, data.backtest
    names = data.criterion_names
    b = b.assign(kriterium=b["viktigste_kriterium"].map(names).fillna(b["viktigste_kriterium"]))
    cols = [Column("kommune", "Kommune", numeric=False), Column("modell", "Modellen"),
            Column("faktisk_anmodet", "IMDis anmodning"), Column("avvik", "Avvik", formatter=lambda r: format_decimal(r["avvik"], 1)),
            Column("kriterium", "Kriteriet som betyr mest", numeric=False)]
    return Html(
        heading(2, "Etterprøving mot IMDis faktiske anmodning", "etterproving")
        + paragraph(f"IMDis faktiske anmodning for {data.params.aar} finnes i dataene. Rangkorrelasjonen mellom modellen og "
                    f"anmodningen er {format_decimal(s['rangkorrelasjon'], 2)}, og gjennomsnittlig absolutt avvik er "
                    f"{format_decimal(s['gjennomsnittlig_absolutt_avvik'], 1)} personer per kommune (anmodningen skalert til "
                    "samme totaltall).")
        + table(b.head(8), cols, caption="Tabell 8. De største avvikene mellom modellen og IMDis anmodning", row_header="kommune",
                table_id="tabell-etterproving")
    )


# ----------------------------------------------------------------------------------------------------------------
# Method, sources, manifest


def method_section(data: ReportData) -> Html:
    """How the numbers were made, in plain Norwegian: criteria, weights, indicators, rounding, missing data."""
    from bosetting_lib.allocation import method_text_nb

    p = data.params
    weights = data.key_meta.get("vekter", {})
    criteria = [f"{c.navn} – vekt {format_percent(weights.get(c.id, 0), 0)}"
                + (f" (satt til {format_percent(c.vekt, 0)})" if abs(weights.get(c.id, 0) - c.vekt) > 1e-9 else "")
                + f": {norwegian_text(c.beskrivelse)}" for c in p.kriterier]
    info = data.indicator_info.assign(datatype=lambda f: f["datatype"].map({"ekte": "ekte", "eksempel": "EKSEMPELDATA"}))
    indicator_rows = table(
        info, [Column("navn", "Indikator", numeric=False), Column("beskrivelse", "Hva den måler", numeric=False),
               Column("kilde", "Kilde", numeric=False), Column("aar", "År", numeric=False),
               Column("enhet", "Enhet", numeric=False), Column("datatype", "Data", numeric=False),
               Column("manglende", "Når tall mangler", numeric=False)],
        caption="Tabell 9. Indikatorene i nøkkelen", row_header="navn", table_id="tabell-indikatorer",
    )
    influence = data.key_meta.get("befolkningens_innflytelse", {})
    exceptions = ", ".join(p.unntak) if p.unntak else "ingen"
    notes = [norwegian_text(n) for n in data.key_meta.get("merknader", [])]
    parts = [
        heading(2, "Slik er tallene laget", "metode"),
        heading(3, f"Årets nasjonale kriterier ({p.aar})", "nasjonale-kriterier"),
        bullet_list([norwegian_text(x) for x in p.nasjonale_kriterier]) if p.nasjonale_kriterier else paragraph("Ikke oppgitt i parameterfilen."),
        heading(3, "Nøkkelen", "nokkelen"),
        paragraph("Hvert kriterium gir hver kommune en andel av fylket (andelene summerer til 1). Et antall (folketall, "
                  "vedtak) gir andelen direkte. En rate eller et poeng skalerer et grunnlag opp eller ned, slik at en liten "
                  "kommune ikke får like mye som en stor bare fordi raten er lik. Nøkkelen er den vektede summen av "
                  "andelene, og fylkets totaltall fordeles etter nøkkelen. Kriteriene og vektene er:"),
        bullet_list(criteria),
    ]
    if notes:
        parts.append(bullet_list(notes))
    if influence:
        parts.append(heading(3, "Befolkningens innflytelse", "befolkning"))
        parts.append(paragraph(
            "En evaluering av IMDis egen modell fant at folketallet endte med å dominere uansett vekter, fordi flere "
            f"kriterier henger sammen med folketall. Her er korrelasjonen mellom nøkkelen og befolkningsandelen "
            f"{format_decimal(influence['korrelasjon'], 3, missing='ikke definert (for få kommuner)')}, og nøkkelen plasserer "
            f"{format_percent(influence['flyttet_andel'], 1)} av personene annerledes enn en ren fordeling etter folketall."))
    translation = data.run.processed_dir / "omkoding.csv"
    report_rows = pd.read_csv(translation, dtype=str) if translation.is_file() and translation.stat().st_size > 1 else pd.DataFrame()
    if not report_rows.empty:
        rules = report_rows.drop_duplicates(["fra_kode", "til_kode", "regel"])
        parts.append(heading(3, "Tall fra eldre kommuneinndelinger", "omkoding"))
        parts.append(paragraph("Tall fra år med en annen kommuneinndeling er lagt på årets inndeling. Sammenslåtte "
                               "kommuner er summert. Der en kommune er delt, er tallet fordelt etter en dokumentert regel "
                               "(eller vist som ikke fordelt), aldri stille utelatt eller telt to ganger:"))
        parts.append(table(rules, [Column("fra_kode", "Fra", numeric=False), Column("fra_navn", "Kommune", numeric=False),
                                   Column("til_kode", "Til", numeric=False), Column("til_navn", "Kommune (nå)", numeric=False),
                                   Column("regel", "Regel", numeric=False)],
                           caption="Tabell 11. Omkoding av eldre tall", row_header="fra_navn", table_id="tabell-omkoding"))
    parts += [
        indicator_rows,
        heading(3, "Avrunding til hele personer", "avrunding"),
        paragraph(method_text_nb(p.avrunding, p.minstetall)),
        paragraph(f"Minstetall: {p.minstetall}. Unntak fra minstetallet: {exceptions}. Avrundingsmetode: {p.avrunding}. "
                  "Oppgitt kapasitet fra kommunene brukes som øvre grense bare når tilbakemeldingene er ekte svar "
                  "(eller parameterfilen sier at eksempeldata skal brukes)."),
    ]
    return Html("".join(parts))


def sources_section(data: ReportData) -> Html:
    """Every input file with its source, licence, reference date and whether it is real or example data."""
    sources = data.sources.copy()
    sources["datatype"] = sources["datatype"].map({"ekte": "ekte statistikk", "eksempel": "EKSEMPELDATA"}).fillna(sources["datatype"])
    return Html(
        heading(2, "Datakilder", "kilder")
        + paragraph("Tallene fra IMDi og SSB er offentlige og brukes etter Norsk lisens for offentlige data (NLOD). "
                    "Kilde: IMDi. Kilde: Statistisk sentralbyrå (SSB). Kommunepunktene bygger på Kartverkets kommunegrenser.")
        + table(sources, [Column("fil", "Fil", numeric=False), Column("kilde", "Kilde", numeric=False),
                          Column("lisens", "Lisens", numeric=False), Column("referansedato", "Referansedato", numeric=False),
                          Column("datatype", "Type", numeric=False)],
                caption="Tabell 10. Inndata brukt i analysen", row_header="fil", table_id="tabell-kilder")
    )


def manifest_footer(data: ReportData) -> Html:
    """The run's manifest: parameters, input checksums, package versions and git commit."""
    m = data.manifest
    packages = ", ".join(f"{k} {v}" for k, v in sorted(m.get("pakker", {}).items()) if v)
    checksums = "".join(f"<li><code>{esc(k)}</code>: <code>{esc(v)}</code></li>" for k, v in sorted(m.get("inndata_sha256", {}).items()))
    return Html(
        '<footer><h2 id="manifest">Sporbarhet</h2>'
        f"<p>Parameterfil: <code>{esc(m.get('parameterfil'))}</code> (SHA-256 <code>{esc(m.get('parameterfil_sha256'))}</code>). "
        f"Programversjon (git): <code>{esc(m.get('git_commit') or 'ukjent')}</code>. Pakker: {esc(packages)}.</p>"
        f"<details><summary>Sjekksummer (SHA-256) for alle {len(m.get('inndata_sha256', {}))} inndatafiler</summary>"
        f'<ul class="manifest">{checksums}</ul></details>'
        "<p>Samme inndata og parametere gir nøyaktig samme rapport. Rapporten er laget med bosetting, et åpent verktøy "
        "for fylkeskommunenes anbefaling om bosetting.</p></footer>"
    )
