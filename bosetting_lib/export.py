"""Turn an executed run into the shareable outputs: the HTML report, the CSV for machines and the manifest."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from bosetting_lib.params import Params

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


def recommendation_table(processed_dir: Path) -> pd.DataFrame:
    """The final recommendation as written by the allocation notebook."""
    return pd.read_csv(processed_dir / "anbefaling.csv", dtype={"kommunenummer": str})


def export_outputs(params: Params, out_dir: Path, processed_dir: Path, manifest: dict) -> None:
    """Write anbefaling.html, anbefaling.csv and manifest.json into ``out_dir``."""
    from bosetting_lib.pipeline import write_json

    table = recommendation_table(processed_dir)
    table.to_csv(out_dir / "anbefaling.csv", index=False, lineterminator="\n")
    title = f"Anbefaling om bosetting av flyktninger {params.aar} – {params.fylke or 'fylke ' + params.fylkesnummer}"
    html = notebook_to_report_html(out_dir / "notebooks" / "04_rapport.ipynb", title)
    (out_dir / "anbefaling.html").write_text(html, encoding="utf-8")
    write_json(manifest, out_dir / "manifest.json")
