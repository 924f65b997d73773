"""Tables and short texts as the analyst sees them in the notebooks: Norwegian numbers, full-width text, no index.

Every function returns :class:`~bosetting_lib.outputs.html.Html`, which JupyterLab shows as HTML and an executed
notebook stores once (with a short text beside it, never a second copy). An empty table says «ingen» in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.formatting import format_change, format_decimal, format_int, format_percent, norwegian_text
from bosetting_lib.model.anchor import describe_settings
from bosetting_lib.outputs.html import Html, esc
from bosetting_lib.outputs.method_text import method_text_nb
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import example_inputs

if TYPE_CHECKING:
    # Only in annotations: the report notebook, which needs lab_styles() alone, does not load steps 01–03.
    from bosetting_lib.steps.allocate import AllocationSteps
    from bosetting_lib.steps.ingest import IngestOverview, IngestResult
    from bosetting_lib.steps.key_step import CriteriaResult

# Lab right-aligns and narrows table cells; text columns are set back to normal, full-width text.
_TEXT_CELL = ' style="text-align:left; white-space:normal; min-width:12rem; max-width:48rem"'
_NUMBER_CELL = ' style="text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums"'
_NAME_CELL = ' style="text-align:left; white-space:nowrap"'


def _cell(value: object, column: str, *, percent: Mapping[str, int], decimals: Mapping[str, int],
          change: Iterable[str]) -> tuple[str, str]:
    """(formatted text, cell style) for one value."""
    if isinstance(value, (bool, np.bool_)):
        return ("ja" if value else "nei"), _NAME_CELL
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–", _NUMBER_CELL
    if isinstance(value, (int, float, np.integer, np.floating)):
        if column in percent:
            return format_percent(value, percent[column]), _NUMBER_CELL
        if column in change:
            return format_change(value), _NUMBER_CELL
        if column in decimals:
            return format_decimal(value, decimals[column]), _NUMBER_CELL
        if float(value).is_integer():
            return format_int(value), _NUMBER_CELL
        return format_decimal(value, 1), _NUMBER_CELL
    text = norwegian_text(value)
    return esc(text), (_TEXT_CELL if len(text) > 30 else _NAME_CELL)


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    percent: Mapping[str, int] | None = None,
    decimals: Mapping[str, int] | None = None,
    change: Iterable[str] = (),
    empty: str = "Ingen.",
    caption: str | None = None,
    max_rows: int | None = None,
) -> Html:
    """A table with Norwegian numbers (``1 583``, ``12,5 %``, ``+12``), text in full, and no index column.

    ``columns`` picks and names the columns (data column → header); ``percent`` and ``decimals`` give the number of
    decimals for shares shown as percentages and for other decimals; ``change`` columns get a sign. A named index
    (such as ``kommunenummer``) becomes an ordinary column first. An empty table gives the sentence ``empty``.
    """
    if frame.index.name is not None and frame.index.name not in frame.columns:
        frame = frame.reset_index()
    if frame.empty:
        return paragraph(empty)
    columns = dict(columns) if columns is not None else {c: str(c) for c in frame.columns}
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"kolonnene {', '.join(missing)} finnes ikke i tabellen ({', '.join(map(str, frame.columns))})")
    shown = frame if max_rows is None else frame.head(max_rows)
    percent, decimals, change = dict(percent or {}), dict(decimals or {}), set(change)
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in columns}
    head = "".join(f"<th{_NUMBER_CELL if numeric[c] else _NAME_CELL}>{esc(h)}</th>" for c, h in columns.items())
    rows = []
    for record in shown[list(columns)].itertuples(index=False, name=None):
        cells = [_cell(v, c, percent=percent, decimals=decimals, change=change) for v, c in zip(record, columns)]
        rows.append("<tr>" + "".join(f"<td{style}>{text}</td>" for text, style in cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f'<p class="merknad">Viser {format_int(max_rows)} av {format_int(len(frame))} rader.</p>'
    cap = f'<caption style="text-align:left; font-weight:600">{esc(caption)}</caption>' if caption else ""
    return Html(f'<table class="notatbok">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}')


def paragraph(text: str) -> Html:
    """One escaped sentence or paragraph."""
    return Html(f"<p>{esc(norwegian_text(text))}</p>")


def bullets(items: Iterable[str], *, empty: str = "Ingen.") -> Html:
    """An escaped list, or the sentence ``empty`` when there is nothing to list."""
    items = [norwegian_text(i) for i in items]
    if not items:
        return paragraph(empty)
    return Html("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def number(value: object) -> str:
    """A single number the Norwegian way (``1 583``), for a sentence; never ``np.int64(1583)``."""
    return format_int(value)


# ---------------------------------------------------------------------------------------------------------------
# The report's stylesheet for JupyterLab
# ---------------------------------------------------------------------------------------------------------------

# Rendered HTML outputs in JupyterLab (and Notebook 7) and in classic Jupyter; the report's rules apply only there.
LAB_SCOPES = (".jp-RenderedHTMLCommon", ".rendered_html")
# The report's page-level selectors become the output itself; the page layout (body, main) stays Lab's.
_PAGE_SELECTORS = {":root", "html"}
_PAGE_LAYOUT = {"body", "main"}
# Lab's own table look (right-aligned cells, stripes, fixed layout) set back to the report's, before its rules.
_LAB_TABLE_RESET = ("th, td {text-align: left;}\n"
                    "tbody tr:nth-child(odd) {background: transparent;}\n"
                    "table {table-layout: auto; margin-left: 0; margin-right: 0;}\n")
_RULE = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}", re.S)


def _scope_rules(css: str, scopes: tuple[str, ...]) -> str:
    out = []
    for selectors, body in _RULE.findall(css):
        scoped = []
        for selector in (s.strip() for s in selectors.split(",")):
            if selector in _PAGE_LAYOUT:
                continue
            for scope in scopes:
                scoped.append(scope if selector in _PAGE_SELECTORS else f"{scope} {selector}")
        if scoped:
            out.append(f"{', '.join(scoped)} {{{body.strip()}}}")
    return "\n".join(out)


def scoped_css(css: str, scopes: tuple[str, ...] = LAB_SCOPES) -> str:
    """The report's CSS with every rule limited to rendered outputs, so it styles the report and not JupyterLab.

    ``:root`` and ``html`` apply to the output itself; ``body`` and ``main`` (the page layout), ``@media print`` and
    ``@page`` are left out (Lab is not printed as the report). Lab's own table look is set back first.
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    kept = []
    pos = 0
    # Drop at-rules: @page { … } and @media … { … { … } … } (one level of nesting).
    for m in re.finditer(r"@[a-z-]+[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", css):
        kept.append(css[pos:m.start()])
        pos = m.end()
    kept.append(css[pos:])
    return _scope_rules(_LAB_TABLE_RESET + "".join(kept), scopes)


def lab_styles(css: str | None = None) -> Html:
    """A ``<style>`` element with the report's CSS scoped to rendered outputs, for the top of the report notebook.

    Lab keeps every open notebook in one page, so while the report notebook is open these rules also style the
    rendered outputs of other open notebooks; they never touch Lab's own interface. ``css`` defaults to the report's
    stylesheet (the file :func:`bosetting_lib.outputs.export.report_css` embeds in the report).
    """
    if css is None:
        css = (resources.files("bosetting_lib") / "templates" / "report.css").read_text(encoding="utf-8")
    return Html(f"<style>\n{scoped_css(css)}\n</style>")


# ---------------------------------------------------------------------------------------------------------------
# Notebook 01: what was read
# ---------------------------------------------------------------------------------------------------------------


def ingest_summary(tables: IngestResult | IngestOverview) -> Html:
    """One line per table read: rows, municipalities, years and cells with a symbol instead of a number."""
    return table(tables.summary(), {"tabell": "Tabell", "rader": "Rader", "kommuner": "Kommuner", "år": "År",
                                    "celler med symbol": "Celler med symbol (:, -, …)"})


def recodings(tables: IngestResult | IngestOverview) -> Html:
    """The figures moved to this year's municipality structure (mergers, splits, new numbers), or «ingen»."""
    return table(tables.translation_report,
                 {"aar": "År", "variabel": "Variabel", "fra_kode": "Fra nr.", "fra_navn": "Fra kommune",
                  "til_kode": "Til nr.", "til_navn": "Til kommune", "relasjon": "Endring", "verdi": "Verdi",
                  "status": "Status", "regel": "Regel"},
                 empty="Ingen omkodinger: alle tallene lå allerede på årets kommuneinndeling.")


def example_data(run: RunContext) -> Html:
    """Which inputs (parameter keys under inndata) the raw-data manifest marks as example data."""
    return bullets(sorted(example_inputs(run)),
                   empty="Ingen: manifestet merker ingen av inndataene som eksempeldata.")


# ---------------------------------------------------------------------------------------------------------------
# Notebook 02: the criteria
# ---------------------------------------------------------------------------------------------------------------


def criteria_view(found: CriteriaResult) -> Html:
    """Each criterion: indicator, strength, direction, how it scores, what it serves, and whether it is used."""
    frame = pd.DataFrame(found.meta["kriterier"],
                         columns=["navn", "id", "indikator", "styrke", "retning", "maate", "tjener", "brukt", "merknad"])
    return table(frame, {"navn": "Kriterium", "id": "Id (i params)", "indikator": "Indikator", "styrke": "Styrke (±)",
                         "retning": "Høyere verdi gir", "maate": "Måte", "tjener": "Tjener", "brukt": "Brukt",
                         "merknad": "Merknad"}, percent={"styrke": 0},
                 empty="Ingen kriterier: modellen følger grunnlaget fra anmodning og vedtak alene (modell.kriterier).")


def national_coverage(found: CriteriaResult) -> Html:
    """Each national criterion and the year's criteria that serve it, or that none does."""
    return bullets([f"{n['tekst']}: " + (", ".join(n["dekket_av"]) if n["dekket_av"] else "ikke dekket")
                    for n in found.meta["nasjonale_kriterier"]],
                   empty="Ingen nasjonale kriterier i parameterfilen (nasjonale_kriterier).")


def criteria_values(found: CriteriaResult, params: Params, municipalities: pd.DataFrame) -> Html:
    """The indicator values the criteria rank the municipalities on, per municipality."""
    used = [c for c in params.kriterier if c.indikator in found.values.columns]
    columns = list(dict.fromkeys(["folketall", *(c.indikator for c in used)]))
    frame = found.values[columns].join(municipalities.set_index("kommunenummer")["kommune"])
    names = {"folketall": "Folketall", **{c.indikator: c.navn for c in used}}
    return table(frame, {"kommunenummer": "Nr.", "kommune": "Kommune", **{c: names[c] for c in columns}},
                 decimals={c: 2 for c in columns if c != "folketall"})


def criteria_flags(found: CriteriaResult) -> Html:
    """Municipalities without a value for a criterion (the criterion does not tilt them), or «ingen»."""
    return table(found.flags, {"kommunenummer": "Nr.", "kriterium": "Kriterium", "flagg": "Hva skjedde"},
                 empty="Ingen: alle kommunene har en verdi for alle kriteriene.")


# ---------------------------------------------------------------------------------------------------------------
# Notebook 03: the allocation step by step
# ---------------------------------------------------------------------------------------------------------------


def _names(steps: AllocationSteps) -> pd.Series:
    return steps.inputs.municipalities.set_index("kommunenummer")["kommune"]


def rules_view(steps: AllocationSteps) -> Html:
    """The model's settings and the rules, in words, with the parameter each comes from."""
    params = steps.run.params
    caps, mi = steps.caps, steps.model_inputs
    if mi.will_settle is None:
        cap_text = ("Svar fra tilbakemeldingene: styrer ikke (de er eksempeldata eller ikke lest inn, se "
                    "bruk_eksempeldata og inndata.tilbakemeldinger).")
    else:
        capped = caps.dropna() if caps is not None else pd.Series(dtype="float64")
        cap_text = (f"Svar fra tilbakemeldingene: {format_int(int(mi.will_settle.eq(False).sum()))} takker nei, "
                    f"{format_int(len(capped))} har oppgitt et tak, {format_int(int(mi.wishes.ne(0).sum()))} vil ha "
                    f"flere eller færre enn før (± {format_percent(steps.settings.feedback_step, 0)}, tilbakemelding.steg).")
    exceptions = "; ".join(f"{e.kommunenummer} {e.antall} ({e.begrunnelse})" for e in params.unntak) or "ingen"
    return bullets([
        f"Modellen: {describe_settings(steps.settings)} (modell).",
        f"Totaltall: {format_int(params.totalt)} (totalt).",
        f"Minstetall: {format_int(params.minstetall)} (minstetall); hver kommune får 0, et unntak eller minst dette.",
        f"Unntak med fast tall: {exceptions} (unntak).",
        f"Avrundingsmetode: {params.avrunding} (avrunding). {method_text_nb(params.avrunding, params.minstetall)}",
        cap_text,
    ])


def anchor_view(steps: AllocationSteps) -> Html:
    """Per municipality: last year's request and decision, the base, each criterion's tilt, the answers' move, the
    evening-out and the unrounded number (persons), largest first."""
    model = steps.need("model", "ankermodellen")
    frame = model.join(_names(steps)).sort_values("urundet", ascending=False, kind="stable")
    tilts = {f"tilt_{t.id}": t.navn for t in steps.settings.tilts}
    columns = {"kommunenummer": "Nr.", "kommune": "Kommune", "anmodet_sist": "Anmodet sist",
               "vedtatt_sist": "Vedtatt sist", "grunnlag": "Grunnlag", **tilts, "tilbakemelding": "Svar",
               "utjevning": "Utjevning", "urundet": "Urundet"}
    if not frame["tilbakemelding"].ne(0).any():
        del columns["tilbakemelding"]  # no answers steer: a column of zeros says nothing
    return table(frame, columns, decimals={c: 1 for c in ["grunnlag", *tilts, "tilbakemelding", "utjevning", "urundet"]},
                 change=list(tilts))


def rounding_view(steps: AllocationSteps) -> Html:
    """Per municipality: the unrounded number, the whole number under the rules, the status and why; proposed
    exceptions with their reason."""
    model = steps.need("model", "ankermodellen")
    frame = model.join(_names(steps))
    columns = {"kommunenummer": "Nr.", "kommune": "Kommune", "urundet": "Urundet", "anbefaling": "Modellens tall",
               "status": "Status", "aarsak": "Hvorfor", "unntak_forslag_begrunnelse": "Foreslått unntak"}
    if not frame["unntak_forslag_begrunnelse"].fillna("").astype(str).ne("").any():
        del columns["unntak_forslag_begrunnelse"]
    return table(frame, columns, decimals={"urundet": 1})


def adjustments_view(steps: AllocationSteps) -> Html:
    """The county's adjustments and who got a different number because of them, or «ingen»."""
    final = steps.need("final", "justeringer")
    model = steps.model["anbefaling"]
    adjustments = steps.adjustments.set_index("kommunenummer")
    frame = pd.DataFrame({"kommune": _names(steps), "modell": model, "anbefaling": final, "forskjell": final - model})
    frame["begrunnelse"] = adjustments["begrunnelse"].reindex(frame.index)
    frame["besluttet_av"] = adjustments["besluttet_av"].reindex(frame.index)
    frame = frame.loc[frame["forskjell"] != 0].rename_axis("kommunenummer")
    return table(frame, {"kommunenummer": "Nr.", "kommune": "Kommune", "modell": "Modellens tall",
                         "anbefaling": "Etter justering", "forskjell": "Forskjell", "begrunnelse": "Begrunnelse",
                         "besluttet_av": "Besluttet av"}, change=["forskjell"],
                 empty="Ingen justeringer: parameterfilen peker ikke på en justeringsfil (inndata.justeringer), eller "
                       "filen endrer ingen tall.")


def minors_view(steps: AllocationSteps) -> Html:
    """The minors' total and where it comes from, and the municipalities that get minors."""
    minors = steps.need("minors", "enslige mindreårige")
    frame = pd.DataFrame({"kommune": _names(steps), "herav_em": minors, "kan_ta_em": steps.able})
    frame = frame.loc[frame["herav_em"] > 0].rename_axis("kommunenummer")
    head = paragraph(f"Enslige mindreårige i alt: {format_int(steps.minors_total)} ({steps.minors_basis}).")
    body = table(frame, {"kommunenummer": "Nr.", "kommune": "Kommune", "herav_em": "Herav enslige mindreårige"},
                 empty="Ingen kommuner får enslige mindreårige.")
    return Html(f"{head}{body}")


def result_view(recommendation: pd.DataFrame) -> Html:
    """The recommendation with the model's number, the adjustment, the status and the explanation in full."""
    return table(recommendation, {"kommunenummer": "Nr.", "kommune": "Kommune", "folketall": "Folketall",
                                  "modell": "Modellens tall", "justering": "Justering", "anbefaling": "Anbefaling",
                                  "herav_em": "Herav EM", "status": "Status", "begrunnelse": "Begrunnelse"},
                 change=["justering"])


def sum_line(recommendation: pd.DataFrame, total: int) -> Html:
    """The sum of the recommendation beside the county total, in words."""
    got = int(recommendation["anbefaling"].sum())
    verdict = "lik totaltallet" if got == total else f"IKKE lik totaltallet {format_int(total)}"
    return paragraph(f"Summen av anbefalingen er {format_int(got)}, {verdict}.")


def scenarios_view(scenarios: pd.DataFrame, municipalities: pd.DataFrame) -> Html:
    """One column per county total in the parameters (scenarier), one row per municipality."""
    wide = scenarios.pivot(index="kommunenummer", columns="totalt", values="antall")
    notes = scenarios.loc[scenarios["merknad"].fillna("") != "", ["totalt", "merknad"]].drop_duplicates()
    frame = wide.join(municipalities.set_index("kommunenummer")["kommune"])
    columns = {"kommunenummer": "Nr.", "kommune": "Kommune", **{t: f"Totalt {format_int(t)}" for t in wide.columns}}
    out = table(frame, columns)
    if not notes.empty:
        out = Html(out + bullets([f"Totalt {format_int(r.totalt)}: {r.merknad}" for r in notes.itertuples()]))
    return out


def sensitivity_view(sensitivity: pd.DataFrame, municipalities: pd.DataFrame) -> Html:
    """The number with the chosen settings and the range it moves in when the settings vary (10 and 90 percentile)."""
    frame = sensitivity.merge(municipalities[["kommunenummer", "kommune"]], on="kommunenummer", how="left")
    return table(frame, {"kommunenummer": "Nr.", "kommune": "Kommune", "base": "Med de valgte innstillingene",
                         "p10": "10-persentil", "p50": "Median", "p90": "90-persentil",
                         "zero_share": "Andel trekk med 0", "same_rank_share": "Andel trekk med samme rangering"},
                 percent={"zero_share": 1, "same_rank_share": 1})


def reference_view(reference: pd.DataFrame, recommendation: pd.DataFrame) -> Html:
    """The reference keys beside the recommendation, and the keys left out with the reason."""
    available = reference.loc[reference["kommunenummer"].fillna("").astype(str).str.len() == 4]
    wide = available.pivot(index="kommunenummer", columns="navn", values="antall")
    frame = recommendation.set_index("kommunenummer")[["kommune", "anbefaling"]].join(wide)
    columns = {"kommunenummer": "Nr.", "kommune": "Kommune", "anbefaling": "Anbefaling",
               **{c: str(c) for c in wide.columns}}
    left_out = reference.loc[reference["kommunenummer"].fillna("").astype(str).str.len() != 4]
    reasons = bullets([f"{r.navn}: {r.merknad}" for r in left_out.itertuples()],
                      empty="Ingen referansenøkler er utelatt.")
    return Html(f"{table(frame, columns)}<p>Utelatte referansenøkler:</p>{reasons}")


def model_history_view(hits: pd.DataFrame) -> Html:
    """How this year's model and the simple references would have hit the county's earlier years (mean absolute
    deviation per municipality, rank correlation, share within ±20 %), or why there is nothing to judge."""
    return table(hits, {"aar": "År", "modell": "Modell", "kommuner": "Kommuner", "mae": "Gj.sn. avvik",
                        "rho": "Rangkorrelasjon", "innen_20": "Innen ±20 %"},
                 decimals={"mae": 2, "rho": 2}, percent={"innen_20": 0},
                 empty="Ingen tidligere år å etterprøve: det trengs en kjent anmodning og et år før den i dataene.")


def backtest_view(backtest: pd.DataFrame | None, year: int) -> Html:
    """The model against IMDi's actual request, largest deviation first, or why there is none."""
    if backtest is None:
        return paragraph(f"Ingen etterprøving: IMDis faktiske anmodning for {year} er ikke i dataene (den kommer "
                         "året etter; kjør med --aar for et tidligere år for å etterprøve).")
    return table(backtest, {"kommunenummer": "Nr.", "kommune": "Kommune", "modell": "Modellen",
                            "faktisk_anmodet": "IMDis anmodning", "avvik": "Avvik"}, change=["avvik"])
