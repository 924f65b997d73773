"""What a notebook needs to know about the run it belongs to: parameters and folders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bosetting_lib.config.params import DEFAULT_YEAR, Params, load_params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.provenance import build_manifest


@dataclass(frozen=True)
class RunContext:
    """Parameters and folders for one year's run; built from a notebook's parameters cell."""

    params: Params
    data: DataPaths
    processed_dir: Path

    @classmethod
    def from_notebook(
        cls,
        aar: int | None = None,
        params_fil: str | None = None,
        data_dir: str | None = None,
        processed_dir: str | None = None,
    ) -> RunContext:
        """Resolve the defaults an analyst gets when opening a notebook in JupyterLab."""
        aar = DEFAULT_YEAR if aar is None else int(aar)
        params = load_params(params_fil, year=aar)
        data = DataPaths(Path(data_dir)) if data_dir else DataPaths()
        processed = Path(processed_dir) if processed_dir else data.processed(aar)
        processed.mkdir(parents=True, exist_ok=True)
        return cls(params=params, data=data, processed_dir=processed)

    def manifest(self) -> dict:
        """The run's manifest: as written by the runner, or built now in an interactive session."""
        path = self.processed_dir / "manifest.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        return build_manifest(self.params, self.data)
