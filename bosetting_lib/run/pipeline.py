"""The yearly pipeline: validate inputs, execute the notebooks with papermill, export the report, publish atomically."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from bosetting_lib.errors import BosettingError
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import NOTEBOOK_DIR, DataPaths, default_output_dir
from bosetting_lib.run.counties import resolve_county_params
from bosetting_lib.run.validate import read_and_check
from bosetting_lib.sources.freshness import write_warnings
from bosetting_lib.sources.provenance import build_manifest
from bosetting_lib.steps.ingest import write_ingest
from bosetting_lib.steps.tables import write_json

NOTEBOOKS = ("01_innlesing.ipynb", "02_indikatorer.ipynb", "03_fordeling.ipynb", "04_rapport.ipynb")
EXECUTION_TIMEOUT_SECONDS = 600
# Parameters only some notebooks get from the runner: step 01 is told that the inputs are already read (a notebook
# opened by hand reads them); step 03 that nobody looks at it, so it builds no what-if widgets (no widget state
# and no random widget ids in the executed notebook).
NOTEBOOK_PARAMETERS = {NOTEBOOKS[0]: {"innlest": True}, NOTEBOOKS[2]: {"interaktiv": False}}


class NotebookFailed(BosettingError):
    """A notebook failed; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class RunResult:
    """Where a successful run put its outputs."""

    output_dir: Path
    processed_dir: Path
    report: Path
    table: Path


def _failed_cell(notebook_path: Path) -> str:
    """Describe the first cell with an error output in an executed notebook."""
    nb = nbformat.read(notebook_path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return f"celle {index + 1} («{first_line[:80]}»)"
    return "ukjent celle"


def _replace_dir(staged: Path, final: Path) -> None:
    """Move a staged folder into place, replacing the old one only once the new one is complete."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    shutil.move(str(staged), str(final))
    if old.exists():
        shutil.rmtree(old)


def run_pipeline(
    year: int,
    *,
    params_file: Path | str | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: Callable[[str], None] = print,
    timeout: int = EXECUTION_TIMEOUT_SECONDS,
    county: str | None = None,
    trial: bool = False,
) -> RunResult:
    """Run the year's analysis end to end; on any error nothing in processed/ or outputs/<year>/ is replaced.

    With ``county`` the shared parameters are rewritten for that county (or its own parameter file is used) and
    everything goes under ``<year>/<county>/`` in processed/ and outputs/.

    ``trial`` (``--proeve``): stale inputs (see freshness.py) do not stop the run; they go into ``advarsler.json`` in
    the processed folder and onto the report's first screen.
    """
    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    out_root = Path(out_dir).resolve() if out_dir else default_output_dir()
    with tempfile.TemporaryDirectory(prefix="bosetting-parametere-") as workdir:
        if county is None:
            params = load_params(params_file, year=year)
        else:
            params = resolve_county_params(year, county, params_file, data_paths, Path(workdir))
        progress(f"Kontrollerer inndata for {year} ({params.fylke or params.fylkesnummer}) …")
        warnings: list | None = [] if trial else None
        inputs = read_and_check(params, data_paths, warnings)
        params_text = params.source.read_bytes()

    # Imported only now: a run stopped by invalid input should answer quickly.
    import papermill as pm  # deferred: papermill and nbconvert take seconds to import
    from papermill.exceptions import PapermillExecutionError  # deferred: as above

    from bosetting_lib.outputs.export import export_outputs  # deferred: imports nbconvert
    from bosetting_lib.run.kernels import QuietShutdownKernelManager  # deferred: jupyter_client loads with papermill

    out_root.mkdir(parents=True, exist_ok=True)
    final_out = out_root / str(year) / (county or "")
    final_processed = data_paths.processed(year) / (county or "")
    staging = Path(tempfile.mkdtemp(prefix=f".kjoring-{year}-{county or ''}-", dir=out_root))
    try:
        staged_out = staging / "ut"
        staged_processed = staging / "processed"
        (staged_out / "notebooks").mkdir(parents=True)
        staged_processed.mkdir()
        # The run's parameters, resolved once (a county's derived from the shared file), travel with its processed
        # data: every notebook reads this copy, so each output can be traced to it.
        resolved = staged_processed / "parametere.yaml"
        resolved.write_bytes(params_text)
        if county is not None:
            params = load_params(resolved, year=year)
        if warnings:
            write_warnings(warnings, staged_processed)
            for warning in warnings:
                progress(f"ADVARSEL (prøvekjøring): {warning}")
        manifest = build_manifest(params, data_paths)
        # The inputs were read and checked once above; step 01 shows them instead of reading the files again.
        write_ingest(inputs, staged_processed)
        # The report notebook shows the manifest as its footer, so it exists before the notebooks run.
        write_json(manifest, staged_processed / "manifest.json")
        parameters = {
            "aar": year,
            "params_fil": str(resolved.resolve()),
            "data_dir": str(data_paths.data_dir),
            "processed_dir": str(staged_processed),
        }
        for number, name in enumerate(NOTEBOOKS, start=1):
            progress(f"[{number}/{len(NOTEBOOKS)}] Kjører {name} …")
            executed = staged_out / "notebooks" / name
            try:
                pm.execute_notebook(
                    str(notebook_dir / name),
                    str(executed),
                    parameters=parameters | NOTEBOOK_PARAMETERS.get(name, {}),
                    kernel_name="python3",
                    cwd=str(notebook_dir),
                    execution_timeout=timeout,
                    progress_bar=False,
                    log_output=False,
                    # The kernel warns that it talks over TCP on localhost; harmless, and noise for the analyst.
                    extra_arguments=["--log-level=ERROR"],
                    # No interrupt before shutting an idle kernel down ("KeyboardInterrupt caught in kernel").
                    kernel_manager_class=QuietShutdownKernelManager,
                )
            except PapermillExecutionError as exc:
                failed_dir = final_out / "failed"
                failed_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(executed, failed_dir / name)
                raise NotebookFailed(
                    f"Notatboken {name} feilet i {_failed_cell(executed)}: {exc.ename}: {exc.evalue}\n"
                    f"Den kjørte notatboken er lagret i {failed_dir / name}. Forrige vellykkede rapport er ikke endret."
                ) from exc
        progress("Lager rapport, tabeller og manifest …")
        export_outputs(params, staged_out, staged_processed, manifest, data_paths, final_out=final_out,
                       final_processed=final_processed, notebook_dir=notebook_dir)
        _replace_dir(staged_processed, final_processed)
        _replace_dir(staged_out, final_out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RunResult(final_out, final_processed, final_out / "anbefaling.html", final_out / "anbefaling.csv")
