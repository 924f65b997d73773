"""The kernel manager the pipeline runs notebooks with.

jupyter_client's shutdown first interrupts the kernel (SIGINT) and then asks it to shut down. After a notebook has
finished the kernel is idle, so the interrupt does nothing useful; but when it lands while the kernel is handling a
message, ipykernel logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." on the console of a run that
succeeded. Skipping that one interrupt removes the message without hiding anything: a cell that fails or times out
is still reported by papermill, nbclient still interrupts a running cell itself on a timeout, and a kernel that does
not answer the shutdown request is still killed after the usual wait.
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager


class QuietShutdownKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that does not interrupt an idle kernel just before shutting it down."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()
