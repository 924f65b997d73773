"""Every path the project uses, derived from one place; each can be overridden."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"


@dataclass(frozen=True)
class DataPaths:
    """The data folder layout: ``raw/`` is read-only input, ``processed/<year>/`` is written by the pipeline."""

    data_dir: Path = PROJECT_ROOT / "data"

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def reference(self) -> Path:
        return self.raw / "reference"

    @property
    def manifest(self) -> Path:
        return self.raw / "manifest.csv"

    def processed(self, year: int) -> Path:
        return self.data_dir / "processed" / str(year)


def default_output_dir() -> Path:
    return PROJECT_ROOT / "outputs"
