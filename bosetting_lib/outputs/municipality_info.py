"""Municipality information for IMDi: what each municipality told the county, and the county's own part.

The county's letter collects, per municipality, qualification offers with results, intermunicipal cooperation,
labour needs, capacity and wish (form version 2 adds expected family reunification, housing and special needs).
IMDi uses this in its daily settlement work, when refugees are placed in a municipality. The county adds its own
part from files it maintains (layouts in docs/data_dictionary.md, declared under ``inndata`` in the parameters):

- ``kvalifiseringsplan``: the regional plan for the qualification of immigrants (YAML: tittel, dato, vedtatt_av,
  lenke, hovedtiltak, eksempeldata);
- ``videregaende_tilbud``: upper-secondary offers per school (CSV: kommunenummer, dekker, skole, tilbud,
  tilpasset_yrkesopplaering, merknad);
- ``fylkets_kunnskap``: the county's own knowledge per municipality (CSV: kommunenummer, merknad).

Everything published here is scrubbed of personal contact details (:func:`bosetting_lib.feedback.scrub_contact_info`)
and example data is labelled. The report section and the workbook sheet are built from :func:`municipality_rows`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from bosetting_lib.feedback.read import public_feedback_table, scrub_contact_info
from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.readers.county_inputs import YES, CountyInputs, QualificationPlan, read_county_inputs
from bosetting_lib.steps.tables import read_optional, read_table
from bosetting_lib.outputs.report_meta import norwegian_date


# The per-municipality rows: (column, Norwegian label), in the order IMDi reads them.
FIELDS = (
    ("kommunenummer", "Kommunenummer"),
    ("kommune", "Kommune"),
    ("svar", "Har svart"),
    ("kapasitet", "Kapasitet og ønske"),
    ("enslige_mindreaarige", "Enslige mindreårige"),
    ("familiegjenforening", "Familiegjenforening"),
    ("bolig", "Bolig"),
    ("saerlige_behov", "Særlige behov kommunen kan ta imot"),
    ("kvalifisering", "Kvalifiseringstilbud og resultater"),
    ("samarbeid", "Interkommunalt samarbeid"),
    ("arbeidskraft", "Behov for arbeidskraft"),
    ("videregaende", "Videregående tilbud (fylket)"),
    ("fylkets_kunnskap", "Fylkets kunnskap om kommunen"),
    ("datatype", "Data"),
)
NOT_ASKED = "ikke spurt i skjemaet kommunen fikk"


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    return "" if text in ("nan", "<NA>", "None") else text


def _whole(value: object) -> str:
    """A count read back from CSV (30.0) as a whole number (30); text as it is."""
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def municipality_rows(municipalities: pd.DataFrame, feedback: pd.DataFrame | None, county: CountyInputs) -> pd.DataFrame:
    """One row per municipality with the columns of :data:`FIELDS`, scrubbed of contact details.

    ``feedback`` is the processed feedback table (contact columns are dropped and free text scrubbed here, again,
    so a caller cannot pass contact details through by mistake).
    """
    public = public_feedback_table(feedback) if feedback is not None else None
    answers = public.set_index("kommunenummer") if public is not None else pd.DataFrame()
    offers = county.offers
    knowledge = county.knowledge.groupby("kommunenummer")["merknad"].agg(" ".join) if county.knowledge is not None else None
    feedback_example = "tilbakemeldinger" in county.example_keys
    county_example = bool({"videregaende_tilbud", "fylkets_kunnskap"} & county.example_keys)
    rows = []
    for code, name in zip(municipalities["kommunenummer"].astype(str), municipalities["kommune"], strict=True):
        row = {"kommunenummer": code, "kommune": name}
        a = answers.loc[code] if code in answers.index else None
        answered = a is not None and bool(a["svart"])
        row["svar"] = ("ja" if answered else "nei") if public is not None else "ingen tilbakemeldingsrunde lest inn"
        if answered:
            capacity = _text(a["kapasitet_tekst"])
            row["kapasitet"] = _join(f"Kapasitet: {capacity}." if capacity else "", f"Ønske: {_text(a['onske'])}." if _text(a["onske"]) else "",
                                     _text(a["kapasitet_kommentar"]))
            em_ok = _text(a["em_kan_bosette"]).lower()
            em = _whole(a["em_kapasitet"])
            row["enslige_mindreaarige"] = _join({"true": "Kan bosette.", "false": "Kan ikke bosette."}.get(em_ok, ""),
                                                f"Inntil {em}." if em and em_ok == "true" else "")
            reunion = _whole(a.get("familiegjenforente"))
            row["familiegjenforening"] = _join(f"Venter {reunion} familiegjenforente." if reunion else "",
                                               _text(a.get("familiegjenforening_kommentar")))
            row["bolig"] = _text(a.get("bolig"))
            row["saerlige_behov"] = _text(a.get("saerlige_behov"))
            for key in ("familiegjenforening", "bolig", "saerlige_behov"):
                if not row[key]:
                    row[key] = f"ikke oppgitt ({NOT_ASKED})" if _form_version(a) < 2 else "ikke oppgitt"
            row["kvalifisering"] = _text(a["kvalifiseringstilbud"])
            partners = _text(a["samarbeid"])
            row["samarbeid"] = _join(f"Med {partners}." if partners else
                                     ("Ja." if _text(a["interkommunalt_samarbeid"]).lower() == "true" else
                                      "Nei." if _text(a["interkommunalt_samarbeid"]).lower() == "false" else ""),
                                     _text(a["samarbeid_tekst"]))
            row["arbeidskraft"] = _text(a["arbeidskraftbehov"])
        if offers is not None:
            mine = offers.loc[offers["kommunenummer"].eq(code)
                              | offers["dekker"].map(lambda d: code in [c.strip() for c in d.split(";")])]
            row["videregaende"] = " ".join(
                f"{r.skole}: {r.tilbud}" + ("; tilpasset yrkesopplæring" if YES.get(r.tilpasset_yrkesopplaering.strip().lower()) else "")
                + "." for r in mine.itertuples()) or "ingen registrert"
        if knowledge is not None:
            row["fylkets_kunnskap"] = knowledge.get(code, "")
        labels = (["kommunens svar er eksempeldata"] if answered and feedback_example else [])
        labels += ["fylkets opplysninger er eksempeldata"] if county_example else []
        row["datatype"] = "EKSEMPELDATA: " + "; ".join(labels) if labels else "ekte"
        rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=[k for k, _ in FIELDS])
    for column in frame.columns:
        if column != "kommunenummer":
            frame[column] = [scrub_contact_info(_text(v)) for v in frame[column]]
    return frame.fillna("").astype("str")


def _form_version(answer: pd.Series) -> int:
    """The form version an answer came from (version 2 asked family reunification, housing and special needs);
    survey exports count as version 2, since the county chose their questions."""
    text = _text(answer.get("skjemaversjon"))
    return int(float(text)) if text else 2


def plan_rows(plan: QualificationPlan | None) -> list[tuple[str, str]]:
    """The regional qualification plan as (label, text) pairs."""
    if plan is None:
        return []
    rows = [("Regional plan for kvalifisering", plan.tittel + (" (EKSEMPELDATA)" if plan.eksempeldata else "")),
            ("Dato", norwegian_date(plan.dato))]
    if plan.vedtatt_av:
        rows.append(("Vedtatt av", plan.vedtatt_av))
    if plan.lenke:
        # Shown without its scheme: the report is offline and holds no addresses a browser would follow.
        rows.append(("Lenke", re.sub(r"^[a-z]+://", "", plan.lenke.strip(), flags=re.IGNORECASE)))
    rows += [(f"Hovedtiltak {i}", m) for i, m in enumerate(plan.hovedtiltak, start=1)]
    return [(k, scrub_contact_info(v)) for k, v in rows]


def load(params: Params, processed_dir: Path, data_paths: DataPaths) -> tuple[pd.DataFrame, CountyInputs] | None:
    """The rows and the county's inputs for a finished run, or None when nothing is declared for it."""
    keys = {"tilbakemeldinger", "kvalifiseringsplan", "videregaende_tilbud", "fylkets_kunnskap"}
    if not keys & set(params.inndata_valgfrie):
        return None
    table = read_table(processed_dir, "anbefaling")
    feedback = read_optional(processed_dir, "tilbakemeldinger")
    county = read_county_inputs(params, data_paths, table)
    return municipality_rows(table[["kommunenummer", "kommune"]], feedback, county), county


def workbook_sheets(params: Params, processed_dir: Path, data_paths: DataPaths) -> list[tuple[str, pd.DataFrame, list[int]]]:
    """The «Kommuneinformasjon» sheet (and «Fylkets plan» when the plan is given) for the county workbook."""
    loaded = load(params, processed_dir, data_paths)
    if loaded is None:
        return []
    rows, county = loaded
    sheet = rows.rename(columns=dict(FIELDS))
    widths = [10, 18, 9, 40, 22, 36, 36, 36, 50, 40, 36, 50, 44, 30]
    sheets = [("Kommuneinformasjon", sheet, widths)]
    if county.plan is not None:
        sheets.append(("Fylkets plan", pd.DataFrame(plan_rows(county.plan), columns=["Felt", "Innhold"]), [30, 100]))
    return sheets
