"""Where a run's numbers come from: SHA-256 of every raw input, package versions and the git commit."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths

# Packages whose versions go into the manifest: what shapes the numbers and the report.
MANIFEST_PACKAGES = ("bosetting", "pandas", "numpy", "matplotlib", "papermill", "nbconvert", "openpyxl", "pyyaml")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The project's git commit (with '-dirty' when tracked files are changed), or None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def build_manifest(params: Params, data_paths: DataPaths) -> dict:
    """Parameters, SHA-256 of every raw input file, package versions and git commit; no timestamps (reruns are byte-identical)."""
    raw = data_paths.raw
    inputs = {
        path.relative_to(raw).as_posix(): sha256_file(path)
        for path in sorted(raw.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    versions = {}
    for package in MANIFEST_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "aar": params.aar,
        "parameterfil": params.source.name,
        "parameterfil_sha256": sha256_file(params.source),
        "parametere": params.raw,
        "inndata_sha256": inputs,
        "pakker": versions,
        "git_commit": git_commit(),
    }
