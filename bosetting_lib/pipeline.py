"""The yearly pipeline: validate inputs, execute the notebooks with papermill, export the report, publish atomically."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat

from bosetting_lib.errors import BosettingError
from bosetting_lib.params import Params, load_params
from bosetting_lib.paths import NOTEBOOK_DIR, PROJECT_ROOT, DataPaths, default_output_dir

NOTEBOOKS = ("01_innlesing.ipynb", "02_indikatorer.ipynb", "03_fordeling.ipynb", "04_rapport.ipynb")
EXECUTION_TIMEOUT_SECONDS = 600
# Packages whose versions go into the manifest: what shapes the numbers and the report.
MANIFEST_PACKAGES = ("bosetting", "pandas", "numpy", "matplotlib", "papermill", "nbconvert", "openpyxl", "pyyaml")


class NotebookFailed(BosettingError):
    """A notebook failed; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class RunResult:
    """Where a successful run put its outputs."""

    output_dir: Path
    processed_dir: Path
    report: Path
    table: Path


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The project's git commit (with '-dirty' when tracked files are changed), or None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def build_manifest(params: Params, data_paths: DataPaths) -> dict:
    """Parameters, SHA-256 of every raw input file, package versions and git commit; no timestamps (reruns are byte-identical)."""
    raw = data_paths.raw
    inputs = {
        path.relative_to(raw).as_posix(): sha256_file(path)
        for path in sorted(raw.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    versions = {}
    for package in MANIFEST_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "aar": params.aar,
        "parameterfil": params.source.name,
        "parameterfil_sha256": sha256_file(params.source),
        "parametere": params.raw,
        "inndata_sha256": inputs,
        "pakker": versions,
        "git_commit": git_commit(),
    }


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
) -> RunResult:
    """Run the year's analysis end to end; on any error nothing in processed/ or outputs/<year>/ is replaced.

    With ``county`` the shared parameters are rewritten for that county (or its own parameter file is used) and
    everything goes under ``<year>/<county>/`` in processed/ and outputs/.
    """
    from bosetting_lib.counties import resolve_county_params
    from bosetting_lib.validate import validate_inputs

    data_paths = DataPaths(Path(data_dir).resolve()) if data_dir else DataPaths()
    out_root = Path(out_dir).resolve() if out_dir else default_output_dir()
    with tempfile.TemporaryDirectory(prefix="bosetting-parametere-") as workdir:
        if county is None:
            params = load_params(params_file, year=year)
        else:
            params = resolve_county_params(year, county, params_file, data_paths, Path(workdir))
        progress(f"Kontrollerer inndata for {year} ({params.fylke or params.fylkesnummer}) …")
        validate_inputs(params, data_paths)
        params_text = params.source.read_bytes()

    # Imported only now: a run stopped by invalid input should answer quickly.
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from bosetting_lib.export import export_outputs
    from bosetting_lib.kernels import QuietShutdownKernelManager

    out_root.mkdir(parents=True, exist_ok=True)
    final_out = out_root / str(year) / (county or "")
    final_processed = data_paths.processed(year) / (county or "")
    staging = Path(tempfile.mkdtemp(prefix=f".kjoring-{year}-{county or ''}-", dir=out_root))
    try:
        staged_out = staging / "ut"
        staged_processed = staging / "processed"
        (staged_out / "notebooks").mkdir(parents=True)
        staged_processed.mkdir()
        if county is not None:
            # The run's own parameter file travels with its processed data, so every output can be traced to it.
            (staged_processed / "parametere.yaml").write_bytes(params_text)
            params = load_params(staged_processed / "parametere.yaml", year=year)
        manifest = build_manifest(params, data_paths)
        # The report notebook shows the manifest as its footer, so it exists before the notebooks run.
        write_json(manifest, staged_processed / "manifest.json")
        parameters = {
            "aar": year,
            "params_fil": str(params.source.resolve()),
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
                    parameters=parameters,
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


def write_json(data: dict, path: Path) -> None:
    """Write JSON with sorted keys and a final newline, so reruns are byte-identical."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
