"""Notebooks stay thin, diffable and runnable by papermill: no outputs in git, exactly one parameters cell."""

import ast

import nbformat
import pytest

from bosetting_lib.config.paths import NOTEBOOK_DIR
from bosetting_lib.run.pipeline import NOTEBOOKS

RUNNER_PARAMETERS = {"aar", "params_fil", "data_dir", "processed_dir"}
# Step 01 also learns from the runner that the inputs were already read for this run, and step 03 that it runs
# without a screen (no what-if widgets).
EXTRA_PARAMETERS = {NOTEBOOKS[0]: {"innlest"}, NOTEBOOKS[2]: {"interaktiv"}}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name} har utdata"
            assert cell.execution_count is None, f"{name} har kjørenummer"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_exactly_one_parameters_cell_with_the_runners_names(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assigned = {t.id for node in ast.parse(tagged[0].source).body for t in node.targets}
    assert assigned == RUNNER_PARAMETERS | EXTRA_PARAMETERS.get(name, set())
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_notebook_in_the_folder_is_part_of_the_pipeline():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_code_stays_thin(name):
    # logic belongs in bosetting_lib: no function or class definitions in notebooks
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_default_year_comes_from_the_one_place(name):
    """The parameters cell leaves the year to DEFAULT_YEAR, so the default year is written in one place only."""
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    tagged = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(tagged.source).body for t in node.targets}
    assert values["aar"] is None

