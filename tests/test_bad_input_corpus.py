"""The bad-input corpus: every case in tests/corpus/ must be refused by the real CLI before anything is written.

Each case folder holds a ``case.yaml`` (format in tests/corpus/README.md) and the raw bytes it plants: a file
in one of the real layouts (IMDi CSV/HTML, SSB PxWeb CSV, returned xlsx forms, survey exports, adjustments) or
a small documented byte edit of a bundled file, and/or edits of the parameter file. For every case both
``bosetting valider`` and ``bosetting kjor`` are run on a fresh copy of data/raw and of params/2026.yaml, through the
CLI's own ``main`` in this process (a few cases also as real subprocesses, so the installed entry point and its exit
status are tested end to end); both must exit with status 1 and a message that names the file, the row and the column
(or the parameter) and says what was expected, and neither may write anything or touch data/raw.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").is_file())
TIMEOUT_SECONDS = 180
# These cases also run as real subprocesses (the rest call the CLI's main in-process: same code, no interpreter start).
SUBPROCESS_CASES = set(CASES[:2])


def _load(name: str) -> dict:
    return yaml.safe_load((CORPUS / name / "case.yaml").read_text(encoding="utf-8"))


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _replace_once(data: bytes, old: str, new: str, where: str, encoding: str = "utf-8") -> bytes:
    old_b, new_b = old.encode(encoding), new.encode(encoding)
    count = data.count(old_b)
    assert count == 1, f"{where}: expected {old!r} exactly once, found it {count} times (did the bundled file change?)"
    return data.replace(old_b, new_b)


def apply_case(name: str, raw: Path, params: Path) -> set[str]:
    """Plant the case's files and edits in ``raw`` and ``params``; return the raw paths it planted or changed."""
    spec = _load(name)
    touched: set[str] = set()
    for item in spec.get("plant", []):
        target = raw / item["to"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / name / item["file"], target)
        touched.add(item["to"])
    for item in spec.get("edit", []):
        path = raw / item["file"]
        data = path.read_bytes()
        if "replace" in item:
            old, new = item["replace"]
            data = _replace_once(data, old, new, f"{name}: {item['file']}")
        if "cut_after" in item:
            marker = item["cut_after"].encode("utf-8")
            at = data.find(marker)
            assert at >= 0, f"{name}: {item['cut_after']!r} not in {item['file']}"
            data = data[: at + len(marker)]
        if "bytes" in item:  # the whole file, given inline (e.g. an empty file: "")
            data = item["bytes"].encode("utf-8")
        path.write_bytes(data)
        touched.add(item["file"])
    rows = spec.get("manifest_rows", [])
    if rows:
        manifest = raw / "manifest.csv"
        text = manifest.read_bytes()
        if not text.endswith(b"\n"):
            text += b"\n"
        manifest.write_bytes(text + "".join(r + "\n" for r in rows).encode("utf-8"))
        touched.add("manifest.csv")
    for old, new in spec.get("params", []):
        params.write_bytes(_replace_once(params.read_bytes(), old, new, f"{name}: params"))
    return touched


def _arguments(kind: str, data_dir: Path, params: Path, out: Path) -> list[str]:
    args = [kind, "--year", "2026", "--data-dir", str(data_dir), "--params", str(params)]
    return args + (["--out", str(out)] if kind == "run" else [])


def _command(kind: str, data_dir: Path, params: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "bosetting_lib", *_arguments(kind, data_dir, params, out)]


def _main_in_process(args: list[str]) -> subprocess.CompletedProcess:
    """The CLI's main with its output captured; an uncaught exception becomes a traceback on 'stderr', as it would."""
    from bosetting_lib.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
        except Exception:  # noqa: BLE001 - reported like the interpreter would, and the test fails on it
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())


def _run_in_process(data_dir: Path, params: Path, out: Path) -> dict[str, subprocess.CompletedProcess]:
    return {kind: _main_in_process(_arguments(kind, data_dir, params, out)) for kind in ("validate", "run")}


def _run_both(data_dir: Path, params: Path, out: Path, cwd: Path) -> dict[str, subprocess.CompletedProcess]:
    """Run ``validate`` and ``run`` side by side (they only read) and wait for both."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    procs = {kind: subprocess.Popen(_command(kind, data_dir, params, out), cwd=cwd, env=env, text=True,
                                    encoding="utf-8", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for kind in ("validate", "run")}
    done = {}
    for kind, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        done[kind] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done


def _problem_line(stderr: str, expect: dict) -> str | None:
    """The line of the error message that names the expected file, row, column/cell/parameter and texts."""
    needles = [expect["file"] + ",", "forventet"] if expect.get("row") or expect.get("column") or expect.get("cell") \
        else [expect["file"] + ":", "forventet"]
    if expect.get("row") is not None:
        needles.append(f"rad {expect['row']}")
    if expect.get("cell"):
        needles.append(f"celle {expect['cell']}")
    if expect.get("column"):
        needles.append(f"«{expect['column']}»")
    needles += expect.get("message", [])
    for line in stderr.splitlines():
        if all(n in line for n in needles):
            return line
    return None


def test_corpus_is_complete_and_every_planted_file_is_used():
    assert len(CASES) >= 22
    for name in CASES:
        spec = _load(name)
        assert spec.get("description"), f"{name}: describe what the analyst did"
        assert spec.get("plant") or spec.get("edit") or spec.get("params"), f"{name}: plants nothing"
        expect = spec["expect"]
        assert expect.get("file") and expect.get("message"), f"{name}: expect needs file and message"
        assert expect.get("row") is not None or expect.get("column") or expect.get("cell") or expect.get("why_no_row"), (
            f"{name}: expect a row, a column, a cell or a parameter (or say in why_no_row why there is none)")
        planted = {item["file"] for item in spec.get("plant", [])}
        present = {p.name for p in (CORPUS / name).iterdir() if p.name != "case.yaml"}
        assert planted == present, f"{name}: files in the folder and files planted differ: {planted ^ present}"


def test_bundled_data_passes_so_each_failure_comes_from_its_case(tmp_path, data_copy, params_copy):
    result = _main_in_process(_arguments("validate", data_copy, params_copy, tmp_path / "out"))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_with_file_row_column_and_nothing_is_written(name, tmp_path, data_copy, params_copy):
    expect = _load(name)["expect"]
    raw = data_copy / "raw"
    apply_case(name, raw, params_copy)
    before = _hashes(raw)
    out = tmp_path / "out"

    results = (_run_both(data_copy, params_copy, out, tmp_path) if name in SUBPROCESS_CASES
               else _run_in_process(data_copy, params_copy, out))

    for kind, result in results.items():
        where = f"{name}: bosetting {kind}"
        assert result.returncode == 1, f"{where} exited {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr, f"{where} crashed instead of reporting:\n{result.stderr}"
        assert "FEIL: " in result.stderr, f"{where}: no error message\n{result.stderr}"
        assert _problem_line(result.stderr, expect), (
            f"{where}: no line names {expect}\n--- stderr ---\n{result.stderr}")
    assert not (data_copy / "processed").exists(), f"{name}: processed/ was written"
    assert not out.exists(), f"{name}: the out folder was created"
    assert _hashes(raw) == before, f"{name}: data/raw was changed"
