"""The report's sections as HTML, built from the processed tables; the report notebook only displays them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from bosetting_lib.context import RunContext
from bosetting_lib.figures import PALETTE, figure_html
from bosetting_lib.formatting import format_int, format_percent
from bosetting_lib.html_blocks import Column, Html, bullet_list, esc, heading, paragraph, table
from bosetting_lib.recommendation import read_processed

SUPPRESSION_NOTE = (
    "«:» betyr at IMDi har skjult tallet av personvernhensyn (vanligvis færre enn 5 personer). "
    "«-» betyr at kommunen ikke fattet vedtak fordi den ikke ble anmodet. «–» betyr at tallet ikke finnes."
)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from the run's processed folder."""

    run: RunContext
    table: pd.DataFrame
    indicator_info: pd.DataFrame
    contributions: pd.DataFrame
    sources: pd.DataFrame
    manifest: dict

    @property
    def history_years(self) -> list[int]:
        years = {int(c.rsplit("_", 1)[1]) for c in self.table.columns if c.startswith("anmodet_") and not c.endswith("status")}
        return sorted(years)

    @property
    def county_name(self) -> str:
        return self.run.params.fylke or f"fylke {self.run.params.fylkesnummer}"


def load_report_data(run: RunContext) -> ReportData:
    """Read the processed tables and the raw data's manifest."""
    contrib = pd.read_csv(run.processed_dir / "bidrag.csv", dtype={"kommunenummer": str}).set_index("kommunenummer")
    return ReportData(
        run=run,
        table=read_processed(run, "anbefaling"),
        indicator_info=pd.read_csv(run.processed_dir / "indikatorer_beskrivelse.csv", dtype=str),
        contributions=contrib,
        sources=pd.read_csv(run.data.manifest, dtype=str, keep_default_na=False),
        manifest=run.manifest(),
    )


def _history_cell(variable: str, year: int) -> callable:
    def cell(row: pd.Series) -> str:
        status = row.get(f"{variable}_{year}_status")
        if isinstance(status, str) and status:
            return esc(status)
        return format_int(row.get(f"{variable}_{year}"))
    return cell


def title_block(data: ReportData) -> Html:
    """Title, the recommendation in one sentence, and the key figures."""
    p, t = data.run.params, data.table
    zero = int((t["anbefaling"] == 0).sum())
    last_year = max(data.history_years) if data.history_years else None
    parts = [
        f"<h1>Anbefaling om bosetting av flyktninger i {p.aar} – {esc(data.county_name)}</h1>",
        paragraph(
            f"{data.county_name} fylkeskommune anbefaler at kommunene i fylket samlet anmodes om å bosette "
            f"{format_int(p.totalt)} flyktninger i {p.aar}, fordelt på kommunene slik tabellen under viser. "
            "Tallene er regnet ut med en åpen fordelingsnøkkel og avrundet etter faste regler, slik at hver kommune "
            f"får 0 eller minst {p.minstetall} personer og summen blir nøyaktig fylkets tall.",
            css="ingress",
        ),
    ]
    figures = [("Samlet anbefaling", format_int(p.totalt) + " personer"),
               ("Kommuner som anbefales å bosette", f"{format_int(len(t) - zero)} av {format_int(len(t))}"),
               ("Kommuner med 0", format_int(zero))]
    if last_year is not None and f"anmodet_{last_year}" in t.columns:
        figures.append((f"IMDis anmodning {last_year}", format_int(t[f"anmodet_{last_year}"].sum()) + " personer"))
    parts.append('<ul class="nokkeltall">' + "".join(f"<li>{esc(k)}<strong>{v}</strong></li>" for k, v in figures) + "</ul>")
    return Html("".join(parts))


def example_banner(data: ReportData) -> Html:
    """A visible banner naming every input that is example data, or nothing when all inputs are real."""
    examples = data.sources.loc[data.sources["datatype"] == "eksempel", "fil"].tolist()
    if not examples:
        return Html("")
    return Html(
        '<div class="banner" role="note"><strong>Eksempeldata</strong>'
        "Noen inndata er eksempeldata og ikke ekte statistikk: " + esc(", ".join(examples)) + ".</div>"
    )


def recommendation_section(data: ReportData) -> Html:
    """The recommendation table for every municipality with the available history."""
    p, t = data.run.params, data.table.copy()
    columns = [Column("kommunenummer", "Nr.", numeric=False), Column("kommune", "Kommune", numeric=False),
               Column("folketall", f"Folketall 1.1.{p.aar - 1}")]
    for year in data.history_years:
        for variable, label in (("anmodet", "anmodet"), ("vedtatt", "vedtatt"), ("bosatte", "bosatt")):
            if f"{variable}_{year}" in t.columns:
                columns.append(Column(f"{variable}_{year}", f"{year} {label}", formatter=_history_cell(variable, year)))
    columns.append(Column("anbefaling", f"Anbefaling {p.aar}", css="anbefaling"))
    totals = {"kommune": "Sum", "folketall": format_int(t["folketall"].sum()), "anbefaling": format_int(t["anbefaling"].sum())}
    for year in data.history_years:
        for variable in ("anmodet", "vedtatt"):
            if f"{variable}_{year}" in t.columns:
                totals[f"{variable}_{year}"] = format_int(t[f"{variable}_{year}"].sum())
    return Html(
        heading(2, f"Anbefalt antall per kommune i {p.aar}", "anbefaling")
        + table(t, columns, caption=f"Anbefalt antall flyktninger per kommune i {p.aar}, med IMDis tall for tidligere år",
                row_header="kommune", table_id="tabell-anbefaling", total_row=totals,
                note=SUPPRESSION_NOTE + " Summen av bosatte er utelatt fordi prikkede tall mangler. Kilde: IMDi, SSB.")
    )


def figure_against_last_year(data: ReportData) -> Html:
    """Dot plot: this year's recommendation against the latest request, every municipality, directly labelled."""
    if not data.history_years:
        return Html("")
    year = max(data.history_years)
    t = data.table.sort_values("anbefaling", kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(4, 0.24 * len(t))))
    y = range(len(t))
    ax.scatter(t[f"anmodet_{year}"].astype("float64"), y, marker="o", facecolors="none", edgecolors=PALETTE["orange"],
               linewidths=1.5, label=f"IMDis anmodning {year}", zorder=3)
    ax.scatter(t["anbefaling"], y, marker="D", color=PALETTE["blue"], label=f"Anbefaling {data.run.params.aar}", zorder=4)
    ax.set_yticks(list(y), t["kommune"].tolist())
    ax.set_xlabel("Personer")
    ax.grid(axis="x", color="#dddddd")
    ax.legend(loc="lower right", frameon=False)
    biggest = t.iloc[-1]
    ax.annotate(f"{format_int(biggest['anbefaling'])}", (biggest["anbefaling"], len(t) - 1), textcoords="offset points",
                xytext=(6, -3), fontsize=9)
    changed_up = int((t["anbefaling"] > t[f"anmodet_{year}"]).sum())
    changed_down = int((t["anbefaling"] < t[f"anmodet_{year}"]).sum())
    alt = (f"Prikkdiagram med én rad per kommune. For hver kommune vises anbefalingen for {data.run.params.aar} "
           f"(fylt ruter) og IMDis anmodning for {year} (åpen sirkel). {changed_up} kommuner får høyere tall enn "
           f"anmodningen i {year}, {changed_down} får lavere. Tallene står i tabellen over.")
    caption = (f"Figur 1. Anbefaling {data.run.params.aar} (ruter) mot IMDis anmodning {year} (sirkler), personer per "
               "kommune, sortert etter anbefalingen. Kilde: IMDi, egne beregninger.")
    return Html(heading(2, f"Sammenlignet med anmodningen for {year}", "sammenligning")
                + figure_html(fig, alt=alt, caption=caption, figure_id="figur-mot-fjoraaret"))


def method_section(data: ReportData) -> Html:
    """How the numbers were made, in plain Norwegian: criteria, weights, indicators, rounding."""
    from bosetting_lib.allocation import METHOD_TEXT_NB

    p = data.run.params
    criteria = [f"{c.navn} ({format_percent(c.vekt, 0)}): {c.beskrivelse}" for c in p.kriterier]
    info = data.indicator_info
    indicator_rows = table(
        info, [Column("navn", "Indikator", numeric=False), Column("beskrivelse", "Hva den måler", numeric=False),
               Column("kilde", "Kilde", numeric=False), Column("aar", "År", numeric=False),
               Column("enhet", "Enhet", numeric=False), Column("manglende", "Når tall mangler", numeric=False)],
        caption="Indikatorene i nøkkelen", row_header="navn", table_id="tabell-indikatorer",
    )
    exceptions = ", ".join(p.unntak) if p.unntak else "ingen"
    return Html(
        heading(2, "Slik er tallene laget", "metode")
        + paragraph("Hvert kriterium gir hver kommune en andel av fylket (andelene summerer til 1). Nøkkelen er den "
                    "vektede summen av andelene, og fylkets totaltall fordeles etter nøkkelen. Kriteriene og vektene er:")
        + bullet_list(criteria)
        + indicator_rows
        + heading(3, "Avrunding til hele personer", "avrunding")
        + paragraph(METHOD_TEXT_NB)
        + paragraph(f"Minstetall: {p.minstetall}. Unntak fra minstetallet: {exceptions}. Avrundingsmetode: {p.avrunding}.")
    )


def sources_section(data: ReportData) -> Html:
    """Every input file with its source, licence, reference date and whether it is real or example data."""
    sources = data.sources.copy()
    sources["datatype"] = sources["datatype"].map({"ekte": "ekte statistikk", "eksempel": "EKSEMPELDATA"}).fillna(sources["datatype"])
    return Html(
        heading(2, "Datakilder", "kilder")
        + paragraph("Tallene fra IMDi og SSB er offentlige og brukes etter Norsk lisens for offentlige data (NLOD). "
                    "Kilde: IMDi. Kilde: Statistisk sentralbyrå (SSB).")
        + table(sources, [Column("fil", "Fil", numeric=False), Column("kilde", "Kilde", numeric=False),
                          Column("lisens", "Lisens", numeric=False), Column("referansedato", "Referansedato", numeric=False),
                          Column("datatype", "Type", numeric=False)],
                caption="Inndata brukt i analysen", row_header="fil", table_id="tabell-kilder")
    )


def manifest_footer(data: ReportData) -> Html:
    """The run's manifest: parameters, input checksums, package versions and git commit."""
    m = data.manifest
    packages = ", ".join(f"{k} {v}" for k, v in sorted(m.get("pakker", {}).items()) if v)
    checksums = "".join(f"<li><code>{esc(k)}</code>: <code>{esc(v[:16])}…</code></li>" for k, v in sorted(m.get("inndata_sha256", {}).items()))
    return Html(
        '<footer><h2 id="manifest">Sporbarhet</h2>'
        f"<p>Parameterfil: <code>{esc(m.get('parameterfil'))}</code> (SHA-256 <code>{esc(str(m.get('parameterfil_sha256'))[:16])}…</code>). "
        f"Programversjon (git): <code>{esc(m.get('git_commit') or 'ukjent')}</code>. Pakker: {esc(packages)}.</p>"
        f"<details><summary>Sjekksummer (SHA-256) for alle inndatafiler</summary><ul class=\"manifest\">{checksums}</ul></details>"
        "<p>Samme inndata og parametere gir nøyaktig samme rapport.</p></footer>"
    )


def manifest_json(data: ReportData) -> str:
    """The manifest as sorted JSON (for the analyst's notebook view)."""
    return json.dumps(data.manifest, ensure_ascii=False, indent=2, sort_keys=True)
