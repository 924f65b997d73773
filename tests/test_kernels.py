"""The pipeline's kernel manager: no interrupt (SIGINT) to an idle kernel at shutdown, the only source of
"[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." after a successful run; interrupts otherwise unchanged."""

from __future__ import annotations

import asyncio
import signal

from bosetting_lib.run.kernels import QuietShutdownKernelManager


def test_shutdown_sends_no_interrupt_but_an_explicit_interrupt_still_does():
    async def scenario() -> list[int]:
        km = QuietShutdownKernelManager(kernel_name="python3")
        sent: list[int] = []
        original = km._async_signal_kernel

        async def record(signum):
            sent.append(signum)
            await original(signum)

        km._async_signal_kernel = record
        await km.start_kernel(extra_arguments=["--log-level=ERROR"])
        try:
            await km._async_interrupt_kernel()  # as nbclient does for a cell that runs too long
            assert sent == [signal.SIGINT]
        finally:
            await km.shutdown_kernel()
        assert not km.has_kernel
        return sent

    assert asyncio.run(scenario()) == [signal.SIGINT], "the shutdown interrupted the idle kernel"


# --- Kernels started ahead (KernelsAhead) ---------------------------------------------------------------------------

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402
import pytest  # noqa: E402
from jupyter_core.utils import run_sync  # noqa: E402
from papermill.exceptions import PapermillExecutionError  # noqa: E402

from bosetting_lib.run.kernels import KernelsAhead, notebook_imports  # noqa: E402


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_notebook_imports_lists_top_level_imports_in_order(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "import pandas as pd\nfrom bosetting_lib.steps import allocate, tables",
                     "%matplotlib inline", "def f():\n    import json\nfrom . import x\nimport pandas")
    assert notebook_imports(path) == ("pandas", "bosetting_lib.steps", "bosetting_lib.steps.allocate",
                                      "bosetting_lib.steps.tables")


def test_a_kernel_started_ahead_runs_the_notebook_as_a_fresh_kernel_would(tmp_path):
    """Its imports are done before the first cell, yet nothing is left in the namespace or the history."""
    first = _notebook(tmp_path / "first.ipynb",
                      "import sys\nprint('pandas' in sys.modules, sorted(n for n in globals() if not n.startswith('_')))",
                      "import pandas\nprint(len(In))")
    second = _notebook(tmp_path / "second.ipynb", "print(1 + 1)")
    kernels_seen = []
    with KernelsAhead([first, second], cwd=tmp_path, extra_arguments=["--log-level=CRITICAL"]) as kernels:
        for index, path in enumerate([first, second]):
            km = kernels.take(index)
            kernels_seen.append(km)
            out = pm.execute_notebook(str(path), str(tmp_path / f"out{index}.ipynb"), kernel_name="python3",
                                      progress_bar=False, km=km)
            kernels.release(index)
            if index == 0:
                assert out.cells[0].outputs[0]["text"] == "True ['In', 'Out', 'exit', 'get_ipython', 'open', 'quit', 'sys']\n"
                assert out.cells[0].execution_count == 1
                assert out.cells[1].outputs[0]["text"] == "3\n"  # '' and the two cells: the warm-up left no history
                assert 1 in kernels.started, "the next notebook's kernel was not started while this one ran"
    # The kernels asked to stop are not waited for between notebooks, but every one is reaped when the run ends.
    assert kernels.closing == [] and kernels.started == {}
    assert all(not run_sync(km.is_alive)() for km in kernels_seen)
    assert all(not km.opened_clients for km in kernels_seen)
    assert all(km.provisioner is None or km.provisioner.process is None or km.provisioner.process.poll() is not None
               for km in kernels_seen)


def test_a_failed_notebook_stops_the_kernel_started_for_the_next_one(tmp_path):
    broken = _notebook(tmp_path / "broken.ipynb", "import no_such_module_here")
    after = _notebook(tmp_path / "after.ipynb", "print(1)")
    with pytest.raises(PapermillExecutionError) as caught:
        with KernelsAhead([broken, after], cwd=tmp_path, extra_arguments=["--log-level=CRITICAL"]) as kernels:
            first = kernels.take(0)
            waiting = kernels.started[1]
            pm.execute_notebook(str(broken), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                                km=first)
    # The warm-up swallowed the failing import; the notebook's own cell reports it.
    assert caught.value.ename == "ModuleNotFoundError"
    assert not run_sync(first.is_alive)() and not run_sync(waiting.is_alive)()
