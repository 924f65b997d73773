"""The kernels the pipeline runs its notebooks in.

Two things here make a run faster without changing what a notebook does:

- :class:`QuietShutdownKernelManager`: jupyter_client's shutdown first interrupts the kernel (SIGINT) and then asks it
  to shut down. After a notebook has finished the kernel is idle, so the interrupt does nothing useful; but when it
  lands while the kernel is handling a message, ipykernel logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in
  kernel." on the console of a run that succeeded. Skipping that one interrupt removes the message without hiding
  anything: a cell that fails or times out is still reported by papermill, nbclient still interrupts a running cell
  itself on a timeout, and a kernel that does not answer the shutdown request is still killed after the usual wait.
- :class:`KernelsAhead`: starting a kernel and importing pandas, matplotlib and the library takes about 1.5 s, most of
  a small notebook's time. The next notebook's kernel is started, and its imports done, while the current notebook
  runs (on another core), so the notebooks no longer wait for their kernels one after the other. The imports run as
  the kernel's start-up lines (``IPKernelApp.exec_lines``): they bind no name, leave no history and no execution
  count, so the notebook executes exactly as in a fresh kernel, and an import that fails is left for the notebook's
  own cell to report.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop, run_sync

KERNEL_NAME = "python3"
# As nbclient starts an IPython kernel: history in memory, never in the user's ~/.ipython database.
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]
SHUTDOWN_WAIT_SECONDS = 5.0


class QuietShutdownKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that does not interrupt an idle kernel just before shutting it down."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


class WarmKernel(QuietShutdownKernelManager):
    """A kernel started before its notebook runs; it remembers the clients papermill opens on it, so their sockets
    can be closed when the notebook is done (papermill leaves a kernel it did not start running)."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003 - traitlets keyword arguments
        super().__init__(**kwargs)
        self.opened_clients: list = []

    def client(self, **kwargs):  # noqa: ANN003, ANN201 - as AsyncKernelManager.client
        kc = super().client(**kwargs)
        self.opened_clients.append(kc)
        return kc


def notebook_imports(path: Path) -> tuple[str, ...]:
    """The modules a notebook imports at the top level of its code cells, in order, without duplicates.

    ``from a.b import c`` gives both ``a.b`` and ``a.b.c`` (``c`` may be a submodule); a name that is not a module is
    skipped when the kernel warms up. Cells that are not plain Python (magics) are skipped.
    """
    names: dict[str, None] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names[node.module] = None
                names.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"))
    return tuple(names)


def warm_up_line(modules: Sequence[str]) -> str:
    """Start-up code for a kernel that imports ``modules`` and leaves nothing behind in the user's namespace."""
    return ("def _bosetting_warm_up(names):\n"
            "    import importlib\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass  # not a module, or broken: the notebook's own import reports it\n"
            f"_bosetting_warm_up({tuple(modules)!r})\n"
            "del _bosetting_warm_up\n")


class KernelsAhead:
    """One kernel per notebook, started ``ahead`` notebooks before it runs (the first one at once).

    Use as a context manager. After a successful run the used kernels, already asked to shut down, are waited for;
    after a failure or an interruption every kernel, used or waiting, is stopped at once. At most ``ahead + 1``
    kernels run a notebook or wait for one at a time; those done exit on their own and are reaped as they go.
    """

    def __init__(self, notebooks: Sequence[Path], cwd: Path, extra_arguments: Sequence[str] = (),
                 ahead: int = 1) -> None:
        self.notebooks = list(notebooks)
        self.cwd = cwd
        self.extra_arguments = list(extra_arguments)
        self.ahead = ahead
        self.started: dict[int, WarmKernel] = {}
        self.next_unstarted = 0
        self.closing: list[WarmKernel] = []

    def __enter__(self) -> KernelsAhead:
        self._start_up_to(1)  # the first alone: it is needed first, and soonest when it has a core to itself
        return self

    def __exit__(self, exc_type, *exc_info) -> None:  # noqa: ANN001, ANN002 - context manager protocol
        if exc_type is None:
            self._finish_closing()
            return
        # The run stopped (a failing notebook, Ctrl+C, SIGTERM). Tidying up must not hide why: what cannot be
        # stopped is left to the OS.
        with contextlib.suppress(Exception):
            _cancel_interrupted_notebook()
        for kernel in [*self.started.values(), *self.closing]:
            with contextlib.suppress(Exception):
                _kill_now(kernel)
        self.started.clear()
        self.closing.clear()

    def _start(self, index: int) -> None:
        kernel = WarmKernel(kernel_name=KERNEL_NAME)
        arguments = self.extra_arguments + _KERNEL_ARGUMENTS + [
            f"--IPKernelApp.exec_lines={warm_up_line(notebook_imports(self.notebooks[index]))}"]
        run_sync(kernel.start_kernel)(cwd=str(self.cwd), extra_arguments=arguments)
        self.started[index] = kernel
        self.next_unstarted = index + 1

    def take(self, index: int) -> WarmKernel:
        """The kernel for notebook ``index``; starts the next ``ahead`` notebooks' kernels before returning."""
        # Kernels asked to stop are waited for only once they have exited (or at the end of the run): waiting for the
        # notebook just done to exit would hold the next one up by a poll interval or two.
        self._finish_closing(only_exited=True)
        self._start_up_to(index + self.ahead + 1)
        return self.started[index]

    def _start_up_to(self, stop: int) -> None:
        """Start the kernels of the notebooks before ``stop`` that are not started or done yet."""
        for index in range(min(stop, len(self.notebooks))):
            if index not in self.started and index >= self.next_unstarted:
                self._start(index)

    def release(self, index: int) -> None:
        """The notebook is done: close the clients and ask its kernel to shut down, without waiting for it to exit."""
        kernel = self.started.pop(index)
        _close_clients(kernel)
        _quietly(kernel.request_shutdown)
        self.closing.append(kernel)

    def _finish_closing(self, only_exited: bool = False) -> None:
        for kernel in list(self.closing):
            if only_exited and _running(kernel):
                continue
            self.closing.remove(kernel)
            _quietly(kernel.finish_shutdown, waittime=SHUTDOWN_WAIT_SECONDS)
            _quietly(kernel.cleanup_resources)


def _running(kernel: WarmKernel) -> bool:
    process = getattr(kernel.provisioner, "process", None)
    return process is not None and process.poll() is None


def _cancel_interrupted_notebook() -> None:
    """A signal raised in the middle of a notebook leaves nbclient's tasks suspended on this thread's event loop; the
    next time the loop runs (nbclient's own clean-up at exit) they would find their kernel stopped and print
    "Task exception was never retrieved … DeadKernelError". Cancel them so their clean-up runs now. Only when no loop
    is running in this thread: then the loop is the one jupyter_core keeps for papermill, and its tasks are ours."""
    try:
        asyncio.get_running_loop()
        return
    except RuntimeError:
        pass
    loop = ensure_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _kill_now(kernel: WarmKernel) -> None:
    """Stop a kernel's process and remove its connection file, synchronously (no event loop)."""
    with contextlib.suppress(Exception):
        _close_clients(kernel)
    if _running(kernel):
        kernel.provisioner.process.kill()
        kernel.provisioner.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)
    kernel.cleanup_connection_file()
    kernel.cleanup_ipc_files()


def _close_clients(kernel: WarmKernel) -> None:
    for kc in kernel.opened_clients:
        kc.stop_channels()
    kernel.opened_clients.clear()


def _quietly(method, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Call a kernel manager's coroutine method to stop a kernel; one that has already gone is not an error."""
    try:
        run_sync(method)(**kwargs)
    except RuntimeError as exc:
        if "No kernel is running" not in str(exc):
            raise
