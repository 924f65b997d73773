"""The yearly pipeline: validate inputs, execute the notebooks with papermill, export the report, publish atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from bosetting_lib.errors import BosettingError
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import NOTEBOOK_DIR, data_paths_for, output_root_for
from bosetting_lib.run.counties import resolve_county_params
from bosetting_lib.run.kernels import KERNEL_NAME, KernelsAhead
from bosetting_lib.run.validate import read_and_check
from bosetting_lib.sources.register import Register, UnknownCountyError
from bosetting_lib.sources.freshness import write_warnings
from bosetting_lib.sources.provenance import build_manifest
from bosetting_lib.steps.ingest import write_ingest
from bosetting_lib.steps.tables import TABLES, write_json

NOTEBOOKS = ("01_innlesing.ipynb", "02_indikatorer.ipynb", "03_fordeling.ipynb", "04_rapport.ipynb")
EXECUTION_TIMEOUT_SECONDS = 600
# Parameters only some notebooks get from the runner: step 01 is told that the inputs are already read (a notebook
# opened by hand reads them); step 03 that nobody looks at it, so it builds no what-if widgets (no widget state
# and no random widget ids in the executed notebook).
NOTEBOOK_PARAMETERS = {NOTEBOOKS[0]: {"innlest": True}, NOTEBOOKS[2]: {"interaktiv": False}}
KERNELS_AHEAD = 2  # kernels starting while a notebook runs (measured: 2 a little faster than 1 on two cores)
# The last step that writes a processed table: after it, the tables for IMDi can be written (steps/tables.py).
LAST_TABLE_STEP = max(table.step for table in TABLES.values())
# The kernel warns that it talks over TCP on localhost, and logs its sockets closing when a run is interrupted; both
# harmless noise for the analyst (a failing cell is reported from the notebook).
KERNEL_ARGUMENTS = ["--log-level=CRITICAL"]


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


STAGING_PREFIX = ".kjoring-"  # a run's staging folder in the output folder: <ut>/.kjoring-<år>-<fylke>-XXXX
ASIDE_MARK = ".forrige-"  # a published folder moved aside during the swap: <mappe>.forrige-<pid>
PID_FILE = ".pid"
STALE_SECONDS = 600  # a staging folder without a pid file is someone's only if younger than this


class RunInterrupted(BosettingError):
    """The run was stopped by SIGINT (Ctrl+C) or SIGTERM; the staging folder is removed and nothing is published."""

    def __init__(self, signum: int):
        self.signum = signum
        self.exit_status = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(f"Kjøringen ble avbrutt ({name}). Ingenting er publisert: forrige rapport og data/processed "
                         "står som før, og den midlertidige mappen er fjernet.")


class PublishError(BosettingError):
    """The finished run could not be put in place; everything is rolled back to the previous run."""


class _Signals:
    """SIGINT and SIGTERM raise :class:`RunInterrupted` in the main thread, so ``finally`` removes the staging folder.

    Inside :meth:`critical` (the swap of the published folders) a signal is held until the swap is complete or
    rolled back, so a kill never leaves a year half published.
    """

    def __init__(self) -> None:
        self.held: int | None = None
        self.in_critical = False

    def _handle(self, signum: int, frame) -> None:  # noqa: ANN001 - signal handler signature
        if self.in_critical:
            self.held = signum
            return
        raise RunInterrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals are delivered to the main thread only; a worker thread cannot install handlers
            return
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        for s in previous:
            signal.signal(s, self._handle)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self.in_critical = True
        try:
            yield
        finally:
            self.in_critical = False
        if self.held is not None:
            held, self.held = self.held, None
            raise RunInterrupted(held)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (on Windows, where signal 0 would stop it, assume it does)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(folder: Path) -> int | None:
    try:
        return int((folder / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def clean_stale(out_root: Path, finals: list[Path]) -> list[Path]:
    """Remove what killed runs left behind, and return it: staging folders (``.kjoring-*``, which may hold the
    municipalities' contact details) whose run no longer exists, and published folders moved aside during a swap
    (``<mappe>.forrige-<pid>``), put back when the swap never completed or removed when it did."""
    removed = []
    for folder in sorted(out_root.glob(STAGING_PREFIX + "*")) if out_root.is_dir() else []:
        pid = _owner(folder)
        if pid == os.getpid():
            continue
        age = time.time() - folder.stat().st_mtime
        if (pid is not None and not _alive(pid)) or (pid is None and age > STALE_SECONDS) \
                or (pid is not None and os.name == "nt" and age > 24 * 3600):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    for final in finals:
        if not final.parent.is_dir():
            continue
        for aside in sorted(final.parent.glob(final.name + ASIDE_MARK + "*")):
            try:
                pid = int(aside.name.rsplit(ASIDE_MARK, 1)[1])
            except ValueError:
                continue
            if pid == os.getpid() or _alive(pid):
                continue
            if final.exists():
                shutil.rmtree(aside, ignore_errors=True)
            else:
                aside.rename(final)  # the swap was cut between moving the old one aside and the new one in
            removed.append(aside)
    return removed


def _fs_message(exc: OSError, doing: str) -> str:
    where = exc.filename or ""
    why = {PermissionError: "ingen tilgang (er mappen skrivebeskyttet, eller er en fil i den åpen i et annet program, "
                            "f.eks. Excel?)",
           FileNotFoundError: "finnes ikke", NotADirectoryError: "er en fil, ikke en mappe",
           FileExistsError: "finnes fra før som en fil"}.get(type(exc), exc.strerror or str(exc))
    return f"Kunne ikke {doing}: «{where}» {why}."


def publish(pairs: list[tuple[Path, Path]], signals: _Signals | None = None) -> None:
    """Put every staged folder in place of its final folder, all or none.

    The old folders are first moved aside (a rename), then the new ones moved in; if any step fails (a file open in
    Excel on Windows makes a folder impossible to rename) everything done so far is undone, so processed/ and
    outputs/ of a year always belong to the same run. Signals wait until the swap is complete or undone.
    """
    token = f"{ASIDE_MARK}{os.getpid()}"
    asides: list[tuple[Path, Path]] = []
    moving_in = False
    with (signals.critical() if signals else contextlib.nullcontext()):
        try:
            for _, final in pairs:
                final.parent.mkdir(parents=True, exist_ok=True)
                if final.exists():
                    aside = final.with_name(final.name + token)
                    if aside.exists():
                        shutil.rmtree(aside)
                    final.rename(aside)
                    asides.append((final, aside))
            moving_in = True  # every old folder is aside now: any final folder that exists is this run's
            for staged, final in pairs:
                shutil.move(str(staged), str(final))
        except OSError as exc:
            undone = _roll_back([final for _, final in pairs] if moving_in else [], asides)
            raise PublishError(
                _fs_message(exc, "publisere kjøringen") + " Ingenting er publisert: " + undone + " Lukk filen eller "
                "programmet som bruker mappen (eller gi skrivetilgang), og kjør på nytt.") from exc
    for _, aside in asides:
        shutil.rmtree(aside, ignore_errors=True)


def _roll_back(placed: list[Path], asides: list[tuple[Path, Path]]) -> str:
    """Remove what this run moved in (``placed``), put the old folders back and say what stands."""
    for final in placed:
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
    failed = []
    for final, aside in reversed(asides):
        try:
            aside.rename(final)
        except OSError:
            failed.append(f"forrige versjon av «{final}» ligger i «{aside}»")
    if failed:
        return "; ".join(failed) + " (flytt den tilbake for hånd)."
    return "forrige rapport og data/processed står som før."


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
    data_paths = data_paths_for(data_dir)
    out_root = output_root_for(out_dir)
    if county is not None:
        county = county_number(year, county, params_file, data_paths)
    signals = _Signals()
    with signals.installed():
        return _run(year, params_file, data_paths, out_root, notebook_dir, progress, timeout, county, trial, signals)


def county_number(year: int, county: str, params_file: Path | str | None, data_paths) -> str:
    """``--fylke`` as the county's two-digit number: a number as given, a name («Trøndelag») through the register.
    An unknown county is refused with the list of counties, so nothing is ever written to an undocumented folder."""
    text = str(county).strip()
    base = load_params(params_file, year=year)
    register = Register.load(data_paths.raw / base.inndata_register)
    try:
        return register.county_number(text.zfill(2) if text.isdigit() else text, year)
    except UnknownCountyError as exc:
        raise BosettingError(f"Ukjent fylke i --fylke: {exc}") from exc


def _run(year, params_file, data_paths, out_root, notebook_dir, progress, timeout, county, trial,
         signals: _Signals) -> RunResult:
    """The run itself, with the signal handlers installed (see :func:`run_pipeline`)."""
    with tempfile.TemporaryDirectory(prefix="bosetting-parametere-") as workdir:
        if county is None:
            params = load_params(params_file, year=year)
        else:
            params = resolve_county_params(year, county, params_file, data_paths, Path(workdir))
        progress(f"Kontrollerer inndata for {year} ({params.fylke or params.fylkesnummer}) …")
        warnings: list | None = [] if trial else None
        inputs = read_and_check(params, data_paths, warnings)
        params_text = params.source.read_bytes()

    # The first notebook's kernel starts now and imports on another core while the runner prepares the run.
    with KernelsAhead([notebook_dir / name for name in NOTEBOOKS], cwd=notebook_dir,
                      extra_arguments=KERNEL_ARGUMENTS, ahead=KERNELS_AHEAD) as kernels:
        return _run_notebooks(year, params, params_text, inputs, warnings, data_paths, out_root, notebook_dir,
                              progress, timeout, county, signals, kernels)


def _run_notebooks(year, params, params_text, inputs, warnings, data_paths, out_root, notebook_dir, progress, timeout,
                   county, signals: _Signals, kernels) -> RunResult:
    """Execute the notebooks in a staging folder, export the report and publish it (inputs already checked)."""
    # Imported only now: a run stopped by invalid input should answer quickly.
    from bosetting_lib.outputs.export import RunExport  # deferred: imports nbconvert, which takes a second

    final_out = out_root / str(year) / (county or "")
    final_processed = data_paths.processed(year) / (county or "")
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        for left in clean_stale(out_root, [final_out, final_processed]):
            progress(f"Ryddet bort {left.name} etter en avbrutt kjøring.")
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{year}-{county or ''}-", dir=out_root))
        (staging / PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
    except OSError as exc:
        raise BosettingError(_fs_message(exc, f"skrive i utmappen «{out_root}»") + " Velg en annen mappe med --ut, "
                             "eller gi skrivetilgang.") from exc
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
        export = RunExport(params, staged_out, staged_processed, data_paths, final_out=final_out,
                           final_processed=final_processed, notebook_dir=notebook_dir)
        # What is ready is exported in a thread while the next notebook runs in its kernel: an executed notebook's
        # analysts' HTML, and the tables for IMDi once the last step that writes processed tables is done.
        background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eksport")
        exported: list[Future] = []
        try:
            for number, name in enumerate(NOTEBOOKS, start=1):
                executed = _execute(number, name, notebook_dir, staged_out, parameters, timeout, kernels, final_out,
                                    progress)
                exported.append(background.submit(export.notebook, executed))
                if name.startswith(LAST_TABLE_STEP + "_"):
                    exported.append(background.submit(export.tables))
            progress("Lager rapport, tabeller og manifest …")
            for done in exported:
                done.result()  # an error in the thread is raised here
        finally:
            background.shutdown(wait=True, cancel_futures=True)
        export.report(executed, manifest)  # the last notebook is the report
        publish([(staged_processed, final_processed), (staged_out, final_out)], signals)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RunResult(final_out, final_processed, final_out / "anbefaling.html", final_out / "anbefaling.csv")


def _execute(number: int, name: str, notebook_dir: Path, staged_out: Path, parameters: dict, timeout: int,
             kernels: KernelsAhead, final_out: Path, progress: Callable[[str], None]) -> Path:
    """Execute one notebook with papermill in the kernel started for it; a failing cell stops the run, named."""
    # A run stopped by invalid input never gets here, so it answers without importing papermill (most of a second).
    import papermill as pm  # deferred: see above
    from nbclient.exceptions import CellTimeoutError, DeadKernelError  # deferred: loaded with papermill
    from papermill.exceptions import PapermillExecutionError  # deferred: see above

    progress(f"[{number}/{len(NOTEBOOKS)}] Kjører {name} …")
    executed = staged_out / "notebooks" / name
    try:
        pm.execute_notebook(
            str(notebook_dir / name),
            str(executed),
            parameters=parameters | NOTEBOOK_PARAMETERS.get(name, {}),
            kernel_name=KERNEL_NAME,
            cwd=str(notebook_dir),
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
            # Written once when done (or when a cell fails), not twice per cell: nobody reads the staged copy
            # while it runs, and each write serialises and validates the whole notebook on the run's critical path.
            request_save_on_cell_execute=False,
            # Started ahead, its imports done (run/kernels.py); papermill leaves it running, released below.
            km=kernels.take(number - 1),
        )
        kernels.release(number - 1)
    except PapermillExecutionError as exc:
        failed_dir = final_out / "failed"
        failed_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, failed_dir / name)
        raise NotebookFailed(
            f"Notatboken {name} feilet i {_failed_cell(executed)}: {exc.ename}: {exc.evalue}\n"
            f"Den kjørte notatboken er lagret i {failed_dir / name}. Forrige vellykkede rapport er ikke endret."
        ) from exc
    except CellTimeoutError as exc:
        # A TimeoutError is an OSError: without this it would reach the user as a file-system fault.
        raise NotebookFailed(
            f"Notatboken {name} ble stoppet fordi {_timed_out_cell(notebook_dir / name, str(exc))} brukte mer enn "
            f"{timeout} sekunder (grensen per celle). Forrige vellykkede rapport er ikke endret. Trenger cellen mer "
            f"tid, kjør på nytt med en høyere grense, for eksempel --tidsgrense {2 * timeout}."
        ) from exc
    except DeadKernelError as exc:
        raise NotebookFailed(
            f"Python-kjernen som kjørte notatboken {name}, stoppet uventet (for lite minne, eller prosessen ble "
            "avsluttet utenfra). Forrige vellykkede rapport er ikke endret. Kjør på nytt; skjer det igjen, lukk "
            "programmer som bruker mye minne."
        ) from exc
    return executed


def _timed_out_cell(notebook_path: Path, message: str) -> str:
    """The cell nbclient's timeout message shows (it quotes the cell's source), by its first line."""
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        source = cell.source.strip()
        if cell.cell_type == "code" and source and source in message:
            return f"cellen «{source.splitlines()[0][:80]}»"
    return "en celle"
