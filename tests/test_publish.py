"""Publishing a run is all or nothing: processed/ and outputs/ of a year switch together, a killed run leaves no
staging folder, a folder that cannot be moved (a file open in Excel on Windows) rolls everything back with a
Norwegian message, and file-system faults never reach the user as a traceback."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import nbformat
import pytest

from bosetting_lib.cli import main
from bosetting_lib.run import pipeline
from bosetting_lib.run.pipeline import ASIDE_MARK, PID_FILE, STAGING_PREFIX, PublishError, clean_stale, publish


def _tree(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()} if path.exists() else {}


def _folder(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


def _refuse_rename_of(monkeypatch, blocked: Path) -> None:
    """Make ``blocked`` impossible to rename, as Windows does while a file inside it is open in Excel."""
    real = Path.rename

    def rename(self, target):
        if Path(self) == blocked:
            raise PermissionError(13, "The process cannot access the file because it is being used by another process",
                                  str(self))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)


def test_publish_swaps_both_or_rolls_both_back(tmp_path, monkeypatch):
    processed, out = tmp_path / "data" / "processed" / "2026", tmp_path / "outputs" / "2026"
    _folder(processed, {"anbefaling.csv": "gammel"})
    _folder(out, {"anbefaling.html": "gammel", "anbefaling.xlsx": "gammel"})
    staged_p = _folder(tmp_path / "stage" / "processed", {"anbefaling.csv": "ny"})
    staged_o = _folder(tmp_path / "stage" / "ut", {"anbefaling.html": "ny"})
    before = (_tree(processed), _tree(out))

    _refuse_rename_of(monkeypatch, out)
    with pytest.raises(PublishError) as caught:
        publish([(staged_p, processed), (staged_o, out)])
    message = str(caught.value)
    assert f"«{out}»" in message and "ingen tilgang" in message and "Excel" in message and "Ingenting er publisert" in message
    assert (_tree(processed), _tree(out)) == before, "the processed folder was replaced although outputs/ was not"
    assert not list(processed.parent.glob("*" + ASIDE_MARK + "*")) and not list(out.parent.glob("*" + ASIDE_MARK + "*"))

    monkeypatch.undo()
    publish([(staged_p, processed), (staged_o, out)])
    assert (processed / "anbefaling.csv").read_text(encoding="utf-8") == "ny"
    assert _tree(out) == {"anbefaling.html": hashlib.sha256(b"ny").hexdigest()}
    assert not list(out.parent.glob("*" + ASIDE_MARK + "*"))


def test_a_failed_move_in_puts_the_old_folders_back(tmp_path, monkeypatch):
    processed, out = tmp_path / "processed" / "2026", tmp_path / "outputs" / "2026"
    _folder(processed, {"a.csv": "gammel"})
    _folder(out, {"a.html": "gammel"})
    staged_p = _folder(tmp_path / "stage" / "processed", {"a.csv": "ny"})
    staged_o = _folder(tmp_path / "stage" / "ut", {"a.html": "ny"})
    real_move = shutil.move

    def move(src, dst, *args, **kwargs):
        if Path(dst) == out:
            raise OSError(28, "No space left on device", dst)
        return real_move(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "move", move)
    with pytest.raises(PublishError, match="Ingenting er publisert"):
        publish([(staged_p, processed), (staged_o, out)])
    assert (processed / "a.csv").read_text(encoding="utf-8") == "gammel"
    assert (out / "a.html").read_text(encoding="utf-8") == "gammel"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_a_killed_run_are_cleaned_at_the_next_start(tmp_path):
    out_root = tmp_path / "outputs"
    dead = _dead_pid()
    stale = _folder(out_root / f"{STAGING_PREFIX}2026--abc", {"processed/tilbakemeldinger.csv": "kontakt@kommune.no",
                                                             PID_FILE: str(dead)})
    running = _folder(out_root / f"{STAGING_PREFIX}2026-46-def", {PID_FILE: str(os.getpid() + 0)})
    running_elsewhere = _folder(out_root / f"{STAGING_PREFIX}2026-46-ghi", {PID_FILE: str(os.getppid())})
    final_out, final_processed = out_root / "2026", tmp_path / "processed" / "2026"
    # killed between moving the old report aside and moving the new one in: the old one is put back
    _folder(out_root / f"2026{ASIDE_MARK}{dead}", {"anbefaling.html": "forrige"})
    # killed after the swap: the old one is removed
    _folder(final_processed, {"anbefaling.csv": "ny"})
    _folder(final_processed.parent / f"2026{ASIDE_MARK}{dead}", {"anbefaling.csv": "forrige"})

    removed = clean_stale(out_root, [final_out, final_processed])

    assert stale in removed and not stale.exists()
    assert running.exists() and running_elsewhere.exists(), "a live run's staging folder must stay"
    assert (final_out / "anbefaling.html").read_text(encoding="utf-8") == "forrige"
    assert (final_processed / "anbefaling.csv").read_text(encoding="utf-8") == "ny"
    assert not list(final_processed.parent.glob("*" + ASIDE_MARK + "*"))


@pytest.fixture(scope="module")
def previous(bundled_run):
    """The session's finished run: its outputs and processed folder are the «previous report» the tests keep."""
    root = bundled_run.output_dir.parent.parent
    return root / "outputs" / "2026", root / "data" / "processed" / "2026"


def _setup(tmp_path: Path, previous) -> tuple[Path, Path]:
    """A data copy and an output folder in a path with æøå, holding a previous year's report and processed data."""
    from tests.conftest import RAW

    root = tmp_path / "Bosetting æøå Trøndelag"
    data, out = root / "data", root / "utdata"
    shutil.copytree(RAW, data / "raw")
    shutil.copytree(previous[0], out / "2026")
    shutil.copytree(previous[1], data / "processed" / "2026")
    return data, out


def test_a_year_folder_that_cannot_be_moved_leaves_processed_and_outputs_as_they_were(tmp_path, previous, monkeypatch,
                                                                                       capsys):
    data, out = _setup(tmp_path, previous)
    before = (_tree(data / "processed" / "2026"), _tree(out / "2026"))
    _refuse_rename_of(monkeypatch, out / "2026")
    executed: list[Path] = []
    real_publish = pipeline.publish

    def keep_notebooks(pairs, signals=None):
        # The notebooks as they would be published, kept for the path check below, then the real publish.
        snapshot = tmp_path / "publisert"
        shutil.copytree(pairs[1][0] / "notebooks", snapshot)
        executed.extend(sorted(snapshot.glob("*.ipynb")))
        return real_publish(pairs, signals)

    monkeypatch.setattr(pipeline, "publish", keep_notebooks)
    status = main(["kjor", "--aar", "2026", "--datamappe", str(data), "--ut", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert "FEIL: Kunne ikke publisere kjøringen" in err and str(out / "2026") in err and "Excel" in err
    assert (_tree(data / "processed" / "2026"), _tree(out / "2026")) == before
    assert not list(out.glob(STAGING_PREFIX + "*")), "staging folder left behind"
    assert not list(out.glob("*" + ASIDE_MARK + "*")) and not list((data / "processed").glob("*" + ASIDE_MARK + "*"))

    # An absolute path with æøå never reaches the executed notebooks, in any spelling.
    assert len(executed) == 4
    root = str(tmp_path)
    spellings = {root, unicodedata.normalize("NFD", root), root.encode("ascii", "backslashreplace").decode(),
                 root.replace("æ", "\\u00e6").replace("ø", "\\u00f8").replace("å", "\\u00e5")}
    for notebook in executed:
        text = notebook.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        assert nb.cells, notebook
        for spelling in spellings:
            assert spelling not in text, f"{notebook.name} holds the absolute path {spelling!r}"
        assert "æøå" not in text, f"{notebook.name} holds the folder name with æøå"


def test_sigterm_during_notebook_03_publishes_nothing_and_leaves_no_staging(tmp_path, previous):
    data, out = _setup(tmp_path, previous)
    before = (_tree(data / "processed" / "2026"), _tree(out / "2026"))
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "bosetting_lib", "kjor", "--aar", "2026", "--datamappe", str(data),
                             "--ut", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    started = None
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            # papermill writes the output notebook as soon as it starts a notebook: 03 has begun, 02 is done
            hits = list(out.glob(f"{STAGING_PREFIX}*/ut/notebooks/03_fordeling.ipynb"))
            if hits:
                started = hits[0]
                break
            time.sleep(0.2)
        assert started is not None, f"notebook 03 never started\n{proc.stderr.read() if proc.poll() is not None else ''}"
        staging = started.parents[2]
        assert (staging / "processed" / "kriterier.json").is_file(), "02's criteria should be in the staging folder"
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, stderr)
    assert "Traceback" not in stderr and "Kjøringen ble avbrutt (SIGTERM)" in stderr, stderr
    assert not staging.exists() and not list(out.glob(STAGING_PREFIX + "*")), "staging folder left behind"
    assert (_tree(data / "processed" / "2026"), _tree(out / "2026")) == before, "a half-published year"
    assert (out / "2026" / "anbefaling.html").is_file()
    assert not (out / "2026" / "failed").exists()


def test_file_system_faults_are_norwegian_messages_naming_the_path(tmp_path, capsys, monkeypatch):
    afile = tmp_path / "rapport.txt"
    afile.write_text("x", encoding="utf-8")
    assert main(["kjor", "--ut", str(afile)]) == 1
    assert f"Utmappen «{afile}» er en fil" in capsys.readouterr().err
    assert main(["valider", "--datamappe", str(tmp_path / "dat")]) == 1
    assert f"Datamappen «{tmp_path / 'dat'}» finnes ikke (--datamappe)" in capsys.readouterr().err
    assert main(["kjor", "--fylke", "Atlantis", "--ut", str(tmp_path / "u")]) == 1
    err = capsys.readouterr().err
    assert "Fant ikke fylket «Atlantis»" in err and "50 Trøndelag" in err and not (tmp_path / "u").exists()

    # a read-only output folder (root ignores chmod, so the refusal is simulated where the folder is written)
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if Path(self) == tmp_path / "ut":
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)

    assert main(["kjor", "--ut", str(tmp_path / "ut")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FEIL: Kunne ikke skrive i utmappen" in err
    assert f"«{tmp_path / 'ut'}» ingen tilgang" in err and "--ut" in err and not (tmp_path / "ut").exists()
    monkeypatch.setattr(Path, "mkdir", real_mkdir)

    # any other OSError that reaches the command line names its path
    def broken(args):
        raise IsADirectoryError(21, "Is a directory", "/x/anbefaling.csv")

    from bosetting_lib import cli

    monkeypatch.setitem(cli.__dict__, "_cmd_validate", broken)
    assert main(["valider"]) == 1
    assert "FEIL: Filsystemet sier nei for «/x/anbefaling.csv»: er en mappe, ikke en fil" in capsys.readouterr().err


def test_county_by_name_resolves_to_its_number(tmp_path):
    from bosetting_lib.config.paths import DataPaths

    assert pipeline.county_number(2026, "Trøndelag", None, DataPaths()) == "50"
    assert pipeline.county_number(2026, "trøndelag", None, DataPaths()) == "50"
    assert pipeline.county_number(2026, "3", None, DataPaths()) == "03"
