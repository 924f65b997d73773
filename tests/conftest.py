"""Shared fixtures: a throw-away copy of the project's data and parameters, so tests never touch data/ or outputs/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bosetting_lib.paths import PROJECT_ROOT

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
