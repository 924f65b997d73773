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
