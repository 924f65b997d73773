"""Turn an executed run into the shareable outputs: the HTML report, the CSV for machines and the manifest."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from bosetting_lib.params import Params
from bosetting_lib.paths import DataPaths

TEMPLATE_NAME = "bosetting_html"
# papermill and the kernel put run-specific values (times, ids) into the notebook; none of them may reach the HTML.
_VOLATILE_METADATA = ("papermill", "execution")


def template_dir() -> Path:
    """The folder holding the project's own nbconvert templates."""
    return Path(str(resources.files("bosetting_lib") / "templates"))


def report_css() -> str:
    """The report's stylesheet, embedded in the HTML."""
    return (template_dir() / "report.css").read_text(encoding="utf-8")


def notebook_to_report_html(notebook_path: Path, title: str) -> str:
    """Export an executed notebook to self-contained HTML without code or prompts, with lang="nb"."""
    nb = nbformat.read(notebook_path, as_version=4)
    for key in _VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"report_title": title, "report_css": report_css()})
    # Trailing whitespace differs between nbconvert versions; strip it for stable bytes.
    return re.sub(r"[ \t]+\n", "\n", body)


def notebook_to_analysis_html(notebook_path: Path, title: str) -> str:
    """Export an executed notebook with its code, for analysts; same offline template, code shown as plain text."""
    nb = nbformat.read(notebook_path, as_version=4)
    for key in _VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
    exporter = HTMLExporter(template_name="bosetting_analyse", extra_template_basedirs=[str(template_dir())])
    body, _ = exporter.from_notebook_node(nb, resources={"report_title": title, "report_css": report_css()})
    return re.sub(r"[ \t]+\n", "\n", body)


def recommendation_table(processed_dir: Path) -> pd.DataFrame:
    """The final recommendation as written by the allocation notebook."""
    return pd.read_csv(processed_dir / "anbefaling.csv", dtype={"kommunenummer": str})


# The machine-readable table for IMDi: stable column names, codes as four-digit strings, whole numbers.
CSV_COLUMNS = ["kommunenummer", "kommune", "fylkesnummer", "fylke", "folketall", "modell", "justering", "anbefaling",
               "herav_em", "endring_fra_anmodning", "status", "begrunnelse", "justering_begrunnelse"]


def table_for_imdi(params: Params, processed_dir: Path) -> pd.DataFrame:
    """The recommendation with the county columns first and history columns after, for CSV and Excel."""
    table = recommendation_table(processed_dir)
    table.insert(2, "fylkesnummer", params.fylkesnummer)
    table.insert(3, "fylke", params.fylke or "")
    history = [c for c in table.columns if c.split("_")[0] in ("anmodet", "vedtatt", "bosatte") and not c.endswith("_status")]
    columns = [c for c in CSV_COLUMNS if c in table.columns] + history
    out = table[columns].copy()
    for column in history + ["folketall", "endring_fra_anmodning"]:
        if column in out.columns:
            out[column] = out[column].astype("Int64")
    return out


def method_rows(params: Params, processed_dir: Path) -> list[tuple[str, str]]:
    """Parameters, weights and rules for the Excel file's Metode sheet."""
    import json

    from bosetting_lib.allocation import method_text_nb

    meta = json.loads((processed_dir / "nokkel.json").read_text(encoding="utf-8"))
    minors = json.loads((processed_dir / "enslige_mindreaarige.json").read_text(encoding="utf-8"))
    rows = [("År", str(params.aar)), ("Fylke", f"{params.fylkesnummer} {params.fylke or ''}".strip()),
            ("Totaltall", str(params.totalt)),
            ("Herav enslige mindreårige", f"{minors['enslige_mindreaarige_totalt']} ({minors['grunnlag']})"),
            ("Minstetall", str(params.minstetall)), ("Unntak fra minstetallet", ", ".join(params.unntak) or "ingen"),
            ("Avrundingsmetode", params.avrunding), ("Avrundingsregel", method_text_nb(params.avrunding, params.minstetall))]
    for c in params.kriterier:
        used = meta["vekter"].get(c.id, 0.0)
        rows.append((f"Kriterium: {c.navn}", f"vekt {used:.0%} – indikator {c.indikator} (grunnlag {c.grunnlag}): {c.beskrivelse}"))
    rows += [("Merknad", note) for note in meta["merknader"]]
    rows += [("Nasjonalt kriterium", text) for text in params.nasjonale_kriterier]
    return rows


def export_outputs(params: Params, out_dir: Path, processed_dir: Path, manifest: dict, data_paths: DataPaths) -> None:
    """Write anbefaling.html, anbefaling.csv, anbefaling.xlsx, manifest.json and the notebooks as HTML into ``out_dir``."""
    from bosetting_lib.excel_report import write_recommendation_workbook
    from bosetting_lib.pipeline import write_json

    table = table_for_imdi(params, processed_dir)
    table.to_csv(out_dir / "anbefaling.csv", index=False, lineterminator="\n")
    headers = {"kommunenummer": "Kommunenummer", "kommune": "Kommune", "fylkesnummer": "Fylkesnummer", "fylke": "Fylke",
               "folketall": f"Folketall 1.1.{params.aar - 1}", "modell": "Modellens tall", "justering": "Fylkets justering",
               "anbefaling": f"Anbefaling {params.aar}", "herav_em": "Herav enslige mindreårige",
               "endring_fra_anmodning": "Endring fra fjorårets anmodning", "status": "Status", "begrunnelse": "Begrunnelse",
               "justering_begrunnelse": "Begrunnelse for justering"}
    headers.update({c: c.replace("_", " ").capitalize() for c in table.columns if c not in headers})
    sources = pd.read_csv(data_paths.manifest, dtype=str, keep_default_na=False)
    write_recommendation_workbook(out_dir / "anbefaling.xlsx", params, table,
                                  {c: headers[c] for c in table.columns}, method_rows(params, processed_dir), sources)
    title = f"Anbefaling om bosetting av flyktninger {params.aar} – {params.fylke or 'fylke ' + params.fylkesnummer}"
    html = notebook_to_report_html(out_dir / "notebooks" / "04_rapport.ipynb", title)
    (out_dir / "anbefaling.html").write_text(html, encoding="utf-8")
    for notebook in sorted((out_dir / "notebooks").glob("*.ipynb")):
        analysis = notebook_to_analysis_html(notebook, f"{notebook.stem} – {title}")
        notebook.with_suffix(".html").write_text(analysis, encoding="utf-8")
    write_json(manifest, out_dir / "manifest.json")

