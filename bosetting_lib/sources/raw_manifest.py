"""The raw data's manifest: `manifest.csv` plus one `manifest_<batch>.csv` per later batch of files.

Raw files are never edited, the manifest included: a new batch of raw files comes with its own manifest file
beside the others, and together they must list every raw file exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from bosetting_lib.errors import Problem
from bosetting_lib.config.paths import DataPaths

MANIFEST_COLUMNS = ["fil", "datatype", "kilde", "lisens", "referansedato", "beskrivelse"]
DATA_TYPES = ("ekte", "eksempel")


def manifest_files(data_paths: DataPaths) -> list[Path]:
    """`manifest.csv` first, then every `manifest_*.csv` in name order."""
    main = [data_paths.manifest] if data_paths.manifest.is_file() else []
    return main + sorted(data_paths.raw.glob("manifest_*.csv"))


def read_manifest(data_paths: DataPaths) -> pd.DataFrame:
    """All manifest rows, with the manifest file (`manifestfil`) and spreadsheet row (`rad`) each came from."""
    frames = []
    for path in manifest_files(data_paths):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append(frame.assign(manifestfil=path.name, rad=range(2, len(frame) + 2)))
    if not frames:
        return pd.DataFrame(columns=[*MANIFEST_COLUMNS, "manifestfil", "rad"])
    return pd.concat(frames, ignore_index=True)


def check_manifest(data_paths: DataPaths) -> list[Problem]:
    """Every raw file is listed exactly once, each row with a known data type."""
    files = manifest_files(data_paths)
    if not files:
        return [Problem(str(data_paths.manifest), expected="en manifestfil som beskriver alle rådatafilene",
                        found="filen finnes ikke")]
    problems = []
    for path in files:
        columns = pd.read_csv(path, dtype=str, nrows=0).columns
        problems += [Problem(str(path), expected="kolonnen finnes", found="mangler", column=c)
                     for c in MANIFEST_COLUMNS if c not in columns]
    if problems:
        return problems
    manifest = read_manifest(data_paths)
    for row in manifest.itertuples():
        if row.datatype not in DATA_TYPES:
            problems.append(Problem(str(data_paths.raw / row.manifestfil), expected="«ekte» eller «eksempel»",
                                    found=row.datatype, row=row.rad, column="datatype"))
    first = manifest.drop_duplicates("fil").set_index("fil")
    for row in manifest.loc[manifest.duplicated("fil")].itertuples():
        earlier = first.loc[row.fil]
        problems.append(Problem(str(data_paths.raw / row.manifestfil), expected="én rad per fil i manifestene",
                                found=f"{row.fil} står også i {earlier['manifestfil']}, rad {earlier['rad']}",
                                row=row.rad, column="fil"))
    own = {p.name for p in files}
    present = {p.relative_to(data_paths.raw).as_posix() for p in data_paths.raw.rglob("*")
               if p.is_file() and not p.name.startswith(".") and not (p.parent == data_paths.raw and p.name in own)}
    for missing in sorted(present - set(manifest["fil"])):
        problems.append(Problem(str(data_paths.manifest), expected=f"en rad for filen {missing} (i manifest.csv eller "
                                "en ny manifest_<navn>.csv)", found="ingen rad", column="fil"))
    return problems


def example_files(data_paths: DataPaths) -> set[str]:
    """Raw files the manifest marks as example data (not real statistics)."""
    manifest = read_manifest(data_paths)
    return set(manifest.loc[manifest["datatype"] == "eksempel", "fil"])


def _under(file: str, folder: str) -> bool:
    """A manifest file is the input itself or lies inside the input's folder."""
    folder = folder.rstrip("/")
    return file == folder or file.startswith(folder + "/")


def used_rows(manifest: pd.DataFrame, inputs: Iterable[str]) -> pd.DataFrame:
    """The manifest rows of the files a run's inputs (files or folders relative to data/raw) cover."""
    inputs = [str(rel) for rel in inputs]
    return manifest.loc[manifest["fil"].map(lambda f: any(_under(f, rel) for rel in inputs))]


def example_inputs(inputs: Mapping[str, str], manifest: pd.DataFrame) -> frozenset[str]:
    """The one place that decides which inputs (parameter keys) are example data: any file under them is marked so."""
    examples = manifest.loc[manifest["datatype"] == "eksempel", "fil"]
    return frozenset(key for key, rel in inputs.items() if any(_under(f, str(rel)) for f in examples))
