"""Shared fixtures: a throw-away copy of the project's data and parameters, so tests never touch data/ or outputs/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bosetting_lib.config.paths import PROJECT_ROOT


def load_tool(name: str):
    """Import a script from tools/ (tools are not library code, so they are not importable as a package)."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

RAW = PROJECT_ROOT / "data" / "raw"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A data folder laid out like data/, holding a copy of the bundled raw files."""
    target = tmp_path / "data"
    shutil.copytree(RAW, target / "raw")
    return target


@pytest.fixture
def params_copy(tmp_path: Path) -> Path:
    """A copy of the 2026 parameter file that a test may edit."""
    target = tmp_path / "2026.yaml"
    shutil.copyfile(PROJECT_ROOT / "params" / "2026.yaml", target)
    return target


# ----------------------------------------------------------------------------------------------------------------
# Whole runs of the pipeline, shared between test modules (each run takes about 12 seconds).


@pytest.fixture(scope="session")
def run_on_copy():
    """Run the 2026 pipeline on a fresh copy of the bundled raw data in ``root/data``, writing to ``root/outputs``.

    ``prepare(data_dir)`` may change the copy before the run. The git commit is read once per session, so a tracked
    file edited in the working tree between two runs (``-dirty``) does not make their manifests differ.
    """
    from bosetting_lib.run import pipeline
    from bosetting_lib.sources import provenance

    commit = provenance.git_commit()

    def run(root: Path, prepare=None):
        data_dir = root / "data"
        shutil.copytree(RAW, data_dir / "raw")
        if prepare is not None:
            prepare(data_dir)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(provenance, "git_commit", lambda: commit)
            return pipeline.run_pipeline(2026, data_dir=data_dir, out_dir=root / "outputs", progress=lambda _: None)

    return run


@pytest.fixture(scope="session")
def bundled_run(run_on_copy, tmp_path_factory):
    """One run on an unchanged copy of the bundled data; used by the report, screenshot and reproducibility tests."""
    return run_on_copy(tmp_path_factory.mktemp("bundled"))


# Three small counties through the national runner: Oslo (one municipality), Telemark (17, its own parameter file
# adds two criteria) and Finnmark (18, renumbered in 2024). Shared by the national, workbook and accessibility tests.
NATIONAL_COUNTIES = ["03", "40", "56"]


@pytest.fixture(scope="session")
def national_run(tmp_path_factory):
    """``(root, result, messages)`` of one national run of :data:`NATIONAL_COUNTIES` on a copy of the bundled data."""
    from bosetting_lib.run.national import run_all_counties

    root = tmp_path_factory.mktemp("national")
    shutil.copytree(RAW, root / "data" / "raw")
    messages: list[str] = []
    result = run_all_counties(2026, counties=NATIONAL_COUNTIES, data_dir=root / "data", out_dir=root / "out",
                              progress=messages.append)
    return root, result, messages
