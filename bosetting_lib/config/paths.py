"""Every path the project uses, derived from one place; each can be overridden."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bosetting_lib.errors import BosettingError

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


def data_paths_for(data_dir: Path | str | None) -> DataPaths:
    """The data folder given by ``--datamappe`` (or the project's), refused in Norwegian, naming the folder, when it is
    missing, a file, or has no ``raw/`` inside: a typo in the option must not read as «every input is missing»."""
    if data_dir is None:
        return DataPaths()
    path = Path(data_dir).resolve()
    if not path.exists():
        raise BosettingError(f"Datamappen «{path}» finnes ikke (--datamappe). Oppgi en mappe ordnet som data/, med "
                             "rådataene i raw/ inni.")
    if not path.is_dir():
        raise BosettingError(f"Datamappen «{path}» er en fil, ikke en mappe (--datamappe).")
    if not (path / "raw").is_dir():
        raise BosettingError(f"Datamappen «{path}» har ingen raw/-mappe (--datamappe). Oppgi mappen som holder raw/ "
                             "(som prosjektets data/), ikke raw/ selv.")
    return DataPaths(path)


def output_root_for(out_dir: Path | str | None) -> Path:
    """The output folder given by ``--ut`` (or the project's outputs/); refused when it names a file."""
    path = Path(out_dir).resolve() if out_dir else default_output_dir()
    if path.exists() and not path.is_dir():
        raise BosettingError(f"Utmappen «{path}» er en fil, ikke en mappe (--ut). Oppgi en mappe.")
    return path
