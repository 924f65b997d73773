"""The report's sections as HTML, built from the processed tables; the report notebook only displays them.

Every data value is escaped (free text from municipalities included); numbers use the Norwegian format; every
figure has alt text and a caption; every table a caption and header cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent, norwegian_text
from bosetting_lib.model.history import history_years
from bosetting_lib.outputs import municipality_info
from bosetting_lib.outputs.figures import (PALETTE, figure_html, horizontal_bars, norwegian_axis, place_labels,
                                          series_style)
from bosetting_lib.outputs.html import Column, Html, bullet_list, esc, heading, paragraph, short_label, table
from bosetting_lib.outputs.method_text import method_text_nb
from bosetting_lib.outputs.report_meta import report_meta
from bosetting_lib.sources.freshness import read_warnings
from bosetting_lib.sources.raw_manifest import read_manifest, used_rows
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import example_inputs, feedback_steers, read_document, read_optional, read_table
from bosetting_lib.feedback.read import public_feedback_table

from bosetting_lib.outputs.suppression import SUPPRESSION_THRESHOLD
SUPPRESSION_NOTE = (
    "«:» betyr at tallet er skjult av personvernhensyn (færre enn 5 personer). «-» betyr at kommunen ikke ble "
    "anmodet, og derfor ikke fattet vedtak."
)
# Tables and figures are numbered in this order, skipping those a report does not have.
TABLE_ORDER = ("anbefaling", "historikk", "bidrag", "usikkerhet", "scenarier", "referanse", "mindreaarige",
               "justeringer", "modelltreff", "etterproving", "omkoding", "indikatorer", "kilder")
FIGURE_ORDER = ("sammenligning", "bidrag", "kart", "usikkerhet")
SOURCE_NOTE = "Kilde: IMDi, SSB, egne beregninger."
METHOD_NAMES = {"sainte-lague": "Sainte-Laguës metode", "dhondt": "d'Hondts metode", "largest-remainder": "største brøks metode"}


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
    contributions: pd.DataFrame  # the explanation's whole-number parts per municipality (bidrag)
    key_meta: dict  # step 02's criteria document (kriterier.json)
    sensitivity: pd.DataFrame
    scenarios: pd.DataFrame
    reference: pd.DataFrame
    minors: dict
    feedback: pd.DataFrame | None
    backtest: pd.DataFrame | None
    backtest_summary: dict | None
    sources: pd.DataFrame
    manifest: dict
    translation: pd.DataFrame | None = None
    geography: pd.DataFrame | None = None
    municipality_info: tuple | None = None  # (rows, county inputs) from municipality_info.load
    model_meta: dict | None = None  # step 03's model document (modell.json): the parts' labels, settings
    model_history: pd.DataFrame | None = None  # how the model and the references hit the county before (modelltreff)

    @property
    def params(self):
        return self.run.params

    @property
    def history_years(self) -> list[int]:
        return history_years(self.table.columns, "anmodet", before=self.params.aar)

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
    def part_labels(self) -> dict[str, str]:
        """The explanation's parts (bidrag's columns) with their Norwegian labels."""
        return (self.model_meta or {}).get("ledd", {})

    @property
    def example_files(self) -> list[str]:
        """Example-data files among this run's own inputs (not every example file in the folder)."""
        used = used_rows(self.sources, [*self.params.inndata_valgfrie.values(), self.params.inndata_folketall,
                                        *self.params.inndata_imdi.values()])
        return list(used.loc[used["datatype"] == "eksempel", "fil"])

    @property
    def present_tables(self) -> list[str]:
        t = self.table
        present = {"anbefaling", "historikk" if self.history_years else "", "bidrag", "usikkerhet", "scenarier",
                   "referanse", "indikatorer", "kilder",
                   "mindreaarige" if (t["herav_em"] > 0).any() else "",
                   "justeringer" if (t["justering"] != 0).any() else "",
                   "modelltreff" if self.model_history is not None and not self.model_history.empty else "",
                   "etterproving" if self.backtest is not None else "",
                   "omkoding" if self.translation is not None and not self.translation.empty else ""}
        return [k for k in TABLE_ORDER if k in present]

    def table_no(self, key: str) -> int:
        """The table's number in this report."""
        return self.present_tables.index(key) + 1

    def figure_no(self, key: str) -> int:
        """The figure's number in this report."""
        present = [k for k in FIGURE_ORDER if k != "kart" or self.has_map]
        if self.last_year is None:
            present = [k for k in present if k != "sammenligning"]
        return present.index(key) + 1

    @property
    def has_map(self) -> bool:
        """A point is known inside every municipality of the county (step 01's geography table)."""
        return self.geography is not None and self.geography["punkt_i_flate_lat"].notna().all()

    @property
    def is_backtest(self) -> bool:
        return self.backtest is not None


def load_report_data(run: RunContext) -> ReportData:
    """Read the processed tables (through the catalogue) and the raw data's manifest."""
    out = run.processed_dir
    feedback = read_optional(out, "tilbakemeldinger")
    translation = read_optional(out, "omkoding")
    return ReportData(
        run=run,
        table=read_table(out, "anbefaling"),
        indicator_info=read_table(out, "indikatorer_beskrivelse"),
        contributions=read_table(out, "bidrag"),
        key_meta=read_document(out, "kriterier") or {},
        sensitivity=read_table(out, "usikkerhet"),
        scenarios=read_table(out, "scenarier"),
        reference=read_table(out, "referansenokler"),
        minors=read_document(out, "enslige_mindreaarige") or {},
        feedback=None if feedback is None else public_feedback_table(feedback),
        backtest=read_optional(out, "backtest"),
        backtest_summary=read_document(out, "backtest"),
        sources=read_manifest(run.data),
        manifest=run.manifest(),
        translation=None if translation is None or translation.empty else translation,
        geography=read_optional(out, "geografi"),
        municipality_info=municipality_info.load(run.params, out, run.data),
        model_meta=read_document(out, "modell") or {},
        model_history=read_optional(out, "modelltreff"),
    )


# ----------------------------------------------------------------------------------------------------------------
# First screen


def title_block(data: ReportData) -> Html:
    """Title, the recommendation in plain words, the key figures and the few messages that matter."""
    p, t = data.params, data.table
    zero = t.loc[t["anbefaling"] == 0, "kommune"].tolist()
    meta = report_meta(p, used_sources(data))
    parts = [f"<h1>Anbefaling om bosetting av flyktninger i {p.aar} – {esc(data.county_name)}</h1>"]
    trial = read_warnings(data.run.processed_dir)  # a trial run (--proeve) on missing or old inputs says so first
    if trial:
        parts.append(
            '<div class="banner" role="alert"><strong>Prøvekjøring: inndata mangler eller er for gamle</strong>'
            "Rapporten er laget med «--proeve» og er ikke en anbefaling før dette er rettet:<ul>"
            + "".join(f"<li>{esc(w)}</li>" for w in trial) + "</ul></div>")
    parts.append('<dl class="metadata">' + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta.rows())
                 + "</dl>")
    parts.append(accepted_deviations(data))
    if data.is_backtest:
        summary = data.backtest_summary or {}
        parts.append(
            '<div class="banner" role="note"><strong>Etterprøving, ikke en anbefaling</strong>'
            f"Denne rapporten viser hva modellen ville anbefalt for {p.aar}, laget som om det var våren før, og "
            f"sammenligner med IMDis faktiske anmodning (se «Etterprøving»). Gjennomsnittlig avvik: "
            f"{format_decimal(summary.get('gjennomsnittlig_absolutt_avvik'), 1)} personer per kommune.</div>")
    if len(t) == 1:
        parts.append(paragraph(
            f"{meta.sender} anbefaler at {t['kommune'].iloc[0]} anmodes om å bosette {format_int(p.totalt)} flyktninger "
            f"i {p.aar}, hele fylkets totaltall fra IMDi. Fylket har bare én kommune, så det er ingenting å fordele; "
            "tallene under viser likevel grunnlaget.", css="ingress"))
    else:
        parts.append(Html(
            f'<p class="ingress">{esc(meta.sender)} anbefaler at kommunene i fylket til sammen anmodes om å bosette '
            f"{format_int(p.totalt)} flyktninger i {p.aar}. Tallet for hver kommune står i "
            f'<a href="#anbefaling">tabell {data.table_no("anbefaling")}, «{esc(title_of(data, "anbefaling"))}»</a>. '
            f"Tallene tar utgangspunkt i hver kommunes anmodning og vedtak {'i fjor' if data.last_year else ''}, skalert til "
            f"årets totaltall; årets kriterier flytter dem litt opp eller ned, og kommuner som ble anmodet om 0 blir stående "
            f"på 0 med mindre de selv sier noe annet. Hver kommune får 0, et begrunnet unntak eller minst "
            f"{p.minstetall} personer, og summen blir nøyaktig {format_int(p.totalt)}.</p>"))
    em = int(t["herav_em"].sum()) if "herav_em" in t.columns else 0
    em_label = "Herav enslige mindreårige" + (" (anslag)" if data.params.enslige_mindreaarige is None else "")
    figures = [("Samlet anbefaling", format_int(p.totalt) + " personer"), (em_label, format_int(em) + " personer"),
               ("Kommuner som anbefales å bosette", f"{format_int(len(t) - len(zero))} av {format_int(len(t))}")]
    if data.last_year is not None:
        figures.append((f"IMDis anmodning {data.last_year}", format_int(t[f"anmodet_{data.last_year}"].sum()) + " personer"))
    parts.append('<ul class="nokkeltall">' + "".join(f"<li>{esc(k)}<strong>{v}</strong></li>" for k, v in figures) + "</ul>")
    parts.append(heading(2, "Det viktigste", "viktigste"))
    parts.append(bullet_list(key_messages(data)))
    return Html("".join(parts))


def accepted_deviations(data: ReportData) -> Html:
    """The implausible figures the parameters accept (``godta_avvik``), each with the county's reason, on the first
    screen: a reader should see that a figure the checks doubted was kept on purpose."""
    rows = (read_document(data.run.processed_dir, "innlesing") or {}).get("godtatte_avvik") or []
    if not rows:
        return Html("")
    items = "".join(
        f"<li>{esc(r['kommunenummer'])} {esc(r['kommune'])}, {esc(r['variabel'])} {esc(r['aar'])} = {esc(r['verdi'])} "
        f"({esc(r['fil'])}): {esc(r['hvorfor'])}. <em>Godtatt fordi:</em> {esc(r['begrunnelse'])}</li>" for r in rows)
    return Html('<div class="banner" role="note"><strong>Tall som er godtatt selv om kontrollen tvilte på dem</strong>'
                f"Parameterfilen godtar {_count_word(len(rows)).lower()} avvik (godta_avvik):<ul>{items}</ul></div>")


def _count_word(n: int) -> str:
    words = {1: "Én", 2: "To", 3: "Tre", 4: "Fire", 5: "Fem", 6: "Seks", 7: "Sju", 8: "Åtte", 9: "Ni", 10: "Ti"}
    return words.get(n, format_int(n))


def _municipalities(n: int) -> str:
    return "kommune" if n == 1 else "kommuner"


def _count_start(n: int) -> str:
    """The start of a sentence about n municipalities, never a numeral first: 'Én kommune', 'Til sammen 11 kommuner'."""
    return f"{_count_word(n)} {_municipalities(n)}" if n <= 10 else f"Til sammen {format_int(n)} kommuner"


def _count_phrase(n: int) -> str:
    """n municipalities inside a sentence: 'én kommune', 'tre kommuner', '13 kommuner'."""
    return (_count_word(n).lower() if n <= 10 else format_int(n)) + " " + _municipalities(n)


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def key_messages(data: ReportData) -> list[str]:
    """The few messages a reader needs first, generated from the numbers."""
    p, t = data.params, data.table
    messages = []
    if data.last_year is not None:
        last = f"anmodet_{data.last_year}"
        before, decided = int(t[last].sum()), t.get(f"vedtatt_{data.last_year}")
        change = t["endring_fra_anmodning"].astype("float64")
        frame = t.assign(d=change)
        up = frame.loc[frame["d"] > 0].sort_values("d", ascending=False, kind="stable").head(3)
        down = frame.loc[frame["d"] < 0].sort_values("d", kind="stable").head(3)
        decided_text = (f"; kommunene vedtok til sammen {format_int(decided.sum())}" if decided is not None else "")
        diff = p.totalt - before
        text = (f"Totaltallet er {format_int(abs(diff))} {'høyere' if diff > 0 else 'lavere'} enn" if diff else
                "Totaltallet er det samme som")
        text += f" IMDis anmodning for {data.last_year} ({format_int(before)}{decided_text})."
        if len(up):
            text += " Størst økning: " + ", ".join(f"{r.kommune} ({format_change(r.d)})" for r in up.itertuples()) + "."
        if len(down):
            text += " Størst nedgang: " + ", ".join(f"{r.kommune} ({format_change(r.d)})" for r in down.itertuples()) + "."
        messages.append(text)
    kept_zero = t["null_viderefort"].astype(str).eq("True") if "null_viderefort" in t.columns else t["anbefaling"].lt(0)
    if kept_zero.any():
        names_ = t.loc[kept_zero, "kommune"].tolist()
        messages.append(f"{_count_start(len(names_))} anbefales fortsatt 0 fordi {'den' if len(names_) == 1 else 'de'} ble "
                        f"anmodet om 0 for {data.last_year} og ikke har svart at {'den' if len(names_) == 1 else 'de'} vil "
                        f"bosette: {_names(names_)}. Skal en av dem bosette, må svaret eller et unntak si det.")
    declined = t["status"].eq("takket nei")
    if declined.any():
        names_ = t.loc[declined, "kommune"].tolist()
        messages.append(f"{_count_start(len(names_))} har svart at {'den' if len(names_) == 1 else 'de'} ikke vil bosette, "
                        f"og får 0: {_names(names_)}.")
    zero = t.loc[(t["anbefaling"] == 0) & ~kept_zero & ~declined, "kommune"].tolist()
    if zero:
        messages.append(f"{_count_start(len(zero))} anbefales 0 fordi tallet tilsvarer færre enn "
                        f"{format_int(p.minstetall / 2)} personer (minstetallet er {p.minstetall}): {_names(zero)}.")
    excepted = t.loc[t["status"].eq("unntak")]
    if len(excepted):
        messages.append("Unntak fra minstetallet: " + "; ".join(
            f"{r.kommune} {format_int(r.anbefaling)} ({norwegian_text(r.aarsak)})" for r in excepted.itertuples()) + ".")
    if "unntak_forslag" in t.columns:
        proposed = t.loc[t["unntak_forslag"].notna()]
        if len(proposed):
            messages.append(
                "Forslag til unntak (ikke brukt; legg dem inn under unntak med begrunnelse om fylket er enig): "
                + "; ".join(f"{r.kommune} {format_int(r.unntak_forslag)} ({norwegian_text(r.unntak_forslag_begrunnelse)}; "
                            f"nå {format_int(r.anbefaling)})" for r in proposed.itertuples()) + ".")
    raised = t.loc[t["status"].eq("rundet opp til minstetallet"), "kommune"].tolist()
    if raised:
        messages.append(f"{_count_start(len(raised))} er rundet opp til minstetallet på {p.minstetall}: "
                        f"{_names(raised)}.")
    adjusted = t.loc[t["justering"] != 0]
    messages.append(f"Fylket har endret {len(adjusted)} av modellens tall (se «Fylkets egne justeringer»)."
                    if len(adjusted) else "Fylket har ikke endret noen av modellens tall.")
    history = model_history_message(data)
    if history:
        messages.append(history)
    if len(t) == 1:
        return messages
    s = data.sensitivity
    border = s.loc[(s["zero_share"] > 0.05) & (s["zero_share"] < 0.95)]
    typical = int(np.median((s["p90"] - s["p10"]).to_numpy()))
    text = (f"Når modellens innstillinger varieres, endres de fleste kommunenes tall med høyst "
            f"{format_int(max(typical, 1))}–{format_int(max(typical, 1) + 2)} personer")
    now = t.set_index("kommunenummer")
    at_zero = border.loc[now.loc[border.index, "anbefaling"].eq(0).to_numpy()]
    at_minimum = border.drop(at_zero.index)
    if len(at_minimum):
        names_ = now.loc[at_minimum.index, "kommune"].tolist()
        one = len(names_) == 1
        text += (f". {_names(names_)} ligger på grensen mot minstetallet: med litt andre innstillinger får "
                 f"{'kommunen' if one else 'de'} 0 i stedet for {format_int(now.loc[at_minimum.index, 'anbefaling'].min())}"
                 + (" eller mer" if now.loc[at_minimum.index, "anbefaling"].nunique() > 1 else "")
                 + f" (i {format_percent(at_minimum['zero_share'].mean(), 0)} av trekkene{'' if one else ' i snitt'})")
    if len(at_zero):
        names_ = now.loc[at_zero.index, "kommune"].tolist()
        one = len(names_) == 1
        text += (f". {_names(names_)} anbefales 0, men ligger på grensen: med litt andre innstillinger får "
                 f"{'kommunen' if one else 'de'} minst {p.minstetall} (i {format_percent(1 - at_zero['zero_share'].mean(), 0)} "
                 f"av trekkene{'' if one else ' i snitt'})")
    messages.append(text + ".")
    if data.feedback is not None and "kapasitet_maks" in data.feedback.columns:
        caps = data.feedback.set_index("kommunenummer")["kapasitet_maks"]
        over = t.set_index("kommunenummer")["anbefaling"].gt(caps.reindex(t["kommunenummer"]).to_numpy())
        if over.any():
            example = " (eksempeldata; brukes ikke i tallene)" if not feedback_steers(data.run) else ""
            messages.append(f"For {_count_phrase(int(over.sum()))} er anbefalingen høyere enn det kommunen selv har "
                            f"oppgitt som kapasitet{example}.")
    return messages


def example_banner(data: ReportData) -> Html:
    """One visible banner when this run's inputs include example data, and whether it steers the numbers."""
    examples = data.example_files
    if not examples:
        return Html("")
    steering = data.params.bruk_eksempeldata
    consequence = ("ANBEFALINGEN BYGGER DELVIS PÅ EKSEMPELDATA, fordi parameterfilen tar dem med (bruk_eksempeldata)."
                   if steering else "De vises bare for å vise hvordan rapporten vil se ut, og påvirker ikke tallene.")
    folders = sorted({f.rsplit("/", 1)[0] + "/" if "/" in f else f for f in examples})
    return Html(
        '<div class="banner" role="note"><strong>Inneholder eksempeldata</strong>'
        f"Svarene fra kommunene i denne rapporten er oppdiktede eksempler, ikke ekte svar ({esc(', '.join(folders))}). "
        f"{esc(consequence)}</div>"
    )


def section_titles(data: ReportData) -> list[tuple[str, str]]:
    """(anchor, heading) of every section this report has, in order; the headings use the same texts."""
    p = data.params
    items = [("anbefaling", f"Anbefalt antall per kommune i {p.aar}")]
    if data.last_year is not None:
        items.append(("sammenligning", f"Sammenlignet med anmodningen for {data.last_year}"))
    items += [("bidrag", "Fra fjorårets anmodning til årets tall")] + ([("kart", "Oversikt over fylket")] if data.has_map else [])
    items += [("usikkerhet", "Hvor sikre er tallene?"), ("scenarier", "Andre totaltall"),
              ("referanse", "Andre fordelingsmodeller"), ("mindreaarige", "Enslige mindreårige"),
              ("justeringer", "Fylkets egne justeringer"), ("tilbakemeldinger", "Tilbakemeldinger fra kommunene")]
    if data.municipality_info is not None:
        items.append(("kommuneinformasjon", "Kommuneinformasjon til IMDi"))
    if data.model_history is not None and not data.model_history.empty:
        items.append(("modelltreff", "Slik har modellen truffet før"))
    if data.is_backtest:
        items.append(("etterproving", "Etterprøving mot IMDis faktiske anmodning"))
    items += [("metode", "Slik er tallene laget"), ("kilder", "Datakilder"), ("manifest", "Sporbarhet")]
    return items


def title_of(data: ReportData, anchor: str) -> str:
    """A section's heading text."""
    return dict(section_titles(data))[anchor]


def contents(data: ReportData) -> Html:
    """A table of contents with links to the sections (internal anchors only)."""
    links = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in section_titles(data))
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
    """The recommendation for every municipality with minors, change and the reason; IMDi's history in a second table."""
    p, t = data.params, data.table
    columns = [Column("kommunenummer", "Nr.", numeric=False), Column("kommune", "Kommune", numeric=False),
               Column("anbefaling", f"Anbefaling {p.aar}", css="anbefaling"),
               Column("herav_em", "Herav enslige mindreårige")]
    if data.last_year is not None:
        columns.append(Column("endring_fra_anmodning", f"Endring fra anmodet {data.last_year}",
                              formatter=lambda r: format_change(r["endring_fra_anmodning"])))
    if data.feedback is not None and "kapasitet_maks" in data.feedback.columns:
        caps = data.feedback.set_index("kommunenummer")["kapasitet_maks"]
        t = t.assign(oppgitt_kapasitet=t["kommunenummer"].map(caps))
        label = "Oppgitt kapasitet" + (" (eksempeldata)" if "tilbakemeldinger" in example_inputs(data.run) else "")
        columns.append(Column("oppgitt_kapasitet", label))
    columns += [Column("begrunnelse", "Hvorfor (personer)", numeric=False, css="tekst"),
                Column("folketall", f"Folketall 1.1.{p.aar - 1}")]
    totals = {"kommune": "Sum", "folketall": format_int(t["folketall"].sum()), "anbefaling": format_int(t["anbefaling"].sum()),
              "herav_em": format_int(t["herav_em"].sum())}
    if data.last_year is not None:
        totals["endring_fra_anmodning"] = format_change(t["endring_fra_anmodning"].sum())
    start = f"kommunens anmodning for {data.last_year}" if data.last_year else "kommunens grunnlag"
    intro = (f"Tabellen viser anbefalingen for hver kommune, i kommunenummerrekkefølge. «Hvorfor» går fra {start} til "
             "årets tall: hva det nye totaltallet, tidligere vedtak, eldre år, hvert kriterium, kommunens svar og "
             "avrundingen legger til eller trekker fra, i hele personer; delene summerer nøyaktig til resultatet. "
             "Modellen og kriteriene er beskrevet under «Slik er tallene laget».")
    return Html(
        heading(2, title_of(data, "anbefaling"), "anbefaling") + paragraph(intro)
        + table(t, columns, caption=f"Tabell {data.table_no('anbefaling')}. Anbefalt antall flyktninger per kommune i {p.aar}",
                row_header="kommune", table_id="tabell-anbefaling", total_row=totals, note=SOURCE_NOTE)
        + history_table(data)
    )


def history_table(data: ReportData) -> Html:
    """IMDi's figures per municipality for the years the data has, newest first, with published symbols."""
    if not data.history_years:
        return Html("")
    t = data.table
    years = sorted(data.history_years, reverse=True)
    columns = [Column("kommune", "Kommune", numeric=False)]
    totals = {"kommune": "Sum"}
    for year in years:
        for variable, label in (("anmodet", "Anmodet"), ("vedtatt", "Vedtatt"), ("bosatte", "Bosatte")):
            if f"{variable}_{year}" in t.columns:
                columns.append(Column(f"{variable}_{year}", f"{label} {year}", formatter=_history_cell(variable, year)))
                if variable != "bosatte":
                    totals[f"{variable}_{year}"] = format_int(t[f"{variable}_{year}"].sum())
    first, last = min(data.history_years), max(data.history_years)
    gaps = [y for y in range(first, last) if y not in data.history_years]
    gap_text = (f" IMDis tabell over anmodet og vedtatt for {', '.join(map(str, gaps))} finnes ikke per kommune." if gaps else "")
    return Html(table(t, columns, caption=f"Tabell {data.table_no('historikk')}. IMDis tall per kommune {first}–{last}",
                      row_header="kommune", table_id="tabell-historikk", total_row=totals,
                      note=SUPPRESSION_NOTE + gap_text + " Summen av bosatte er utelatt fordi skjulte tall mangler. Kilde: IMDi."))


# ----------------------------------------------------------------------------------------------------------------
# Figures


def figure_against_last_year(data: ReportData) -> Html:
    """Change from last year's request per municipality, as a diverging dot plot with the numbers written out."""
    if data.last_year is None:
        return Html("")
    year = data.last_year
    t = data.table.assign(endring=lambda f: f["endring_fra_anmodning"].astype("float64")).sort_values(
        ["endring", "kommunenummer"], kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(4, 0.24 * len(t))))
    y = np.arange(len(t))
    up, same = (t["endring"] > 0).to_numpy(), (t["endring"] == 0).to_numpy()
    down = ~up & ~same
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.hlines(y, 0, t["endring"], color="#bbbbbb", linewidth=1)
    ax.scatter(t.loc[up, "endring"], y[up], marker="^", color=PALETTE["blue"], zorder=3, label="Flere enn anmodet")
    if same.any():
        ax.scatter(t.loc[same, "endring"], y[same], marker="o", facecolors="white", edgecolors=PALETTE["black"], zorder=3,
                   label="Som anmodet")
    ax.scatter(t.loc[down, "endring"], y[down], marker="v", color=PALETTE["vermillion"], zorder=3, label="Færre enn anmodet")
    for yi, row in zip(y, t.itertuples()):
        text = f"{format_change(row.endring)}  ({format_int(getattr(row, f'anmodet_{year}'))} → {format_int(row.anbefaling)})"
        ax.annotate(text, (row.endring, yi), textcoords="offset points", xytext=(6 if row.endring >= 0 else -6, -3),
                    ha="left" if row.endring >= 0 else "right", fontsize=7)
    ax.set_yticks(list(y), t["kommune"].tolist())
    ax.set_xlabel(f"Endring i personer fra anmodet {year} til anbefalt {data.params.aar}")
    norwegian_axis(ax.xaxis)
    lo, hi = float(t["endring"].min()), float(t["endring"].max())
    pad = max(hi - lo, 1) * 0.35
    ax.set_xlim(min(lo, 0) - pad, max(hi, 0) + pad)
    ax.legend(loc="lower right", frameon=False)
    n_up, n_down = int((t["endring"] > 0).sum()), int((t["endring"] < 0).sum())
    alt = (f"Diagram med én rad per kommune som viser endringen fra IMDis anmodning for {year} til anbefalingen for "
           f"{data.params.aar}, med tallene skrevet ved hvert punkt. {n_up} kommuner får flere, {n_down} færre. Størst økning: "
           f"{t.iloc[-1]['kommune']} ({format_change(t.iloc[-1]['endring'])}); størst nedgang: {t.iloc[0]['kommune']} "
           f"({format_change(t.iloc[0]['endring'])}). Alle tallene står i tabell {data.table_no('anbefaling')}.")
    caption = (f"Figur {data.figure_no('sammenligning')}. Endring fra IMDis anmodning {year} til anbefalingen {data.params.aar} "
               f"(trekant opp: flere, trekant ned: færre, åpen sirkel: som anmodet), med anmodet → anbefalt i parentes. Totaltallet var "
               f"{format_int(t[f'anmodet_{year}'].sum())} i {year} og er {format_int(data.params.totalt)} i {data.params.aar}. "
               "Kilde: IMDi, egne beregninger.")
    return Html(heading(2, title_of(data, "sammenligning"), "sammenligning")
                + figure_html(fig, alt=alt, caption=caption, figure_id="figur-mot-fjoraaret"))


def figure_contributions(data: ReportData) -> Html:
    """From last year's request to this year's number: each part of the explanation in persons, per municipality."""
    parts = data.contributions.drop(columns=["tekst"], errors="ignore")
    labels = data.part_labels
    moving = [c for c in parts.columns if c != "anmodet" and parts[c].abs().sum() > 0]
    t = data.table.set_index("kommunenummer")
    order = t["anbefaling"].sort_values(kind="stable").index
    c = parts.reindex(order)[moving].astype("float64")
    fig, ax = plt.subplots(figsize=(8.5, max(4, 0.26 * len(c))))
    y = np.arange(len(c))
    right, left = np.zeros(len(c)), np.zeros(len(c))
    for i, part in enumerate(moving):
        values = c[part].to_numpy()
        pos, neg = np.where(values > 0, values, 0.0), np.where(values < 0, values, 0.0)
        colour, hatch = series_style(i)
        horizontal_bars(ax, y, pos, right, color=colour, hatch=hatch, edgecolor="white", linewidth=0.5,
                        label=labels.get(part, part).capitalize())
        horizontal_bars(ax, y, neg, left, color=colour, hatch=hatch, edgecolor="white", linewidth=0.5)
        right, left = right + pos, left + neg
    ax.axvline(0, color="#555555", linewidth=0.8)
    for yi, code in enumerate(order):
        net = int(c.loc[code].sum())
        ax.annotate(format_change(net), (right[yi], yi), textcoords="offset points", xytext=(4, -3), fontsize=7)
    ax.set_yticks(list(y), t.loc[order, "kommune"].tolist())
    ax.set_xlabel(f"Personer lagt til eller trukket fra anmodningen for {data.last_year}" if data.last_year else "Personer")
    norwegian_axis(ax.xaxis)
    ax.legend(loc="lower right", frameon=False, fontsize=7)
    biggest = c.abs().sum(axis=0).sort_values(ascending=False)
    alt = ("Liggende stolpediagram med én rad per kommune. Hver rad viser i farge og mønster hvor mange personer hvert ledd "
           "i modellen legger til (til høyre for null) eller trekker fra (til venstre) fra kommunens anmodning i fjor, "
           "med nettoendringen skrevet ved raden. Til sammen flytter "
           + ", ".join(f"{labels.get(k, k)} om lag {format_int(v)}" for k, v in biggest.head(4).items())
           + f" personer. Tallene per kommune står i tabell {data.table_no('bidrag')}.")
    caption = (f"Figur {data.figure_no('bidrag')}. Fra anmodningen for {data.last_year or 'i fjor'} til anbefalingen for "
               f"{data.params.aar}: hva hvert ledd legger til eller trekker fra (personer, hele tall som summerer til "
               "endringen). Kilde: IMDi, egne beregninger.")
    rows = parts.reindex(t.index).join(t[["kommune", "anbefaling"]]).reset_index().sort_values("kommunenummer")
    columns = ([Column("kommune", "Kommune", numeric=False)]
               + [Column(k, short_label(labels.get(k, k).capitalize()),
                         formatter=(lambda r, k=k: format_int(r[k])) if k == "anmodet" else (lambda r, k=k: format_change(r[k])))
                  for k in ["anmodet", *moving] if k in rows.columns]
               + [Column("anbefaling", "Anbefaling")])
    long_names = " ".join(f"{short_label(labels.get(k, k).capitalize())}: {labels.get(k, k)}." for k in moving
                          if short_label(labels.get(k, k).capitalize()) != labels.get(k, k).capitalize())
    intro = ("Modellen starter fra kommunens anmodning i fjor og regner seg fram til årets tall i ledd: det nye "
             "totaltallet for fylket, kommunens vedtak (halvparten av grunnlaget), eldre år (med mindre vekt), kommuner "
             "som står på 0 og deler sin andel med de andre, hvert av årets kriterier (høyst "
             f"±{format_percent(data.params.modell.samlet_tak, 0)} til sammen), kommunens eget svar når svarene brukes, og "
             "avrundingen til 0 eller minstetallet. «Tidligere vedtak» er hva kommunen selv vedtok å bosette, ikke "
             "kapasiteten kommunen har oppgitt for neste år.")
    return Html(
        heading(2, title_of(data, "bidrag"), "bidrag") + paragraph(intro)
        + figure_html(fig, alt=alt, caption=caption, figure_id="figur-bidrag")
        + table(rows, columns, caption=f"Tabell {data.table_no('bidrag')}. Leddene i modellen per kommune (personer)",
                row_header="kommune", table_id="tabell-bidrag", note=long_names or None)
    )


def figure_map(data: ReportData) -> Html:
    """A map-like overview: each municipality at a point inside it, the circle's area proportional to its number."""
    t = data.table.set_index("kommunenummer")
    if not data.has_map:
        # Coordinates exist only where the reference folder has them; other counties have no such section.
        return Html("")
    points = data.geography.set_index("kommunenummer").reindex(t.index)
    lat, lon = points["punkt_i_flate_lat"].astype(float), points["punkt_i_flate_lon"].astype(float)
    fig, ax = plt.subplots(figsize=(7, 7))
    sizes = t["anbefaling"].astype(float)
    ax.scatter(lon, lat, s=np.where(sizes > 0, sizes * 1.6 + 10, 12), marker="o",
               facecolors=np.where(sizes > 0, PALETTE["sky"], "none"), edgecolors=PALETTE["black"], linewidths=0.7)
    ax.set_aspect(1 / np.cos(np.deg2rad(lat.mean())))
    # Labels go where they overlap no other label or circle; the largest municipalities choose first.
    order = sizes.sort_values(ascending=False, kind="stable").index
    areas = np.where(sizes > 0, sizes * 1.6 + 10, 12)
    radius = pd.Series(np.sqrt(areas / np.pi), index=sizes.index)
    place_labels(ax, lon[order].to_numpy(), lat[order].to_numpy(),
                 [f"{t.loc[c, 'kommune']} {format_int(sizes[c])}" for c in order], fontsize=6.5,
                 radii_pt=radius[order].to_numpy())
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.01, 0.01, "Nord er opp. Punktene er ikke tegnet på et kart med grenser.", transform=ax.transAxes, fontsize=7,
            color="#555555")
    alt = ("Punktoversikt over fylket med én sirkel per kommune, plassert i kommunen og merket med navn og anbefalt antall. "
           "Sirkelens areal følger antallet; kommuner med 0 har en tom liten sirkel. De største tallene ligger i og rundt "
           f"{t['anbefaling'].idxmax() and t.loc[t['anbefaling'].idxmax(), 'kommune']}.")
    caption = (f"Figur {data.figure_no('kart')}. Anbefalt antall per kommune vist i et punkt inne i hver kommune (beregnet fra Kartverkets "
               "kommunegrenser 2024). Kilde: Kartverket, egne beregninger.")
    return Html(heading(2, title_of(data, "kart"), "kart") + figure_html(fig, alt=alt, caption=caption, figure_id="figur-kart"))


def sensitivity_section(data: ReportData) -> Html:
    """How much each number moves when the weights move: ranges over the draws, and rank stability."""
    p = data.params
    s = data.sensitivity.join(data.table.set_index("kommunenummer")[["kommune"]])
    s = s.sort_values("base", kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(4, 0.24 * len(s))))
    y = np.arange(len(s))
    # Shown relative to the recommendation, so that a small municipality's range is as visible as a large one's.
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.hlines(y, s["p10"] - s["base"], s["p90"] - s["base"], color=PALETTE["blue"], linewidth=3, label="10.–90. persentil")
    ax.scatter(np.zeros(len(s)), y, marker="|", s=120, color=PALETTE["black"], label="Anbefaling (valgte innstillinger)", zorder=3)
    for yi, row in zip(y, s.itertuples()):
        ax.annotate(f"{format_int(row.base)} ({format_int(row.p10)}–{format_int(row.p90)})", (max(row.p90 - row.base, 0), yi),
                    textcoords="offset points", xytext=(6, -3), fontsize=7)
    ax.set_yticks(list(y), s["kommune"].tolist())
    ax.set_xlabel("Personer over eller under anbefalingen")
    norwegian_axis(ax.xaxis)
    lo, hi = float((s["p10"] - s["base"]).min()), float((s["p90"] - s["base"]).max())
    ax.set_xlim(min(lo, -1) * 1.3, max(hi, 1) * 2.2)
    ax.grid(axis="x", color="#dddddd")
    ax.legend(loc="lower right", frameon=False)
    spread = (s["p90"] - s["p10"])
    widest = s.assign(spenn=spread).sort_values("spenn", ascending=False, kind="stable").head(5)
    alt = (f"Intervalldiagram med én rad per kommune: en strek fra 10. til 90. persentil av kommunens antall når modellens "
           f"innstillinger trekkes tilfeldig rundt de valgte ({format_int(p.usikkerhet_trekk)} trekk), og et loddrett merke ved anbefalingen. "
           "Størst spenn har " + ", ".join(f"{r.kommune} ({format_int(r.p10)}–{format_int(r.p90)})" for r in widest.itertuples()) + ".")
    half = p.usikkerhet_spenn / 2
    caption = (f"Figur {data.figure_no('usikkerhet')}. Hvor mye hver kommunes tall flytter seg når modellens innstillinger "
               f"varieres ({format_int(p.usikkerhet_trekk)} tilfeldige trekk: andelen fra anmodningen og vekten på eldre år "
               f"±{format_decimal(half, 2)} rundt de valgte, hvert kriteriums styrke fra "
               f"{format_percent(1 - p.usikkerhet_spenn, 0)} til {format_percent(1 + p.usikkerhet_spenn, 0)} av den valgte; "
               "fast startverdi, så trekkene blir like hver gang). Anbefaling og 10.–90. persentil står ved hver kommune. "
               "Kilde: egne beregninger.")
    rows = widest.reset_index()
    cols = [Column("kommune", "Kommune", numeric=False), Column("base", "Anbefaling"), Column("p10", "10. persentil"),
            Column("p50", "Median"), Column("p90", "90. persentil"),
            Column("zero_share", "Andel trekk med 0", formatter=lambda r: format_percent(r["zero_share"], 0))]
    return Html(
        heading(2, title_of(data, "usikkerhet"), "usikkerhet")
        + paragraph("Modellens innstillinger (hvor mye vedtak og eldre år teller, og hvor sterkt kriteriene vipper) er "
                    "valgt ved etterprøving, men andre valg kunne vært forsvart. For å vise hvor mye valget betyr, er "
                    "innstillingene trukket tilfeldig rundt de valgte mange ganger, og fordelingen regnet ut på nytt for "
                    "hvert trekk med de samme reglene. Kommuner som står på 0, unntak og oppgitt kapasitet ligger fast.")
        + figure_html(fig, alt=alt, caption=caption, figure_id="figur-usikkerhet")
        + table(rows, cols, caption=f"Tabell {data.table_no('usikkerhet')}. De fem kommunene med størst spenn når innstillingene varieres",
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
        heading(2, title_of(data, "scenarier"), "scenarier")
        + paragraph(f"Behovet er usikkert og endres ofte i løpet av året (i 2022 fra {format_int(5500)} til "
                    f"{format_int(35000)} nasjonalt, i 2025 kuttet fra {format_int(18900)} til {format_int(12640)}). Tabellen viser fordelingen med samme modell og regler for andre "
                    "totaltall. Et høyere totaltall gir aldri en kommune færre personer, med ett unntak: når en kommune går "
                    f"fra 0 til {data.params.minstetall}, kan andre kommuner til sammen få opptil "
                    f"{data.params.minstetall - 1} færre.")
        + table(t, cols, caption=f"Tabell {data.table_no('scenarier')}. Fordeling per kommune ved ulike totaltall for fylket", row_header="kommune",
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
        Column(k, short_label(labels[k])) for k in wide.columns]
    long_names = " ".join(f"{short_label(labels[k])}: {labels[k]}." for k in wide.columns if short_label(labels[k]) != labels[k])
    pieces = [heading(2, title_of(data, "referanse"), "referanse"),
              paragraph("Til sammenligning er totaltallet fordelt med nøkler som brukes andre steder, med de samme "
                        "avrundingsreglene. Forskjellene viser hva modellen betyr i praksis."),
              table(t, cols, caption=f"Tabell {data.table_no('referanse')}. Anbefalingen sammenlignet med referansenøkler", row_header="kommune",
                    table_id="tabell-referanse", note=("Nøklene: " + long_names) if long_names else None)]
    used = available.loc[available["merknad"].fillna("") != ""].drop_duplicates("nokkel")
    if len(used):
        pieces.append(paragraph("Grunnlag: " + " ".join(f"{labels[r.nokkel]}: {norwegian_text(r.merknad)}"
                                                        for r in used.itertuples())))
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
    text = (f"Av totaltallet er {format_int(total)} enslige mindreårige ({basis}). Fordi små tall er skjult i kildene, er et "
            "anslag usikkert; fylket kan sette tallet selv i parameterfilen. De fordeles bare på kommuner som kan ta "
            f"imot dem ({format_int(able)} {_municipalities(able)}: de som har bosatt enslige mindreårige de siste årene, eller som selv sier at de "
            "kan når tilbakemeldingene brukes), i forhold til kommunens samlede tall, aldri over kommunens oppgitte "
            "kapasitet for enslige mindreårige og aldri over kommunens samlede tall.")
    cols = [Column("kommune", "Kommune", numeric=False), Column("anbefaling", "Anbefaling i alt"),
            Column("herav_em", "Herav enslige mindreårige")]
    body = table(rows, cols, caption=f"Tabell {data.table_no('mindreaarige')}. Kommuner som anbefales å bosette enslige mindreårige",
                 row_header="kommune", table_id="tabell-em") if len(rows) else paragraph("Ingen kommuner får enslige mindreårige.")
    return Html(heading(2, title_of(data, "mindreaarige"), "mindreaarige") + paragraph(text) + body)


def adjustments_section(data: ReportData) -> Html:
    """The county's own adjustments after the model, side by side with the model's number and the reason."""
    t = data.table
    adjusted = t.loc[t["justering"] != 0]
    head = heading(2, title_of(data, "justeringer"), "justeringer")
    if adjusted.empty:
        return Html(head + paragraph("Fylket har ikke endret noen av modellens tall. Justeringer føres i en egen fil "
                                     "(kommune, nytt tall eller endring, begrunnelse, hvem som besluttet) og vises her."))
    cols = [Column("kommune", "Kommune", numeric=False), Column("modell", "Modellens tall"),
            Column("justering", "Justering", formatter=lambda r: format_change(r["justering"])),
            Column("anbefaling", "Anbefaling"), Column("justering_begrunnelse", "Begrunnelse", numeric=False),
            Column("justering_besluttet_av", "Besluttet av", numeric=False)]
    others = t.loc[(t["justering"] == 0) & (t["modell"] != t["anbefaling"])]
    return Html(head + paragraph("Fylket har endret modellens tall for kommunene under. Resten av totaltallet er fordelt på nytt "
                                 "på de andre kommunene med de samme reglene, slik at summen fortsatt stemmer.")
                + table(adjusted, cols, caption=f"Tabell {data.table_no('justeringer')}. Fylkets endringer av modellens tall", row_header="kommune", table_id="tabell-justeringer")
                + (paragraph(f"{len(others)} andre kommuner fikk et annet tall da resten ble fordelt på nytt.") if len(others) else ""))


def feedback_section(data: ReportData) -> Html:
    """Who answered the feedback round and who did not, with a short profile of each answer (escaped, no contacts)."""
    head = heading(2, title_of(data, "tilbakemeldinger"), "tilbakemeldinger")
    fb = data.feedback
    if fb is None:
        return Html(head + paragraph("Det er ikke lest inn tilbakemeldinger fra kommunene dette året.")
                    + (municipality_info_section(data) if data.municipality_info is not None else ""))
    example = "tilbakemeldinger" in example_inputs(data.run)
    answered = fb.loc[fb["svart"].astype(bool)]
    missing = fb.loc[~fb["svart"].astype(bool), "kommune"].tolist()
    parts = [head]
    parts.append(paragraph(f"Av {format_int(len(fb))} kommuner har {format_int(len(answered))} svart. "
                           + (f"Ikke svart: {', '.join(missing)}." if missing else "Alle har svart.")))
    steering = feedback_steers(data.run)
    parts.append(paragraph("Svarene flytter tallene: oppgitt kapasitet er en øvre grense, kommuner som ikke ønsker å "
                           "bosette får 0, og «flere enn før» eller «færre enn før» flytter kommunens grunnlag "
                           f"±{format_percent(data.params.tilbakemelding_steg, 0)}. Hvert slikt ledd står i forklaringen."
                           if steering else
                           ("Svarene under er oppdiktede eksempler (se banneret øverst) og brukes ikke i tallene."
                            if example else "Svarene brukes ikke i beregningen av tallene i år.")))
    if data.municipality_info is not None:
        parts.append(Html(f'<p>Svarene for hver kommune står under <a href="#kommuneinformasjon">«{esc(title_of(data, "kommuneinformasjon"))}»</a>.</p>'))
        return Html("".join(parts) + municipality_info_section(data))
    for row in answered.sort_values("kommunenummer").itertuples():
        items = []
        def add(label: str, value: object) -> None:
            if value is not None and not pd.isna(value) and str(value).strip():
                items.append(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>")
        capacity = row.kapasitet_tekst if not pd.isna(row.kapasitet_tekst) else None
        if capacity is not None and not pd.isna(row.kapasitet_maks) and str(int(row.kapasitet_maks)) not in str(capacity):
            capacity = f"{capacity} (tolket som {format_int(row.kapasitet_maks)})"
        add("Kapasitet (oppgitt)", capacity)
        add("Ønske", row.onske)
        add("Kan bosette enslige mindreårige", _yes_no(row.em_kan_bosette))
        add("Kapasitet for enslige mindreårige", None if pd.isna(row.em_kapasitet) else format_int(row.em_kapasitet))
        add("Kvalifiseringstilbud med resultater", row.kvalifiseringstilbud)
        add("Interkommunalt samarbeid", row.samarbeid)
        add("Om samarbeidet", row.samarbeid_tekst)
        add("Behov for arbeidskraft", row.arbeidskraftbehov)
        add("Merknad", row.flagg)
        parts.append(f'<section class="profil"><h3 id="profil-{esc(row.kommunenummer)}">{esc(row.kommune)}</h3><dl>{"".join(items)}</dl></section>')
    return Html("".join(parts))


def municipality_info_section(data: ReportData) -> Html:
    """What IMDi gets about each municipality: the county's plan and upper-secondary offers, then one card per
    municipality with its answers and the county's knowledge (scrubbed of contact details, example data labelled)."""
    rows, county = data.municipality_info
    parts = [heading(2, title_of(data, "kommuneinformasjon"), "kommuneinformasjon"),
             paragraph("IMDi bruker opplysningene om kommunene både når kommunene anmodes, og i det daglige "
                       "bosettingsarbeidet når flyktninger skal bosettes i en kommune. Her er det kommunene har svart, "
                       "og fylkets egen del: den regionale planen for kvalifisering og de videregående tilbudene. Det "
                       "samme står på arket «Kommuneinformasjon» i Excel-filen. Kontaktopplysninger er fjernet.")]
    plan = municipality_info.plan_rows(county.plan)
    if plan:
        parts.append(heading(3, "Regional plan for kvalifisering av innvandrere", "kvalifiseringsplan"))
        measures = [v for k, v in plan if k.startswith("Hovedtiltak")]
        facts = [(k, v) for k, v in plan if not k.startswith("Hovedtiltak")]
        parts.append(Html('<dl class="plan">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts) + "</dl>"))
        parts.append(paragraph("Hovedtiltak:") + bullet_list(measures))
    example = {"tilbakemeldinger": "kommunenes svar", "videregaende_tilbud": "de videregående tilbudene",
               "fylkets_kunnskap": "fylkets kunnskap", "kvalifiseringsplan": "planen"}
    marked = [v for k, v in example.items() if k in county.example_keys]
    if marked:
        parts.append(Html('<p class="eksempelmerknad"><strong>EKSEMPELDATA:</strong> '
                          + esc(", ".join(marked[:-1]) + (" og " if len(marked) > 1 else "") + marked[-1])
                          + " er oppdiktede eksempler, ikke ekte opplysninger.</p>"))
    labels = dict(municipality_info.FIELDS)
    shown = [k for k, _ in municipality_info.FIELDS if k not in ("kommunenummer", "kommune", "svar")]
    for row in rows.itertuples(index=False):
        values = row._asdict()
        items = "".join(f"<dt>{esc(labels[k])}</dt><dd>{esc(values[k])}</dd>" for k in shown if values.get(k))
        answered = "" if values["svar"] == "ja" else ' <span class="merknad">(har ikke svart)</span>'
        parts.append(f'<section class="profil" aria-labelledby="profil-{esc(row.kommunenummer)}">'
                     f'<h3 id="profil-{esc(row.kommunenummer)}">{esc(row.kommune)}</h3>{answered}<dl>{items}</dl></section>')
    return Html("".join(parts))


def _yes_no(value: object) -> str | None:
    """'Ja'/'Nei' for a yes/no answer however the CSV round trip typed it; None when not answered."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip().casefold()
    return {"true": "Ja", "ja": "Ja", "1": "Ja", "false": "Nei", "nei": "Nei", "0": "Nei"}.get(text)


MODEL_NAMES = {"modell": "Modellen (årets innstillinger)", "kontinuitet_anmodet": "Kontinuitet: siste anmodning skalert",
               "kontinuitet_vedtatt": "Siste vedtak skalert", "kontinuitet_blandet": "Halvt anmodning, halvt vedtak",
               "folketall": "Bare folketall"}


def model_history_message(data: ReportData) -> str | None:
    """One honest sentence for «Det viktigste»: the model against continuity in the latest year it could be judged."""
    h = data.model_history
    if h is None or h.empty:
        return None
    year = int(h["aar"].max())
    latest = h.loc[h["aar"] == year].set_index("modell")
    if not {"modell", "kontinuitet_anmodet"} <= set(latest.index):
        return None
    model, cont = float(latest.loc["modell", "mae"]), float(latest.loc["kontinuitet_anmodet", "mae"])
    verdict = ("bedre enn" if model < cont - 1e-9 else "dårligere enn" if model > cont + 1e-9 else "like godt som")
    return (f"Laget som om det var våren {year - 1}, traff modellen IMDis anmodning for {year} {verdict} fjorårets "
            f"anmodning skalert: {format_decimal(model, 1)} mot {format_decimal(cont, 1)} personer i gjennomsnittlig avvik "
            "per kommune (se «Slik har modellen truffet før»).")


def model_history_section(data: ReportData) -> Html:
    """How this year's model settings and the simple references would have hit the county's earlier years."""
    h = data.model_history
    if h is None or h.empty:
        return Html("")
    notes = (data.model_meta or {}).get("etterproving", {})
    years = sorted(int(y) for y in h["aar"].unique())
    wide = h.assign(navn=h["modell"].map(MODEL_NAMES).fillna(h["modell"]))
    rows = []
    for name, part in wide.groupby("modell", sort=False):
        row = {"navn": part["navn"].iloc[0], "orden": list(MODEL_NAMES).index(name) if name in MODEL_NAMES else 99}
        for r in part.itertuples():
            row[f"mae_{r.aar}"] = r.mae
            row[f"rho_{r.aar}"] = r.rho
            row[f"innen_{r.aar}"] = r.innen_20
        rows.append(row)
    frame = pd.DataFrame(rows).sort_values("orden", kind="stable")
    cols = [Column("navn", "Fordeling", numeric=False)]
    for y in years:
        cols += [Column(f"mae_{y}", f"Avvik {y}", formatter=lambda r, y=y: format_decimal(r[f"mae_{y}"], 1)),
                 Column(f"rho_{y}", f"Rangkorrelasjon {y}", formatter=lambda r, y=y: format_decimal(r[f"rho_{y}"], 2)),
                 Column(f"innen_{y}", f"Innen ±20\u00a0% {y}", formatter=lambda r, y=y: format_percent(r[f"innen_{y}"], 0))]
    verdicts = []
    for y in years:
        part = h.loc[h["aar"] == y].set_index("modell")["mae"]
        if {"modell", "kontinuitet_anmodet"} <= set(part.index):
            better = part["modell"] < part["kontinuitet_anmodet"] - 1e-9
            worse = part["modell"] > part["kontinuitet_anmodet"] + 1e-9
            verdicts.append(f"{y}: modellen {'traff bedre enn' if better else 'traff dårligere enn' if worse else 'traff like godt som'} "
                            f"kontinuitet ({format_decimal(part['modell'], 1)} mot {format_decimal(part['kontinuitet_anmodet'], 1)})")
    gap = (" For 2024 finnes bare tallene for 2022 (IMDis tabell for 2023 finnes ikke per kommune), et sprang på to år."
           if 2024 in years else "")
    left_out = notes.get("utelatte_kriterier") or []
    left_text = (" Kriteriene " + ", ".join(f"«{x}»" for x in left_out) + " kunne ikke måles for de tidligere årene og er "
                 "holdt utenfor modellen her." if left_out else "")
    text = (f"Hvor godt ville årets modell ha truffet IMDis faktiske anmodning til kommunene i {data.county_name} før? "
            "Hvert år er laget bare av tallene som var kjent våren før (anmodning og vedtak, folketall, bosatte), med "
            "fylkets faktiske totaltall, og sammenlignet med enkle fordelinger etter samme regler. Lavere avvik og høyere "
            "rangkorrelasjon er bedre; «innen ±20\u00a0%» er andelen kommuner der tallet var innenfor 20\u00a0% av IMDis "
            "(minst 2 personer)." + gap + left_text + " Resultat: " + "; ".join(verdicts) + ". Etterprøvingen for hele landet står "
            "i BACKTEST.md.")
    return Html(heading(2, title_of(data, "modelltreff"), "modelltreff") + paragraph(text)
                + table(frame, cols, caption=f"Tabell {data.table_no('modelltreff')}. Avvik fra IMDis anmodning i "
                        f"{' og '.join(map(str, years))}, årets modell og enkle fordelinger (personer per kommune)",
                        row_header="navn", table_id="tabell-modelltreff"))


def backtest_section(data: ReportData) -> Html:
    """How the model compares with IMDi's actual request for the year, against simple baselines."""
    if data.backtest is None or data.backtest_summary is None:
        return Html("")
    s, b = data.backtest_summary, data.backtest
    p = data.params
    names = data.table.set_index("kommunenummer")["kommune"]
    labels = {"modell": "Modellen (anbefalingen)", "continuity": "Kontinuitet (fjorårets anmodning skalert)",
              "population": "Bare folketall", "nrw": "Nordrhein-Westfalen", "sweden": "Svensk modell", "denmark": "Dansk modell"}
    compare = pd.DataFrame([{"nokkel": labels.get(k, k), "avvik": v} for k, v in s.get("sammenligning", {}).items()])
    cols = [Column("kommune", "Kommune", numeric=False), Column("modell", "Modellen"),
            Column("faktisk_anmodet", "IMDis anmodning"),
            Column("avvik", "Avvik", formatter=lambda r: format_change(r["avvik"]))]
    zero_parts = []
    if s.get("modell_0_imdi_over_0"):
        zero_parts.append("modellen 0, IMDi over 0: " + _names([names[c] for c in s["modell_0_imdi_over_0"]]))
    if s.get("modell_over_0_imdi_0"):
        zero_parts.append("modellen over 0, IMDi 0: " + _names([names[c] for c in s["modell_over_0_imdi_0"]]))
    parts = [
        heading(2, title_of(data, "etterproving"), "etterproving"),
        paragraph(f"IMDis faktiske anmodning for {p.aar} finnes i dataene. Rangkorrelasjonen sier hvor likt modellen og IMDi "
                  f"rangerer kommunene (1 er helt likt): {format_decimal(s['rangkorrelasjon'], 2)}. Gjennomsnittlig avvik er "
                  f"{format_decimal(s['gjennomsnittlig_absolutt_avvik'], 1)} personer per kommune, etter at IMDis tall er "
                  "skalert til samme totaltall. Tabellen under sammenligner med enkle nøkler; den viktigste å slå er "
                  "kontinuitet, fjorårets anmodning skalert til årets totaltall."),
        paragraph(f"Totaltallet er IMDis anmodning etter eventuelle endringer i løpet av året, så etterprøvingen tester "
                  "fordelingen, ikke hvor godt totaltallet kunne forutses. Modellen bruker bare tall fra før "
                  f"{p.aar}: anmodning og vedtak til og med {p.aar - 1}, folketallet 1. januar {p.aar - 1} og bosatte til "
                  f"og med {p.aar - 2}. Vedtakene for {p.aar - 1} er hentet fra IMDis side etter at året var omme, så noen "
                  "sene vedtak kan være med."),
    ]
    if not compare.empty:
        parts.append(table(compare, [Column("nokkel", "Fordeling", numeric=False),
                                     Column("avvik", "Gjennomsnittlig avvik (personer)", formatter=lambda r: format_decimal(r["avvik"], 1))],
                           caption=f"Tabell {data.table_no('etterproving')}. Avvik fra IMDis anmodning {p.aar}, modellen og enkle nøkler",
                           row_header="nokkel", table_id="tabell-etterproving-sammenligning"))
    if zero_parts:
        parts.append(paragraph("Uenige om 0: " + "; ".join(zero_parts) + "."))
    parts.append(table(b.head(8), cols, caption=f"De største avvikene mellom modellen og IMDis anmodning {p.aar}",
                       row_header="kommune", table_id="tabell-etterproving"))
    return Html("".join(parts))


# ----------------------------------------------------------------------------------------------------------------
# Method, sources, manifest


def method_section(data: ReportData) -> Html:
    """How the numbers were made, in plain Norwegian: the anchor, the criteria and what they serve, rounding, answers."""

    p = data.params
    m = p.modell
    used = {c["id"]: c for c in data.key_meta.get("kriterier", [])}
    direction = {"flere": "høyere verdi gir flere", "færre": "høyere verdi gir færre"}
    kinds = {"rang": "rangert innen fylket", "forhold": "mot fylkets median", "mot_folketall": "mot andelen av folketallet"}
    criteria = [f"{c.navn} – høyst ±{format_percent(c.styrke, 0)}, {direction.get(c.retning, c.retning)} "
                f"({kinds.get(c.maate, c.maate)}); tjener «{norwegian_text(c.tjener)}»: {norwegian_text(c.beskrivelse)}"
                + ("" if used.get(c.id, {}).get("brukt", True) else f" Ikke brukt i år: {norwegian_text(used[c.id]['merknad'])}.")
                for c in p.kriterier]
    info = data.indicator_info.assign(datatype=lambda f: f["datatype"].map({"ekte": "ekte", "eksempel": "EKSEMPELDATA"}))
    indicator_rows = table(
        info, [Column("navn", "Indikator", numeric=False), Column("beskrivelse", "Hva den måler", numeric=False),
               Column("kilde", "Kilde", numeric=False), Column("aar", "År", numeric=False),
               Column("enhet", "Enhet", numeric=False), Column("datatype", "Data", numeric=False),
               Column("manglende", "Når tall mangler", numeric=False)],
        caption=f"Tabell {data.table_no('indikatorer')}. Indikatorene bak kriteriene", row_header="navn", table_id="tabell-indikatorer",
    )
    names = data.criterion_names
    coverage = []
    for item in data.key_meta.get("nasjonale_kriterier", []):
        by = [names.get(c, c) for c in item.get("dekket_av", [])]
        coverage.append(f"{norwegian_text(item['tekst'])} – " + (f"dekket av: {', '.join(by)}." if by else
                        "ikke dekket: ingen av årets kriterier med data tjener dette punktet."))
    exceptions = ("; ".join(f"{e.kommunenummer} {e.antall} ({e.begrunnelse})" for e in p.unntak) if p.unntak else "ingen")
    notes = [norwegian_text(n) for n in data.key_meta.get("merknader", [])]
    parts = [
        heading(2, title_of(data, "metode"), "metode"),
        heading(3, "Modellen: fjorårets tall som utgangspunkt", "modellen"),
        paragraph(
            "Utgangspunktet (grunnlaget) er hver kommunes andel av fylkets anmodning og av fylkets vedtak det siste året "
            f"({format_percent(m.anmodet_vekt, 0)} anmodning, {format_percent(1 - m.anmodet_vekt, 0)} vedtak). Eldre år "
            f"teller med {format_percent(m.eldre_aar, 0)} av vekten for hvert år tilbake, slik at et unntaksår som 2022 "
            "betyr lite. «-» i IMDis tabell betyr at kommunen ikke ble anmodet, og teller som 0: det er et signal, ikke et "
            "hull. En kommune som ble anmodet om 0 det siste året, blir stående på 0 med mindre den selv svarer at den "
            "vil bosette; andelen går til de andre. Andelene skaleres til årets totaltall."),
        paragraph(
            "Årets kriterier vipper så grunnlaget opp eller ned. Hvert kriterium kan alene flytte en kommune høyst så "
            f"mange prosent som styrken sier, og alle til sammen høyst ±{format_percent(m.samlet_tak, 0)}; når noen "
            "flyttes opp, flyttes de andre litt ned, slik at summen holder. Forklaringen i tabell "
            f"{data.table_no('anbefaling')} viser hvor mange personer hvert ledd flytter."),
        paragraph(
            "Hvorfor ikke en nøkkel med vekter? Etterprøving på alle 15 fylker (BACKTEST.md) viste at en nøkkel bygd på "
            "snittet av tidligere vedtak, folketall og sentralitet traff IMDis faktiske anmodning dårligere enn bare å "
            "skalere fjorårets anmodning, mens dette utgangspunktet traff bedre begge årene som kunne prøves. "
            "Innstillingene er valgt for hele landet, ikke tilpasset fylket."),
        heading(3, "Årets kriterier og hva de tjener", "kriteriene"),
        bullet_list(criteria) if criteria else paragraph("Ingen kriterier i år: tallene følger grunnlaget."),
    ]
    if notes:
        parts.append(bullet_list(notes))
    parts += [
        heading(3, f"Årets nasjonale kriterier ({p.aar})", "nasjonale-kriterier"),
        bullet_list(coverage) if coverage else paragraph("Ikke oppgitt i parameterfilen."),
    ]
    if any(not item.get("dekket_av") for item in data.key_meta.get("nasjonale_kriterier", [])):
        parts.append(paragraph(
            "Et punkt som ikke er dekket, er likevel ikke glemt: kommunenes egne svar (oppgitt kapasitet, ønske om flere "
            "eller færre) brukes når svarene er ekte, og fylket kan gi unntak og justeringer med begrunnelse. Innvandrerandel "
            "per kommune (SSB 09817) følger bare med for Telemark; for andre fylker må tabellen lastes ned og oppgis i "
            "parameterfilen før kriteriet kan brukes."))
    report_rows = data.translation if data.translation is not None else pd.DataFrame()
    if not report_rows.empty:
        rules = report_rows.drop_duplicates(["fra_kode", "til_kode", "regel"])
        parts.append(heading(3, "Tall fra eldre kommuneinndelinger", "omkoding"))
        parts.append(paragraph("Tall fra år med en annen kommuneinndeling er lagt på årets inndeling. Sammenslåtte "
                               "kommuner er summert. Der en kommune er delt, er tallet fordelt etter en dokumentert regel "
                               "(eller vist som ikke fordelt), aldri stille utelatt eller telt to ganger:"))
        parts.append(table(rules, [Column("fra_kode", "Fra", numeric=False), Column("fra_navn", "Kommune", numeric=False),
                                   Column("til_kode", "Til", numeric=False), Column("til_navn", "Kommune (nå)", numeric=False),
                                   Column("regel", "Regel", numeric=False)],
                           caption=f"Tabell {data.table_no('omkoding')}. Omkoding av eldre tall", row_header="fra_navn", table_id="tabell-omkoding"))
    steering = feedback_steers(data.run)
    parts += [
        indicator_rows,
        heading(3, "Kommunenes svar, unntak og avrunding", "avrunding"),
        paragraph(
            "Kommunenes svar i tilbakemeldingsrunden flytter tallene bare når svarene er ekte (eller parameterfilen sier "
            "at eksempeldata skal brukes): en kommune som ikke vil bosette, får 0; «flere enn før» eller «færre enn før» "
            f"flytter kommunens grunnlag ±{format_percent(p.tilbakemelding_steg, 0)}; oppgitt kapasitet er en øvre grense; "
            "og en kommune som sto på 0, men svarer at den vil bosette, tas med igjen. Hvert slikt ledd står i forklaringen."
            + ("" if steering else " I år brukes ikke svarene i tallene.")),
        paragraph(method_text_nb(p.avrunding, p.minstetall)),
        paragraph(f"Minstetall: {p.minstetall}. Unntak fra minstetallet (med begrunnelse): {exceptions}. Kommuner der et "
                  f"unntak kan være rimelig (anmodet 1–{p.minstetall - 1} i fjor, eller et tall nærmere "
                  f"{m.unntak_forslag} enn 0 og {p.minstetall}), foreslås under «Det viktigste», men brukes ikke før "
                  f"fylket har lagt dem inn med begrunnelse. Avrundingsmetode: {METHOD_NAMES.get(p.avrunding, p.avrunding)}."),
    ]
    return Html("".join(parts))


def used_sources(data: ReportData) -> pd.DataFrame:
    """The manifest rows of the files this run read (its parameter file's inputs and the register)."""
    p = data.params
    return used_rows(data.sources, [p.inndata_register, p.inndata_folketall, *p.inndata_imdi.values(),
                                    *p.inndata_valgfrie.values()])


def sources_section(data: ReportData) -> Html:
    """Every input file this run used, with its source, licence, reference date and whether it is real or example data."""
    sources = used_sources(data).copy()
    sources["datatype"] = sources["datatype"].map({"ekte": "ekte statistikk", "eksempel": "EKSEMPELDATA"}).fillna(sources["datatype"])
    return Html(
        heading(2, title_of(data, "kilder"), "kilder")
        + paragraph("Tallene fra IMDi og SSB er offentlige og brukes etter Norsk lisens for offentlige data (NLOD). "
                    "Kilder: IMDi og Statistisk sentralbyrå (SSB). Kommunepunktene bygger på Kartverkets kommunegrenser.")
        + table(sources, [Column("fil", "Fil", numeric=False), Column("kilde", "Kilde", numeric=False),
                          Column("lisens", "Lisens", numeric=False), Column("referansedato", "Referansedato", numeric=False),
                          Column("datatype", "Type", numeric=False)],
                caption=f"Tabell {data.table_no('kilder')}. Inndata brukt i analysen", row_header="fil", table_id="tabell-kilder")
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
        + ("<p>Samme inndata og parametere gir nøyaktig samme rapport."
           if not str(m.get("git_commit") or "").endswith("-dirty") else
           "<p>Laget fra en arbeidskopi med endringer som ikke er lagret i git; rapporten kan derfor ikke gjenskapes "
           "nøyaktig fra commit-en.")
        + " Rapporten er laget med bosetting, et åpent verktøy for fylkeskommunenes anbefaling om bosetting.</p></footer>"
    )
