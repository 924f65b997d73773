"""`make bench`: measure the product and write BENCHMARKS.md. Figures are printed, never asserted in tests.

1. The yearly pipeline's wall time against its floor (one kernel per notebook importing pandas and matplotlib,
   nothing else), measured in the same run, and the ratio.
2. National scale on synthetic data: 357 municipalities, the key, the rounding and 10 000 sensitivity draws.
3. Peak memory of the pipeline (the runner and its largest kernel).
4. `apportion` against the `apportionment` package on the same unbounded problems.
5. The whole country (15 counties) against 15 times one county.

`python benchmarks/run_all.py pipeline` measures only the first (and writes nothing).
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill as pm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_allocation import synthetic_history  # noqa: E402
from bench_allocation import run as allocation_rows  # noqa: E402

from bosetting_lib.model.anchor import DEFAULT_SETTINGS, anchor_recommendation  # noqa: E402
from bosetting_lib.run.pipeline import NOTEBOOKS, run_pipeline  # noqa: E402


def machine() -> str:
    """A one-paragraph description of the machine the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; Python "
            f"{platform.python_version()}; pandas {pd.__version__}; numpy {np.__version__}; papermill {pm.__version__}")


def _data_copy(root: Path) -> Path:
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    return root / "data"


class StageClock:
    """Seconds between the pipeline's progress messages: validation, each notebook, the export."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, message: str) -> None:
        self.marks.append((message, time.perf_counter()))

    def stages(self, end: float) -> list[tuple[str, float]]:
        names = {"Kontrollerer": "validation and preparing the run", "Lager rapport": "export (HTML, CSV, xlsx)"}
        out = []
        for (message, start), (_, stop) in zip(self.marks, self.marks[1:] + [("", end)]):
            label = next((v for k, v in names.items() if message.startswith(k)), None)
            if label is None and "Kjører" in message:
                label = "notebook " + message.split("Kjører ", 1)[1].split(".ipynb")[0]
            if label:
                out.append((label, stop - start))
        return out


def pipeline_rows(repeats: int = 3) -> list[dict]:
    """Wall time of the full yearly run and its floor, alternated and best of ``repeats`` each (the machine is
    shared and noisy), the stages of the fastest run, and the peak memory."""
    walls, floors, clocks = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = _data_copy(tmp)
        floor_dir = tmp / "floor"
        floor_dir.mkdir()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import pandas\nimport matplotlib.pyplot")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, floor_dir / "floor.ipynb")
        for attempt in range(repeats):
            clock = StageClock()
            start = time.perf_counter()
            run_pipeline(2026, data_dir=data, out_dir=tmp / f"out{attempt}", progress=clock)
            walls.append(time.perf_counter() - start)
            clocks.append(clock.stages(start + walls[-1]))
            start = time.perf_counter()
            for i in range(len(NOTEBOOKS)):
                pm.execute_notebook(str(floor_dir / "floor.ipynb"), str(floor_dir / f"out{i}.ipynb"), kernel_name="python3",
                                    progress_bar=False, log_output=False, extra_arguments=["--log-level=ERROR"])
            floors.append(time.perf_counter() - start)
    wall, floor = min(walls), min(floors)
    stages = clocks[walls.index(wall)]
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    spread = f"runs {', '.join(f'{w:.1f}' for w in walls)} s"
    return [
        {"name": "Yearly pipeline (Trøndelag 2026, 4 notebooks + export)", "value": round(wall, 1), "unit": "s",
         "note": f"best of {repeats}; {spread}; validate, execute 01–04 with papermill, HTML/CSV/xlsx/manifest"},
        {"name": "Floor: 4 kernels importing pandas and matplotlib", "value": round(floor, 1), "unit": "s",
         "note": f"best of {repeats}, alternated with the pipeline; runs {', '.join(f'{f:.1f}' for f in floors)} s"},
        {"name": "Pipeline / floor", "value": round(wall / floor, 2), "unit": "x",
         "note": "aim: 1.3 x or less; each notebook's kernel is started, its imports done, while the notebook before "
                 "it runs (run/kernels.py), so part of the floor is hidden behind other work"},
        *({"name": f"  stage: {label}", "value": round(seconds, 2), "unit": "s",
           "note": "fastest run; a notebook's time includes waiting for its kernel if it is not ready yet"}
          for label, seconds in stages),
        {"name": "Peak memory, runner process", "value": round(self_peak), "unit": "MiB", "note": "ru_maxrss"},
        {"name": "Peak memory, largest kernel", "value": round(child_peak), "unit": "MiB", "note": "ru_maxrss of children"},
    ]


def key_rows() -> list[dict]:
    """The anchor model for 357 synthetic municipalities as one county (the rounding and draws are in the allocation rows)."""
    history, criteria = synthetic_history()
    start = time.perf_counter()
    for _ in range(20):
        anchor_recommendation(history, 13_000, DEFAULT_SETTINGS, criteria=criteria)
    seconds = (time.perf_counter() - start) / 20
    return [{"name": "Anchor model: 357 municipalities", "value": round(seconds * 1000, 2), "unit": "ms",
             "note": "synthetic, mean of 20"}]


def national_rows(one_county_seconds: float) -> list[dict]:
    """The whole country in one command, against 15 times one county."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = _data_copy(tmp)
        start = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "bosetting_lib", "run", "--year", "2026", "--alle-fylker",
                                    "--data-dir", str(data), "--out", str(tmp / "out")], capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    status = "all 15 counties succeeded" if completed.returncode == 0 else f"exit {completed.returncode}"
    return [
        {"name": "Whole country (--alle-fylker, 15 counties)", "value": round(wall, 1), "unit": "s",
         "note": f"{status}; {(os.cpu_count() or 1) + 1} processes on {os.cpu_count()} cores; aim: about a minute"},
        {"name": "Whole country / (15 × one county)", "value": round(wall / (15 * one_county_seconds), 2), "unit": "x",
         "note": f"one county took {one_county_seconds:.1f} s"},
        {"name": "Peak memory, largest process in the national run", "value": round(peak), "unit": "MiB", "note": "ru_maxrss"},
    ]


def render(rows: list[dict]) -> str:
    width = max(len(r["name"]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':>9}  unit  note", "-" * (width + 40)]
    lines += [f"{r['name']:<{width}}  {r['value']:>9}  {r['unit']:<4}  {r['note']}" for r in rows]
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:] == ["pipeline"]:  # quick look while working: the pipeline rows only, BENCHMARKS.md untouched
        print(render(pipeline_rows()))
        return
    rows = pipeline_rows()
    rows += key_rows()
    rows += allocation_rows()
    rows += national_rows(one_county_seconds=rows[0]["value"])
    text = render(rows)
    print(text)
    markdown = ["# Benchmarks", "", f"Written by `make bench` (benchmarks/run_all.py). Machine: {machine()}.", "",
                "Timings vary with the load on the machine; rerun `make bench` to measure yours. Nothing here is "
                "asserted in the tests.", "", "| measure | value | unit | note |", "|---|---:|---|---|"]
    markdown += [f"| {r['name']} | {r['value']} | {r['unit']} | {r['note']} |" for r in rows]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(markdown) + "\n", encoding="utf-8")
    print(f"\nSkrev {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
