"""Turn an executed run into the shareable outputs: the HTML report, the CSV for machines and the manifest."""

from __future__ import annotations

import json
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter
from traitlets.config import Config

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.formatting import format_percent, norwegian_text
from bosetting_lib.outputs.excel import write_recommendation_workbook
from bosetting_lib.outputs.method_text import method_text_nb
from bosetting_lib.outputs.report_meta import report_meta
from bosetting_lib.outputs.suppression import is_small_count
from bosetting_lib.sources.raw_manifest import read_manifest
from bosetting_lib.steps.tables import read_document, read_optional, read_table, write_json
from bosetting_lib.outputs.municipality_info import workbook_sheets

TEMPLATE_NAME = "bosetting_html"
# papermill and the kernel put run-specific values (times, ids) into the notebook; none of them may reach the HTML.
_VOLATILE_METADATA = ("papermill", "execution")
# Cells of the report notebook meant for the analyst in JupyterLab only (its explanation, Lab's copy of the styles).
NOTEBOOK_ONLY_TAG = "ikke-i-rapporten"
# papermill gives the cell it injects a random id; a fixed one keeps reruns byte-identical.
INJECTED_CELL_ID = "injected-parameters"
# How folders outside the project are shown in the executed notebooks: by the option that names them.
FOLDER_LABELS = {"data": "<--data-dir>", "out": "<--out>", "notebooks": "<notatbøker>", "params": "<parametermappe>"}
PORTABLE_NOTE = ("# Mappene er vist relativt til prosjektmappen, eller under valget som satte dem (<--data-dir>, <--out>),\n"
                 "# så notatboken er lik uansett hvor kjøringen lå. Inndataenes SHA-256 står i manifest.json.")


def template_dir() -> Path:
    """The folder holding the project's own nbconvert templates."""
    return Path(str(resources.files("bosetting_lib") / "templates"))


def report_css() -> str:
    """The report's stylesheet, embedded in the HTML."""
    return (template_dir() / "report.css").read_text(encoding="utf-8")


def _export_html(nb: nbformat.NotebookNode, title: str, exporter: HTMLExporter) -> str:
    """Export with the project's own template, after dropping run-specific metadata (times, ids) from ``nb``."""
    for holder in (nb, *nb.cells):
        for key in _VOLATILE_METADATA:
            holder.metadata.pop(key, None)
    body, _ = exporter.from_notebook_node(nb, resources={"report_title": title, "report_css": report_css()})
    # Trailing whitespace differs between nbconvert versions; strip it for stable bytes.
    return re.sub(r"[ \t]+\n", "\n", body)


def report_exporter() -> HTMLExporter:
    """The exporter of the shareable report: no code, no prompts, cells tagged ``ikke-i-rapporten`` left out."""
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {NOTEBOOK_ONLY_TAG}
    return HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(template_dir())],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, config=config)


def analysis_exporter() -> HTMLExporter:
    """The exporter of the analysts' copies: the same offline template, with code shown as plain text."""
    return HTMLExporter(template_name="bosetting_analyse", extra_template_basedirs=[str(template_dir())])


def notebook_to_report_html(notebook_path: Path, title: str) -> str:
    """Export an executed notebook to self-contained HTML without code or prompts, with lang="nb".

    Cells tagged ``ikke-i-rapporten`` (the notebook's own explanation for the analyst) are left out.
    """
    return _export_html(nbformat.read(notebook_path, as_version=4), title, report_exporter())


def _display_path(path: Path, roots: Iterable[tuple[Path, str]]) -> str:
    """``path`` relative to the first root that holds it, prefixed by the root's label (no label: the project)."""
    for root, label in roots:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            continue
        parts = [x for x in (label, rel) if x and x != "."]
        return "/".join(parts) or "."
    return path.name


def portable_replacements(
    *,
    data_dir: Path,
    staged_out: Path,
    staged_processed: Path,
    final_out: Path,
    final_processed: Path,
    out_root: Path,
    notebook_dir: Path | None = None,
    params_file: Path | None = None,
) -> list[tuple[str, str]]:
    """Absolute folder paths of a run and how the executed notebooks show them: relative to the project when inside
    it (``data/processed/2026``), otherwise under the name of the option that set them (``<--data-dir>/...``).

    Staging folders are shown as the final folders they are moved to. Longest paths first, so the most specific
    folder wins.
    """
    roots = [(PROJECT_ROOT, "")]
    roots += [(data_dir, FOLDER_LABELS["data"]), (out_root, FOLDER_LABELS["out"])]
    if notebook_dir is not None:
        roots.append((notebook_dir, FOLDER_LABELS["notebooks"]))
    if params_file is not None:
        roots.append((params_file.parent, FOLDER_LABELS["params"]))

    def shown(path: Path) -> str:
        for staged, final in ((staged_processed, final_processed), (staged_out, final_out)):
            try:
                path = final / path.relative_to(staged)
                break
            except ValueError:
                continue
        return _display_path(path, roots)

    paths = [staged_processed, staged_out, final_processed, final_out, data_dir, out_root, PROJECT_ROOT]
    paths += [p for p in (notebook_dir, params_file) if p is not None]
    pairs: dict[str, str] = {}
    for path in paths:
        for variant in {path, path.resolve()}:
            for text in _spellings(str(variant)):
                pairs.setdefault(text, shown(path))
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def _spellings(path: str) -> list[str]:
    """The ways an absolute path can be written into a notebook: as is, in both Unicode normal forms (macOS gives
    «å» decomposed), JSON-escaped (``\\u00e5``, as ``json.dumps`` writes it), as a Python literal (``\\xe5``, as
    papermill writes the injected parameters) and URL-encoded (``%C3%A5``, in links)."""
    out = []
    for form in dict.fromkeys((path, unicodedata.normalize("NFC", path), unicodedata.normalize("NFD", path))):
        out.append(form)
        out.append(json.dumps(form)[1:-1])
        out.append(ascii(form)[1:-1])  # papermill injects parameters as Python literals: «\\xe6» for «æ»
        out.append(repr(form)[1:-1])
        out.append(form.encode("ascii", "backslashreplace").decode("ascii"))
        out.append(urllib.parse.quote(form))
    return list(dict.fromkeys(t for t in out if t))


def _replace_paths(value: object, pattern: re.Pattern[str], table: dict[str, str]) -> object:
    if isinstance(value, str):
        return pattern.sub(lambda m: table[m.group(0)], value)
    if isinstance(value, list):
        return [_replace_paths(v, pattern, table) for v in value]
    if isinstance(value, dict):
        return type(value)({k: _replace_paths(v, pattern, table) for k, v in value.items()})
    return value


def make_notebook_portable(notebook_path: Path, replacements: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Rewrite an executed notebook so it does not depend on where the run's folders were.

    Every absolute run folder (in the injected parameters, papermill's metadata and any output) is replaced as
    :func:`portable_replacements` says, and the injected parameters cell gets a fixed id. Timing metadata stays:
    the analysts' HTML and the report drop it. Returns the notebook as written, so the export need not read it again.
    """
    nb = nbformat.read(notebook_path, as_version=4)
    table = dict(replacements)
    # A root only matches as a whole path: not inside /tmp/a/data2 or x/tmp/a/data.
    alternatives = "|".join(re.escape(k) for k, _ in replacements)
    pattern = re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w.-])") if replacements else None
    if pattern is not None:
        nb = nbformat.from_dict(_replace_paths(nb, pattern, table))
    for cell in nb.cells:
        if INJECTED_CELL_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
            if PORTABLE_NOTE not in cell.source:
                cell.source = cell.source.rstrip("\n") + "\n" + PORTABLE_NOTE + "\n"
    nbformat.write(nb, notebook_path)
    return nb


def recommendation_table(processed_dir: Path) -> pd.DataFrame:
    """The final recommendation as written by the allocation notebook."""
    return read_table(processed_dir, "anbefaling")


# The machine-readable table for IMDi: stable column names, codes as four-digit strings, whole numbers.
CSV_COLUMNS = ["kommunenummer", "kommune", "fylkesnummer", "fylke", "folketall", "modell", "justering", "anbefaling",
               "herav_em", "endring_fra_anmodning", "status", "begrunnelse", "justering_begrunnelse", "unntak_forslag",
               "unntak_forslag_begrunnelse"]


def table_for_imdi(params: Params, processed_dir: Path) -> pd.DataFrame:
    """The recommendation with the county columns first and history columns after, for CSV and Excel."""
    table = recommendation_table(processed_dir)
    table.insert(2, "fylkesnummer", params.fylkesnummer)
    table.insert(3, "fylke", params.fylke or "")
    history = [c for c in table.columns if c.split("_")[0] in ("anmodet", "vedtatt", "bosatte") and not c.endswith("_status")]
    columns = [c for c in CSV_COLUMNS if c in table.columns] + history
    out = table[columns].copy()
    for column in history + ["folketall", "endring_fra_anmodning", "unntak_forslag"]:
        if column in out.columns:
            out[column] = whole_or_decimal(out[column])
    # The published symbol stands beside each history figure, so a suppressed ":" is never read as a missing zero;
    # counts of settled persons from 1 to 4 are suppressed here too (the same rule as in the report).
    for column in history:
        status = table[f"{column}_status"] if f"{column}_status" in table.columns else pd.Series(pd.NA, index=table.index)
        status = status.astype("str")
        if column.startswith("bosatte_"):
            small = is_small_count(out[column])
            out.loc[small, column] = pd.NA
            status = status.mask(small.astype(bool), ":")
        out[f"{column}_status"] = status
    return out


def whole_or_decimal(values: pd.Series) -> pd.Series:
    """Counts as whole numbers; a column holding a split municipality's share (e.g. Haram's part of Ålesund 2022)
    keeps one decimal, so that an estimate is never passed off as a count."""
    numbers = pd.to_numeric(values, errors="coerce")
    if ((numbers.dropna() % 1) == 0).all():
        return numbers.astype("Int64")
    return numbers.round(1).astype("Float64")


METHOD_NAMES = {"sainte-lague": "Sainte-Laguës metode", "dhondt": "d'Hondts metode",
                "largest-remainder": "største brøks metode"}
DIRECTIONS = {"flere": "høyere verdi gir flere", "færre": "høyere verdi gir færre"}


def method_rows(params: Params, processed_dir: Path, sources: pd.DataFrame | None = None) -> list[tuple[str, object]]:
    """Who, when, status; the model's settings, criteria and rules in words for the Excel file's Metode sheet."""
    meta = read_document(processed_dir, "kriterier") or {}
    minors = read_document(processed_dir, "enslige_mindreaarige") or {}
    info = read_optional(processed_dir, "indikatorer_beskrivelse")
    indicator_names = {} if info is None else info.set_index("id")["navn"].to_dict()
    rows: list[tuple[str, object]] = list(report_meta(params, sources).rows())
    rows += [("År", params.aar), ("Fylke", f"{params.fylkesnummer} {params.fylke or ''}".strip()),
             ("Totaltall", params.totalt), ("Herav enslige mindreårige", minors["enslige_mindreaarige_totalt"]),
             ("Enslige mindreårige, grunnlag", norwegian_text(minors["grunnlag"])),
             ("Minstetall", params.minstetall),
             ("Unntak fra minstetallet", "; ".join(f"{e.kommunenummer} {e.antall} ({e.begrunnelse})" for e in params.unntak)
              or "ingen"),
             ("Modell", "fjorårets anmodning og vedtak som grunnlag, vippet av årets kriterier (se rapporten)"),
             ("Andel fra anmodning i grunnlaget", params.modell.anmodet_vekt),
             ("Vekt på eldre år per år tilbake", params.modell.eldre_aar),
             ("Kriteriene til sammen høyst (±)", params.modell.samlet_tak),
             ("Svar «flere/færre enn før» høyst (±)", params.tilbakemelding_steg),
             ("Avrundingsmetode", METHOD_NAMES.get(params.avrunding, params.avrunding)),
             ("Avrundingsregel", method_text_nb(params.avrunding, params.minstetall))]
    for c in params.kriterier:
        indicator = indicator_names.get(c.indikator, c.indikator)
        rows.append((f"Kriterium: {c.navn}", f"høyst ±{format_percent(c.styrke, 0)}, {DIRECTIONS.get(c.retning, c.retning)} – "
                                              f"målt ved {indicator}; tjener «{norwegian_text(c.tjener)}»: "
                                              f"{norwegian_text(c.beskrivelse)}"))
    rows += [("Merknad", norwegian_text(note)) for note in meta.get("merknader", [])]
    covered = {item["tekst"]: item.get("dekket_av", []) for item in meta.get("nasjonale_kriterier", [])}
    rows += [("Nasjonalt kriterium", norwegian_text(text) + (f" (dekket av: {', '.join(covered[text])})" if covered.get(text)
                                                             else " (ikke dekket av noe kriterium med data)"))
             for text in params.nasjonale_kriterier]
    return rows


def _used_sources(params: Params, sources: pd.DataFrame) -> pd.DataFrame:
    """The manifest rows of the files this run read (for the report date when none is set)."""
    used = [params.inndata_register, params.inndata_folketall, *params.inndata_imdi.values(), *params.inndata_valgfrie.values()]
    used = [u.rstrip("/") for u in used]
    return sources.loc[sources["fil"].map(lambda f: any(f == u or f.startswith(u + "/") for u in used))]


class RunExport:
    """The run's outputs, written in parts so the pipeline can write what is ready while a later notebook runs:
    an executed notebook made portable with its analysts' HTML (:meth:`notebook`), the tables for IMDi
    (:meth:`tables`, once the last step that writes processed tables is done) and the report with the manifest
    (:meth:`report`, after the report notebook). Each part writes its own files; the result is the same whatever
    the order.

    ``out_dir`` and ``processed_dir`` may be staging folders; ``final_out`` and ``final_processed`` are where they
    end up, and ``notebook_dir`` is where the notebooks were run from. The executed notebooks show those, relative
    to the project or to the option that named them, never an absolute path.
    """

    def __init__(self, params: Params, out_dir: Path, processed_dir: Path, data_paths: DataPaths, *,
                 final_out: Path, final_processed: Path, notebook_dir: Path) -> None:
        self.params = params
        self.out_dir = out_dir
        self.processed_dir = processed_dir
        self.data_paths = data_paths
        staging = out_dir.parent
        out_root = staging.parent if staging.name.startswith(".kjoring") else staging
        self.replacements = portable_replacements(
            data_dir=data_paths.data_dir, staged_out=out_dir, staged_processed=processed_dir,
            final_out=final_out, final_processed=final_processed,
            out_root=out_root, notebook_dir=notebook_dir, params_file=params.source,
        )
        self.title = (f"Anbefaling om bosetting av flyktninger {params.aar} – "
                      f"{params.fylke or 'fylke ' + params.fylkesnummer}")
        self.analysis = analysis_exporter()  # its templates compile once for every notebook
        self.portable: dict[str, nbformat.NotebookNode] = {}

    def notebook(self, executed: Path) -> None:
        """Make an executed notebook portable and write its analysts' HTML beside it."""
        nb = make_notebook_portable(executed, self.replacements)
        self.portable[executed.name] = nb
        html = _export_html(nb, f"{executed.stem} – {self.title}", self.analysis)
        executed.with_suffix(".html").write_text(html, encoding="utf-8")

    def tables(self) -> None:
        """anbefaling.csv and anbefaling.xlsx, from the processed tables."""
        params, out_dir, processed_dir = self.params, self.out_dir, self.processed_dir
        table = table_for_imdi(params, processed_dir)
        table.to_csv(out_dir / "anbefaling.csv", index=False, lineterminator="\n")
        headers = {"kommunenummer": "Kommunenummer", "kommune": "Kommune", "fylkesnummer": "Fylkesnummer",
                   "fylke": "Fylke", "folketall": f"Folketall 1.1.{params.aar - 1}", "modell": "Modellens tall",
                   "justering": "Fylkets justering", "anbefaling": f"Anbefaling {params.aar}",
                   "herav_em": "Herav enslige mindreårige", "endring_fra_anmodning": f"Endring fra anmodet {params.aar - 1}",
                   "status": "Status", "begrunnelse": "Hvorfor (personer)",
                   "justering_begrunnelse": "Begrunnelse for justering", "unntak_forslag": "Foreslått unntak (ikke brukt)",
                   "unntak_forslag_begrunnelse": "Hvorfor unntak foreslås"}
        headers.update({c: c.replace("_", " ").capitalize() for c in table.columns if c not in headers})
        sources = read_manifest(self.data_paths)
        used = _used_sources(params, sources)
        write_recommendation_workbook(out_dir / "anbefaling.xlsx", params, table,
                                      {c: headers[c] for c in table.columns}, method_rows(params, processed_dir, used),
                                      sources, extra_sheets=workbook_sheets(params, processed_dir, self.data_paths))

    def report(self, executed: Path, manifest: dict) -> None:
        """anbefaling.html from the executed report notebook (already made portable by :meth:`notebook`) and
        manifest.json."""
        html = _export_html(self.portable[executed.name], self.title, report_exporter())
        (self.out_dir / "anbefaling.html").write_text(html, encoding="utf-8")
        write_json(manifest, self.out_dir / "manifest.json")
