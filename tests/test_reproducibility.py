"""Same inputs and parameters give the same outputs, byte for byte, wherever the folders are.

The pipeline runs twice on two copies of the bundled data, each with its own output folder (so every absolute path
differs between the runs). Every output file and every file in processed/ must be identical. The one exception is
the executed notebooks' timing metadata, which records when a cell ran: only those fields are removed before
comparing (papermill's start_time, end_time, duration and exception, and the kernel's execution timestamps).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from bosetting_lib.config.paths import PROJECT_ROOT

# What papermill and the kernel write about when and how long a cell ran; nothing else is removed.
PAPERMILL_TIMING = ("start_time", "end_time", "duration", "exception")
KERNEL_TIMING = "execution"


def without_timing(notebook: bytes) -> bytes:
    """An executed notebook with only its timing metadata removed, serialised the same way every time."""
    nb = json.loads(notebook)
    for metadata in [nb.get("metadata", {})] + [cell.get("metadata", {}) for cell in nb.get("cells", [])]:
        for key in PAPERMILL_TIMING:
            metadata.get("papermill", {}).pop(key, None)
        metadata.pop(KERNEL_TIMING, None)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def test_normaliser_removes_only_timing():
    cell = {"metadata": {"execution": {"iopub.status.busy": "t"}, "tags": ["x"],
                         "papermill": {"start_time": "a", "end_time": "b", "duration": 1.0, "exception": False,
                                       "status": "completed"}}, "source": "1"}
    nb = {"metadata": {"papermill": {"duration": 2.0, "parameters": {"aar": 2026}}}, "cells": [cell]}
    out = json.loads(without_timing(json.dumps(nb).encode()))
    assert out["cells"][0]["metadata"] == {"tags": ["x"], "papermill": {"status": "completed"}}
    assert out["metadata"] == {"papermill": {"parameters": {"aar": 2026}}}


def files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_runs(bundled_run, run_on_copy, tmp_path_factory):
    """The shared run and a second one on another copy, in other folders."""
    return bundled_run, run_on_copy(tmp_path_factory.mktemp("rerun"))


def test_two_runs_in_different_folders_give_identical_outputs(two_runs):
    first, second = two_runs
    differences = []
    for label, a_dir, b_dir in (("outputs", first.output_dir, second.output_dir),
                                ("processed", first.processed_dir, second.processed_dir)):
        a_files, b_files = files(a_dir), files(b_dir)
        assert sorted(a_files) == sorted(b_files), f"{label}: the runs wrote different files"
        assert len(a_files) > 5
        for name, a_path in a_files.items():
            a, b = a_path.read_bytes(), b_files[name].read_bytes()
            if name.endswith(".ipynb"):
                a, b = without_timing(a), without_timing(b)
            if a != b:
                differences.append(f"{label}/{name}")
    assert differences == [], f"outputs differ between two runs on the same inputs: {differences}"


def _texts(folder: Path) -> dict[str, str]:
    """Every output as text; the xlsx file by its zipped XML parts."""
    texts = {}
    for name, path in files(folder).items():
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
                texts.update({f"{name}:{part}": z.read(part).decode("utf-8") for part in z.namelist()})
        else:
            texts[name] = path.read_text(encoding="utf-8")
    return texts


def test_outputs_hold_no_absolute_paths(bundled_run):
    root = bundled_run.output_dir.parent.parent
    leaks = []
    for label, folder in (("outputs", bundled_run.output_dir), ("processed", bundled_run.processed_dir)):
        for name, text in _texts(folder).items():
            for path in (str(root), str(root.resolve()), str(PROJECT_ROOT), ".kjoring-"):
                if path in text:
                    leaks.append(f"{label}/{name}: {path}")
    assert leaks == []


def test_executed_notebooks_show_where_the_folders_came_from(bundled_run):
    """The injected parameters name the folders by the option that set them, and the final (not staging) folders."""
    nb = json.loads((bundled_run.output_dir / "notebooks" / "01_innlesing.ipynb").read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and injected[0]["id"] == "injected-parameters"
    source = "".join(injected[0]["source"])
    assert 'data_dir = "<--data-dir>"' in source
    assert 'processed_dir = "<--data-dir>/processed/2026"' in source
    # the run's parameters, resolved once, travel with its processed data
    assert 'params_fil = "<--data-dir>/processed/2026/parametere.yaml"' in source
    assert nb["metadata"]["papermill"]["output_path"] == "<--out>/2026/notebooks/01_innlesing.ipynb"
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/01_innlesing.ipynb"


def test_portable_notebook_replaces_whole_run_folders_only(tmp_path):
    import nbformat

    from bosetting_lib.outputs.export import make_notebook_portable, portable_replacements

    root = tmp_path / "kjoring"
    staging = root / "ut" / ".kjoring-2026-abc"
    replacements = portable_replacements(
        data_dir=root / "data", staged_out=staging / "ut", staged_processed=staging / "processed",
        final_out=root / "ut" / "2026", final_processed=root / "data" / "processed" / "2026", out_root=root / "ut",
        notebook_dir=PROJECT_ROOT / "notebooks", params_file=PROJECT_ROOT / "params" / "2026.yaml")
    cell = nbformat.v4.new_code_cell(
        f'data_dir = "{root / "data"}"\nprocessed_dir = "{staging / "processed"}"\nparams_fil = "{PROJECT_ROOT / "params" / "2026.yaml"}"',
        metadata={"tags": ["injected-parameters"]})
    other = nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output(
        "stream", text=f"{root / 'data2'} {root / 'data' / 'raw'} imdi.no{root / 'data'}\n")])
    nb = nbformat.v4.new_notebook(cells=[cell, other])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    make_notebook_portable(path, replacements)
    out = nbformat.read(path, as_version=4)
    assert out.cells[0].id == "injected-parameters"
    assert 'data_dir = "<--data-dir>"' in out.cells[0].source
    assert 'processed_dir = "<--data-dir>/processed/2026"' in out.cells[0].source
    assert 'params_fil = "params/2026.yaml"' in out.cells[0].source
    assert out.cells[1].outputs[0].text == f"{root / 'data2'} <--data-dir>/raw imdi.no{root / 'data'}\n"
